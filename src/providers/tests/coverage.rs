//! The replies the provider issue lists, each picked by the rule it is meant to pick.

use super::*;

#[test]
fn covers_what_the_issue_lists() {
    let rules = rules();
    let pick = |text: &str, host: Option<&str>, direction| {
        rules
            .classify(text.as_bytes(), host.map(str::as_bytes), direction)
            .map(|id| rules.get(id).id.as_str())
    };
    let google = Some("gmail-smtp-in.l.google.com");
    let microsoft = Some("example-test.mail.protection.outlook.com");
    let yahoo = Some("mta5.am0.yahoodns.net");
    use Direction::{Received, Sent};
    for (text, host, direction, want) in [
        ("421 4.7.28 slow down", google, Received, "gmail-rate-limit"),
        (
            "550 5.7.26 unauthenticated",
            google,
            Received,
            "gmail-unauthenticated",
        ),
        (
            "550 5.7.30 DKIM did not pass",
            google,
            Received,
            "gmail-bulk-sender",
        ),
        ("550 5.7.25 no PTR", google, Received, "gmail-ptr"),
        (
            "550 5.7.1 does not meet IPv6 sending guidelines",
            google,
            Received,
            "gmail-ipv6",
        ),
        (
            "550 5.7.1 this message is likely unsolicited mail",
            google,
            Received,
            "gmail-spam-content",
        ),
        ("552 5.2.2 over quota", google, Received, "gmail-over-quota"),
        ("550 5.2.1 disabled", google, Received, "gmail-disabled"),
        ("550 5.7.606 banned", microsoft, Received, "ms-banned-ip"),
        ("550 5.7.649 banned", microsoft, Received, "ms-banned-ip"),
        (
            "451 4.7.500 Server busy",
            microsoft,
            Received,
            "ms-throttling",
        ),
        (
            "451 4.7.699 Server busy",
            microsoft,
            Received,
            "ms-throttling",
        ),
        (
            "550 5.7.1 part of their network is on our block list (S3150)",
            None,
            Received,
            "ms-network-blocked",
        ),
        (
            "550 5.7.1 blocked using Customer Block list",
            microsoft,
            Received,
            "ms-recipient-org-block",
        ),
        (
            "550 5.4.1 Recipient address rejected: Access denied",
            microsoft,
            Received,
            "ms-recipient-access-denied",
        ),
        (
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound",
            microsoft,
            Received,
            "ms-recipient-not-found",
        ),
        (
            "421 4.7.0 [TSS04] Messages deferred",
            None,
            Received,
            "yahoo-tss04",
        ),
        (
            "554 Message not allowed - [PH01] Email not accepted",
            None,
            Received,
            "yahoo-ph01",
        ),
        (
            "554 5.7.9 Message not accepted for policy reasons",
            yahoo,
            Received,
            "yahoo-dmarc",
        ),
        (
            "554 5.7.1 [CS01] Message rejected",
            Some("mx01.mail.icloud.com"),
            Received,
            "icloud-policy",
        ),
        (
            "554 No SMTP service",
            Some("mx00.emig.gmx.net"),
            Received,
            "ui-other",
        ),
        (
            "554 No SMTP service",
            Some("mx-ha03.web.de"),
            Received,
            "ui-other",
        ),
        (
            "421 Service refuse OFR_999 [999]",
            None,
            Received,
            "orange-refused",
        ),
        ("554 see #BL000010", None, Received, "comcast-blocklisted"),
        (
            "554 contact tosa@rx.t-online.de",
            None,
            Received,
            "t-online-blocked",
        ),
        (
            "550 spam message rejected",
            Some("mxs.mail.ru"),
            Received,
            "mailru-spam",
        ),
        (
            "554 5.7.1 Message rejected under suspicion of SPAM",
            Some("mx.yandex.net"),
            Received,
            "yandex-spam",
        ),
        (
            "550 Mail content denied",
            Some("mx3.qq.com"),
            Received,
            "qq-content-denied",
        ),
        (
            "554 5.7.1 blocked using zen.spamhaus.org",
            None,
            Sent,
            "spamhaus-zen",
        ),
        (
            "554 5.7.1 blocked using zen.spamhaus.org",
            None,
            Received,
            "spamhaus-zen",
        ),
        (
            "554 blocked using sbl.spamhaus.org",
            None,
            Sent,
            "spamhaus-sbl",
        ),
        (
            "554 blocked using xbl.spamhaus.org",
            None,
            Sent,
            "spamhaus-xbl",
        ),
        (
            "554 blocked using pbl.spamhaus.org",
            None,
            Sent,
            "spamhaus-pbl",
        ),
        (
            "554 rejected using dbl.spamhaus.org",
            None,
            Sent,
            "spamhaus-dbl",
        ),
        (
            "554 blocked using b.barracudacentral.org",
            None,
            Sent,
            "barracuda",
        ),
        ("554 blocked using bl.spamcop.net", None, Sent, "spamcop"),
        (
            "554 blocked using dnsbl-1.uceprotect.net",
            None,
            Sent,
            "uceprotect-1",
        ),
        ("554 blocked using dnsbl.sorbs.net", None, Sent, "sorbs"),
        (
            "554 5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=1",
            None,
            Received,
            "proofpoint-ip-blocked",
        ),
        (
            "550 Rejected by header based Anti-Spoofing policy",
            Some("eu-smtp-inbound-1.mimecast.com"),
            Received,
            "mimecast-policy",
        ),
    ] {
        assert_eq!(
            pick(text, host, direction),
            Some(want),
            "{text:?} from {host:?}"
        );
    }
}
