//! A wrong path gets a clear error, never a confident wrong answer; the
//! archive is found from config files, variables and flags, wherever the
//! user stands.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::util::{command, samples};

/// `dossier ARGS` run from `cwd`, with `config` as the user's config folder
/// and no `DOSSIER_*` variable but those in `env`.
fn dossier_in(cwd: &Path, config: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = command();
    command
        .args(args)
        .current_dir(cwd)
        .env("XDG_CONFIG_HOME", config);
    command.envs(env.iter().copied());
    command.output().unwrap()
}

/// `dossier ARGS --archive ARCHIVE` run from a scratch folder.
fn dossier(archive: &Path, args: &[&str]) -> Output {
    let scratch = tempfile::tempdir().unwrap();
    let mut all = args.to_vec();
    all.extend(["--archive", archive.to_str().unwrap()]);
    dossier_in(scratch.path(), scratch.path(), &[], &all)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn reading_commands_on_a_folder_without_an_archive_say_so_and_make_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("archve");
    let page = samples().join("batch/INT-2026-00001/001.png");
    let bag = dir.path().join("bag");
    let commands: [&[&str]; 8] = [
        &["verify"],
        &["search", "foo"],
        &["show", "INT-2026-00001"],
        &["reindex"],
        &["verify-file", page.to_str().unwrap()],
        &["export", "INT-2026-00001", "--bagit", bag.to_str().unwrap()],
        &["user", "list"],
        &["serve", "--addr", "127.0.0.1:0"],
    ];
    for args in commands {
        let out = dossier(&typo, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(
            said.contains(&format!("no archive at {}", typo.display())),
            "{args:?}: {said}"
        );
        assert!(said.contains("dossier ingest"), "how to make one: {said}");
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
        assert!(!typo.exists(), "{args:?} made {}", typo.display());
    }
    // The default folder is no different: nothing is made where the user stands.
    let out = dossier_in(dir.path(), dir.path(), &[], &["search", "foo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no archive at archive"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("archive").exists());
}

#[test]
fn an_archive_without_a_dossier_is_said_to_hold_none_not_to_be_intact() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    let made = dossier(&archive, &["keygen"]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    assert!(stderr(&made).contains("Created a new archive"));

    let out = dossier(&archive, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(said.contains("holds no dossier yet"), "{said}");
    assert!(!said.contains("Intact"), "{said}");
    let out = dossier(&archive, &["verify", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dossiers"], 0, "{report}");
}

#[test]
fn a_missing_batch_or_inbox_is_a_usage_error_before_anything_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let missing = dir.path().join("batch-17");
    let out = dossier(&archive, &["ingest", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "the batch folder {} does not exist",
            missing.display()
        )),
        "{}",
        stderr(&out)
    );
    assert!(!archive.exists());

    // A file given as a batch is a scanner stack: a page with no cover
    // sheet before it is not placed, but reported and kept.
    let file = samples().join("batch/INT-2026-00001/001.png");
    let stack_archive = dir.path().join("stack-archive");
    let out = dossier(&stack_archive, &["ingest", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("001.png (pages 1): not placed: no cover sheet before them"),
        "{stdout}"
    );

    let inbox = dir.path().join("inbox");
    let out = dossier(&archive, &["watch", inbox.to_str().unwrap(), "--once"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "the inbox folder {} does not exist",
            inbox.display()
        )),
        "{}",
        stderr(&out)
    );
    assert!(!archive.exists() && !inbox.exists());
}

#[test]
fn the_archive_comes_from_config_files_then_variables_then_flags() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::create_dir_all(config.join("dossier")).unwrap();
    std::fs::write(
        config.join("dossier/config.toml"),
        "archive = \"../archives/main\"\n[serve]\naddr = \"127.0.0.1:9191\"\n",
    )
    .unwrap();
    let elsewhere = home.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let from_file = config.join("archives/main");

    // Ingest from anywhere lands in the file's archive (a path relative to
    // the file's folder), said once; search from elsewhere finds it.
    let batch = samples().join("batch");
    let out = dossier_in(
        &elsewhere,
        &config,
        &[],
        &["ingest", batch.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out).matches("Created a new archive").count(), 1);
    assert!(from_file.join("archive.toml").exists());
    assert!(!elsewhere.join("archive").exists());
    let out = dossier_in(&elsewhere, &config, &[], &["search", "naissance", "--json"]);
    let hits: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(hits["total"].as_u64().unwrap() >= 3, "{hits}");

    let settings = |env: &[(&str, &str)], args: &[&str]| -> Value {
        let mut all = vec!["config", "--json"];
        all.extend(args);
        let out = dossier_in(&elsewhere, &config, env, &all);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let file_source = config.join("dossier/config.toml");
    let shown = settings(&[], &[]);
    assert_eq!(
        PathBuf::from(shown["archive"]["value"].as_str().unwrap()),
        config.join("dossier/../archives/main")
    );
    assert_eq!(shown["archive"]["source"]["kind"], "file");
    assert_eq!(
        shown["archive"]["source"]["name"],
        file_source.to_str().unwrap()
    );
    assert_eq!(shown["archive_exists"], true);
    assert_eq!(shown["addr"]["value"], "127.0.0.1:9191");
    assert_eq!(shown["s3_path_style"]["source"]["kind"], "default");

    // A variable overrides the file, a flag overrides the variable.
    let shown = settings(
        &[
            ("DOSSIER_ARCHIVE", "/srv/var"),
            ("DOSSIER_SERVE_ADDR", "0.0.0.0:80"),
        ],
        &[],
    );
    assert_eq!(shown["archive"]["value"], "/srv/var");
    assert_eq!(shown["archive"]["source"]["name"], "DOSSIER_ARCHIVE");
    assert_eq!(shown["addr"]["source"]["name"], "DOSSIER_SERVE_ADDR");
    assert_eq!(shown["archive_exists"], false);
    let shown = settings(
        &[("DOSSIER_ARCHIVE", "/srv/var")],
        &["--archive", "/srv/flag"],
    );
    assert_eq!(shown["archive"]["value"], "/srv/flag");
    assert_eq!(shown["archive"]["source"]["kind"], "flag");

    // Said in words too, with each value's source.
    let out = dossier_in(&elsewhere, &config, &[], &["config"]);
    let said = stdout(&out);
    assert!(said.contains(file_source.to_str().unwrap()), "{said}");
    assert!(said.contains("127.0.0.1:9191"), "{said}");

    // A typo in a config file is an error naming the file, not a default.
    std::fs::write(config.join("dossier/config.toml"), "archiv = \"/srv\"\n").unwrap();
    let out = dossier_in(&elsewhere, &config, &[], &["config"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(file_source.to_str().unwrap()),
        "{}",
        stderr(&out)
    );
}
