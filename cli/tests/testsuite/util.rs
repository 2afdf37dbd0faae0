//! What the tests of the `dossier` binary share: the binary run with a clean
//! environment, the repository's folders, JSON output, copies of batches.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dossier")
}

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `samples/`: the generator's committed batch and truth.
pub fn samples() -> PathBuf {
    root().join("samples")
}

/// The binary with none of the machine's `DOSSIER_*` variables and none of
/// its user's config files: a test sees only the settings it gives.
pub fn command() -> Command {
    let mut command = Command::new(bin());
    for (name, _) in std::env::vars() {
        if name.starts_with("DOSSIER_") {
            command.env_remove(name);
        }
    }
    command.env("XDG_CONFIG_HOME", root().join("target/no-user-config"));
    command
}

/// `dossier ARGS --archive ARCHIVE`, run to its end.
pub fn dossier(archive: &Path, args: &[&str]) -> Output {
    command()
        .args(args)
        .arg("--archive")
        .arg(archive)
        .output()
        .unwrap()
}

/// [`dossier`] with `input` on its standard input (a password, say).
pub fn dossier_with_input(archive: &Path, args: &[&str], input: &str) -> Output {
    let mut dossier = command();
    dossier.args(args).arg("--archive").arg(archive);
    run_with_input(dossier, input)
}

/// Runs `command` to its end with `input` on its standard input.
pub fn run_with_input(mut command: Command, input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// The one JSON document a command printed.
pub fn json(output: &Output) -> Value {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        panic!("stdout is not one JSON document ({e}): {text}\n{stderr}")
    })
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A clean, straight page at 300 dpi of a title and lines, saved as `path`:
/// paper whose words the tests choose.
pub fn print_page(path: &Path, title: &str, lines: &[&str], seed: u64) {
    use samples::documents::{Block, Document, Style};
    use samples::render;
    let block = |style, text: &str| Block {
        style,
        text: text.to_owned(),
    };
    let mut blocks = vec![block(Style::Title, title)];
    blocks.extend(lines.iter().map(|line| block(Style::Line, line)));
    let doc = Document {
        kind: "other",
        lang: "fra",
        blocks,
    };
    let families = render::load_families(&render::font_dir()).unwrap();
    let mut rng = samples::rng::Rng::new(seed);
    let (grey, _) = render::render(&doc, &families[0], &clean_style(), &mut rng);
    grey.save(path).unwrap();
}

/// A clean, straight page at 300 dpi: no skew, noise, blur, specks or marks.
pub fn clean_style() -> samples::render::PageStyle {
    samples::render::PageStyle {
        dpi: 300,
        body_pt: 12.0,
        skew_degrees: 0.0,
        noise: 0.0,
        blur: false,
        specks: 0,
        rotation: 0,
        marks: Default::default(),
    }
}
