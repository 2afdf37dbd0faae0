//! Progress bars on stderr, drawn only when stderr is a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ingest::Outcome;

/// Pages processed out of pages found so far.
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub fn new() -> Bar {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} pages  {msg}",
                )
                .expect("the template is valid"),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        Bar { bar }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl ingest::Progress for Bar {
    fn pages_found(&self, pages: u64) {
        self.bar.inc_length(pages);
    }

    fn page_done(&self) {
        self.bar.inc(1);
    }

    fn dossier_done(&self, dossier: &str, outcome: Outcome) {
        let what = match outcome {
            Outcome::Stored => "stored",
            Outcome::Unchanged => "unchanged",
            Outcome::NotStored => "not stored",
        };
        self.bar.set_message(format!("{dossier} {what}"));
    }
}
