//! Tests of the message tracker: a message counts once however the log is cut.

use super::*;

fn tracker_over(ids: &[(&str, i64, bool)]) -> MessageTracker {
    let mut t = MessageTracker::default();
    for (id, time, fin) in ids {
        t.observe(
            id.as_bytes(),
            Some(*time),
            0,
            *fin,
            &LineNews::default(),
            &mut Parties::default(),
        );
    }
    t
}

#[test]
fn sizes_and_deferrals_count_once_per_message_across_parts() {
    let news = |received, size, deferred, delivered| LineNews {
        received,
        size,
        deferred,
        delivered,
        ..LineNews::default()
    };
    let lines = [
        ("A1", news(true, None, false, false)),
        ("A1", news(false, Some(100), false, false)),
        ("A1", news(false, None, true, false)),
        ("A1", news(false, None, true, false)),
        ("A1", news(false, Some(999), false, false)),
        ("A1", news(false, None, false, true)),
        ("A1", news(false, None, false, true)),
        ("B2", news(false, None, false, true)),
        ("B2", news(true, Some(7), false, false)),
        ("B2", news(false, None, false, true)),
    ];
    let run = |part: &[(&str, LineNews)]| {
        let mut t = MessageTracker::default();
        for (i, (id, n)) in part.iter().enumerate() {
            t.observe(
                id.as_bytes(),
                Some(i as i64),
                i as u64,
                false,
                n,
                &mut Parties::default(),
            );
        }
        t
    };
    let mut whole = run(&lines);
    whole.resolve_as_start();
    assert_eq!(
        whole.totals,
        MessageTotals {
            messages: 2,
            bytes_received: 107,
            // A delivery counts the latest size line before it (999).
            bytes_delivered: 2005,
            deferred_messages: 1,
            approximate: false
        }
    );
    for cut in 0..=lines.len() {
        let mut acc = MessageTracker::default();
        acc.append(run(&lines[..cut]), &mut Parties::default(), 0, 0);
        acc.append(run(&lines[cut..]), &mut Parties::default(), 0, 0);
        acc.resolve_as_start();
        assert_eq!(acc.totals, whole.totals, "cut at {cut}");
    }
}

#[test]
fn message_split_across_parts_counts_once() {
    let all = [
        ("A1", 0, false),
        ("B2", 1, false),
        ("A1", 2, true),
        ("B2", 3, true),
    ];
    let mut whole = tracker_over(&all);
    whole.resolve_as_start();
    for cut in 0..=all.len() {
        let mut acc = MessageTracker::default();
        acc.append(tracker_over(&all[..cut]), &mut Parties::default(), 0, 0);
        acc.append(tracker_over(&all[cut..]), &mut Parties::default(), 0, 0);
        assert_eq!(acc.totals.messages, whole.totals.messages, "cut at {cut}");
    }
    assert_eq!(whole.totals.messages, 2);
}

#[test]
fn reused_id_after_finish_or_silence_is_new() {
    let mut t = tracker_over(&[("A1", 0, true), ("A1", 10, false)]);
    t.resolve_as_start();
    assert_eq!(t.totals.messages, 2);
    let mut t = tracker_over(&[("A1", 0, false), ("A1", MESSAGE_LIFETIME_SECS + 1, false)]);
    t.resolve_as_start();
    assert_eq!(t.totals.messages, 2);
    let mut acc = MessageTracker::default();
    acc.append(
        tracker_over(&[("A1", 0, true)]),
        &mut Parties::default(),
        0,
        0,
    );
    acc.append(
        tracker_over(&[("A1", 5, false)]),
        &mut Parties::default(),
        0,
        0,
    );
    acc.resolve_as_start();
    assert_eq!(acc.totals.messages, 2);
}

#[test]
fn an_id_reused_after_a_silence_credits_each_message_to_its_own_sender() {
    let later = MESSAGE_LIFETIME_SECS + 10;
    let arrival = |sender: &'static [u8], size| LineNews {
        received: true,
        size: Some(size),
        sender: Some(sender),
        client: Some(b"h[192.0.2.1]"),
        ..LineNews::default()
    };
    let delivery = LineNews {
        delivered: true,
        recipient: Some(b"r@x.test"),
        ..LineNews::default()
    };
    let lines = [
        (0, arrival(b"first@a.test", 10)),
        (1, delivery),
        (later, arrival(b"second@b.test", 20)),
        (later + 1, delivery),
    ];
    let run = |part: &[(i64, LineNews<'static>)]| {
        let mut t = MessageTracker::default();
        let mut p = Parties::default();
        for (time, news) in part {
            t.observe(b"A1", Some(*time), 0, false, news, &mut p);
        }
        (t, p)
    };
    let sorted = |t: &crate::tables::sampled::Tally<crate::count::parties::Traffic>| {
        let mut rows: Vec<_> = t
            .rows()
            .into_iter()
            .map(|(k, v)| (k, v.messages, v.bytes))
            .collect();
        rows.sort();
        rows
    };
    for cut in 0..=lines.len() {
        let mut acc = MessageTracker::default();
        let mut parties = Parties::default();
        for part in [&lines[..cut], &lines[cut..]] {
            let (t, mut p) = run(part);
            acc.resolve_as_start();
            acc.append(t, &mut p, 0, 0);
            parties.add(p);
        }
        acc.resolve_as_start();
        assert_eq!(acc.totals.messages, 2, "cut at {cut}");
        assert_eq!(acc.totals.bytes_received, 30, "cut at {cut}");
        assert_eq!(
            sorted(&parties.senders),
            vec![
                ("first@a.test".to_string(), 1, 10),
                ("second@b.test".to_string(), 1, 20)
            ],
            "cut at {cut}"
        );
        assert_eq!(
            sorted(&parties.recipients),
            vec![("r@x.test".to_string(), 2, 30)],
            "cut at {cut}"
        );
    }
}
