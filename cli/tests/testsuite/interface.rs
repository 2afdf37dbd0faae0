//! docs/INTERFACE.md is the contract operators' scripts rely on: these tests
//! hold it to what the binary does (commands, exit codes, JSON fields).

use std::collections::BTreeSet;
use std::process::Output;

use serde_json::Value;

use crate::util::{copy_dir, dossier, dossier_with_input, json, root};

fn contract() -> String {
    std::fs::read_to_string(root().join("docs/INTERFACE.md")).unwrap()
}

/// The lines of a section of the contract, up to the next heading of its level.
fn section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|line| !line.starts_with(heading))
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .collect()
}

/// `dossier --help`'s lines after `title`, up to the next blank line.
fn help_block(help: &str, title: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| line.trim() != title)
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn help() -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dossier(dir.path(), &["--help"]);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_command_is_in_the_contract_and_every_one_there_exists() {
    let binary: BTreeSet<String> = help_block(&help(), "Commands:")
        .iter()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .filter(|name| name != "help")
        .collect();
    let text = contract();
    let documented: BTreeSet<String> = section(&text, "## Commands")
        .into_iter()
        .filter(|line| line.starts_with("| `"))
        .flat_map(|line| {
            let cell = line.split('|').nth(1).unwrap();
            let names: Vec<String> = cell
                .split('`')
                .skip(1)
                .step_by(2)
                .filter_map(|code| code.split_whitespace().next().map(str::to_owned))
                .collect();
            names
        })
        .collect();
    assert_eq!(documented, binary);
}

#[test]
fn the_exit_codes_are_the_binarys() {
    let binary: BTreeSet<String> = help_block(&help(), "Exit codes:")
        .iter()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|word| word.parse::<u8>().is_ok())
        .map(str::to_owned)
        .collect();
    let text = contract();
    let documented: BTreeSet<String> = section(&text, "## Exit codes")
        .into_iter()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|word| word.parse::<u8>().is_ok())
        .map(str::to_owned)
        .collect();
    assert_eq!(documented, binary);
    assert_eq!(binary.len(), 5, "{binary:?}");
}

/// Each JSON example of the contract with the command line above it.
fn examples(text: &str) -> Vec<(String, Value)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(command) = line
            .strip_prefix("`dossier ")
            .and_then(|rest| rest.strip_suffix(" --json`"))
        else {
            continue;
        };
        assert_eq!(lines[i + 1], "```json", "an example follows {line}");
        let body: Vec<&str> = lines[i + 2..]
            .iter()
            .take_while(|l| **l != "```")
            .copied()
            .collect();
        let value = serde_json::from_str(&body.join("\n"))
            .unwrap_or_else(|e| panic!("the example of {command} is not JSON: {e}"));
        out.push((command.to_owned(), value));
    }
    out
}

/// The paths of `example` missing from `real`: every key of an object, and
/// the first element of an array where both have one.
fn missing(example: &Value, real: &Value, path: &str, out: &mut Vec<String>) {
    match (example, real) {
        (Value::Object(wanted), Value::Object(got)) => {
            for (key, value) in wanted {
                match got.get(key) {
                    Some(real) => missing(value, real, &format!("{path}.{key}"), out),
                    None => out.push(format!("{path}.{key}")),
                }
            }
        }
        (Value::Array(wanted), Value::Array(got)) => {
            if let (Some(first), Some(real)) = (wanted.first(), got.first()) {
                missing(first, real, &format!("{path}[0]"), out);
            }
        }
        (Value::Object(_) | Value::Array(_), _) => out.push(format!("{path} (another type)")),
        _ => {}
    }
}

#[test]
fn every_field_of_every_json_example_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    // The sample batch with one broken page, so that `rejected` has an entry.
    let batch = dir.path().join("B-1");
    copy_dir(&root().join("samples/batch"), &batch);
    std::fs::write(batch.join("INT-2026-00001/999.png"), b"not a PNG").unwrap();
    let pdf = dir.path().join("handed.pdf");
    let bag = dir.path().join("bag");
    let batch_arg = batch.to_str().unwrap();
    let bag_arg = bag.to_str().unwrap();
    let pdf_arg = pdf.to_str().unwrap();

    let mut outputs: Vec<(String, Value)> = Vec::new();
    let mut take = |name: &str, out: Output, code: i32| {
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "{name}: {stderr}");
        let value = json(&out);
        outputs.push((name.to_owned(), value.clone()));
        value
    };
    take(
        "ingest",
        dossier(&archive, &["ingest", batch_arg, "--json"]),
        2,
    );
    let shown = take(
        "show",
        dossier(&archive, &["show", "INT-2026-00002", "--json"]),
        0,
    );
    take(
        "search",
        dossier(&archive, &["search", "cameroun", "--json"]),
        0,
    );
    // A correction, a refused one beside it, so that `refused` has an entry.
    let corrections = dir.path().join("corrections.csv");
    std::fs::write(
        &corrections,
        "dossier,page,from,to\nINT-2026-00002,,CAMEROUN,Cameroun\nINT-2026-00003,1,NG0NO,NGONO\n",
    )
    .unwrap();
    let corrections_arg = corrections.to_str().unwrap();
    take(
        "correct",
        dossier(&archive, &["correct", "--csv", corrections_arg, "--json"]),
        2,
    );
    take(
        "show --history",
        dossier(&archive, &["show", "INT-2026-00002", "--history", "--json"]),
        0,
    );
    take("reindex", dossier(&archive, &["reindex", "--json"]), 0);
    take("keygen", dossier(&archive, &["keygen", "--json"]), 0);
    take("config", dossier(&archive, &["config", "--json"]), 0);
    let list = dir.path().join("list.csv");
    std::fs::write(&list, "dossier,name\nINT-2026-00004,ABENA Luc\n").unwrap();
    let sheets = dir.path().join("sheets.pdf");
    let (list_arg, sheets_arg) = (list.to_str().unwrap(), sheets.to_str().unwrap());
    take(
        "sheets",
        dossier(
            &archive,
            &[
                "sheets", "--out", sheets_arg, "--list", list_arg, "--pieces", "--json",
            ],
        ),
        0,
    );
    take(
        "export",
        dossier(
            &archive,
            &["export", "INT-2026-00002", "--bagit", bag_arg, "--json"],
        ),
        0,
    );
    let password = "a long enough password\n";
    let added = dossier_with_input(
        &archive,
        &[
            "user",
            "add",
            "amina",
            "--role",
            "archivist",
            "--password-stdin",
        ],
        password,
    );
    assert_eq!(added.status.code(), Some(0));
    take("user", dossier(&archive, &["user", "list", "--json"]), 0);
    // The dossier's PDF, as a person might hand it over.
    let pdf_key = shown["pdf"]["key"].as_str().unwrap();
    std::fs::copy(archive.join("objects").join(pdf_key), &pdf).unwrap();
    take(
        "verify-file",
        dossier(&archive, &["verify-file", pdf_arg, "--json"]),
        0,
    );
    // Last: a damaged object, so that `problems` has an entry.
    let page_key = shown["pages"][0]["image"]["key"].as_str().unwrap();
    std::fs::write(archive.join("objects").join(page_key), b"altered").unwrap();
    take("verify", dossier(&archive, &["verify", "--json"]), 3);

    let examples = examples(&contract());
    assert_eq!(examples.len(), outputs.len(), "one example per command run");
    for (command, example) in examples {
        let name = match command.split_whitespace().next().unwrap() {
            "show" if command.contains("--history") => "show --history",
            name => name,
        };
        let real = outputs
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no run of `{name}` here"));
        let mut gaps = Vec::new();
        missing(&example, &real.1, name, &mut gaps);
        assert!(
            gaps.is_empty(),
            "the contract names fields `dossier {command} --json` does not print: {gaps:?}\n{:#}",
            real.1
        );
    }
}
