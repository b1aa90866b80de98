//! The progress bar of `report`: a thread that draws the bytes the scan has read.

use smtplog::input::Input;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A progress bar on stderr (terminals only), fed by the bytes the scan reads from disk.
pub struct Progress {
    pub bytes: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    drawer: std::thread::JoinHandle<()>,
}

impl Progress {
    pub fn finish(self) {
        self.done.store(true, Ordering::Relaxed);
        let _ = self.drawer.join();
    }
}

pub fn progress_bar(inputs: &[Input]) -> Progress {
    let bytes = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let total = smtplog::input::total_size(inputs);
    let (b, d) = (Arc::clone(&bytes), Arc::clone(&done));
    let drawer = std::thread::spawn(move || {
        // The bar counts from the start, hidden, so that its rate and ETA are measured over
        // the whole run (a bar made late saw all the bytes so far arrive at once: TiB/s, and
        // an ETA stuck at 0s); it is shown after half a second, so short runs never flicker.
        let started = std::time::Instant::now();
        let bar = (total > 0).then(|| {
            let pb = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::hidden(),
            );
            pb.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            pb
        });
        let mut shown = false;
        while !d.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if let Some(pb) = &bar {
                pb.set_position(b.load(Ordering::Relaxed).min(total));
                if !shown && started.elapsed() > std::time::Duration::from_millis(500) {
                    pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    shown = true;
                }
            }
        }
        if let Some(pb) = bar {
            pb.finish_and_clear();
        }
    });
    Progress {
        bytes,
        done,
        drawer,
    }
}
