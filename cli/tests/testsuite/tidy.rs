//! Checks on the source tree itself: the conventions ARCHITECTURE.md relies on.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::root;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "archive" {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_doc_line() {
    let mut files = Vec::new();
    rust_files(&root(), &mut files);
    assert!(files.len() > 20);
    let missing: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//!"))
        .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! first line: {missing:?}"
    );
}

/// A target folder of the layer checks' own: cargo keeps what rustc said of
/// the target in `target/.rustc_info.json`, failures included, and one
/// failure recorded there (rustc once read a machine's broken /dev/null as
/// its source) made every check below say no.
fn tree_target() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// `cargo tree -i CRATE -p PACKAGE` succeeds exactly when PACKAGE depends on CRATE.
fn depends_on(package: &str, krate: &str) -> bool {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "-p",
            package,
            "-i",
            krate,
        ])
        .current_dir(root())
        .env("CARGO_TARGET_DIR", tree_target())
        // rustc, which cargo runs to learn the target, reads source from
        // its standard input: never the test's own.
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Not "no such dependency" but cargo failing: say why.
    assert!(!stderr.contains("failed to run"), "cargo tree: {stderr}");
    out.status.success() && !out.stdout.is_empty()
}

#[test]
fn layers_do_not_reach_up() {
    // The pixel and PDF crates are synchronous and know nothing of storage.
    for package in ["dossier-ocr", "dossier-pdf", "dossier-index"] {
        assert!(
            !depends_on(package, "tokio"),
            "{package} must not depend on tokio"
        );
        assert!(
            !depends_on(package, "dossier-store"),
            "{package} must not depend on the store"
        );
    }
    assert!(
        !depends_on("dossier-pdf", "dossier-ocr"),
        "pdf must not know OCR engines"
    );
    assert!(
        !depends_on("dossier-store", "image"),
        "the store must not know images"
    );
    assert!(
        !depends_on("dossier-store", "dossier-ocr"),
        "the store must not know OCR"
    );
    // The viewer reads the archive; it never runs the pipeline or OCR.
    for package in ["dossier-ingest", "dossier-ocr", "dossier-pdf"] {
        assert!(
            !depends_on("dossier-web", package),
            "the viewer must not depend on {package}"
        );
    }
    // Test servers stay out of what users run.
    for package in [
        "dossier-store",
        "dossier-cli",
        "dossier-web",
        "dossier-ingest",
    ] {
        assert!(
            !depends_on(package, "dossier-testkit"),
            "{package} must not depend on the testkit"
        );
    }
    // The check itself must be able to say yes.
    assert!(depends_on("dossier-ingest", "dossier-ocr"));
}
