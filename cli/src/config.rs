//! Where the archive, the store and the viewer's address come from: the
//! system's config file, then the user's, then `DOSSIER_*` variables, then
//! flags, each overriding the one before.
//!
//! Operators and archivists then get the same archive from whatever folder
//! they stand in, and `dossier config` says which value is in force and why.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ArgMatches;
use clap::parser::ValueSource;
use serde::{Deserialize, Serialize};

use crate::args::{Cli, Command};
use crate::{exit, output};

/// The system-wide config file.
pub const SYSTEM_FILE: &str = "/etc/dossier/config.toml";

/// The archive folder when nothing names one.
const DEFAULT_ARCHIVE: &str = "archive";

/// The viewer's address when nothing names one: this machine only.
const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// The variable that sets the viewer's address.
pub const ADDR_VARIABLE: &str = "DOSSIER_SERVE_ADDR";

/// A config file: every key optional, an unknown key an error (a typo must
/// not quietly leave the default in force).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    archive: Option<PathBuf>,
    store: Option<String>,
    s3_path_style: Option<bool>,
    #[serde(default)]
    serve: ServeSection,
}

/// `[serve]` in a config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServeSection {
    addr: Option<SocketAddr>,
}

/// Where a value in force came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "name")]
pub enum Source {
    Default,
    File(PathBuf),
    Env(String),
    Flag,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Env(name) => f.write_str(name),
            Source::Flag => f.write_str("command line"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

/// The settings in force for this run.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub archive: Sourced<PathBuf>,
    /// `None`: the store the archive remembers (its own folder when new).
    pub store: Option<Sourced<String>>,
    pub s3_path_style: Sourced<bool>,
    pub addr: Sourced<SocketAddr>,
    /// The config files looked at, in order.
    pub files: Vec<ConfigFile>,
}

/// A config file looked at, and whether it was there.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub found: bool,
}

/// The config files, in the order they apply: the system's, then the user's.
pub fn file_paths() -> Vec<PathBuf> {
    let user = dirs::config_dir().map(|dir| dir.join("dossier").join("config.toml"));
    std::iter::once(PathBuf::from(SYSTEM_FILE))
        .chain(user)
        .collect()
}

/// The settings for `cli`: its flags and variables (as clap read them,
/// `matches` telling which was which) over the config files over defaults.
pub fn resolve(matches: &ArgMatches, cli: &Cli) -> Result<Settings> {
    let leaf = innermost(matches);
    let mut files = Vec::new();
    let mut read = Vec::new();
    for path in file_paths() {
        let file = read_file(&path)?;
        files.push(ConfigFile {
            path: path.clone(),
            found: file.is_some(),
        });
        read.extend(file.map(|file| (path, file)));
    }
    let archive = given(
        leaf,
        "archive",
        "DOSSIER_ARCHIVE",
        cli.global.archive.clone(),
    )
    .or_else(|| {
        from_files(&read, |path, file| {
            file.archive
                .as_deref()
                .map(|archive| relative_to(path, archive))
        })
    })
    .unwrap_or_else(|| default(PathBuf::from(DEFAULT_ARCHIVE)));
    let store = given(leaf, "store", "DOSSIER_STORE", cli.global.store.clone())
        .or_else(|| from_files(&read, |_, file| file.store.clone()));
    let s3_path_style = given(
        leaf,
        "s3_path_style",
        "DOSSIER_S3_PATH_STYLE",
        Some(cli.global.s3_path_style),
    )
    .or_else(|| from_files(&read, |_, file| file.s3_path_style))
    .unwrap_or_else(|| default(false));
    let addr = match &cli.command {
        Command::Serve(args) => given(leaf, "addr", ADDR_VARIABLE, args.addr),
        _ => address_variable()?,
    }
    .or_else(|| from_files(&read, |_, file| file.serve.addr))
    .unwrap_or_else(|| default(DEFAULT_ADDR.parse().expect("a valid address")));
    Ok(Settings {
        archive,
        store,
        s3_path_style,
        addr,
        files,
    })
}

/// The viewer's address from its variable, for commands other than `serve`
/// (whose flag clap reads with the variable): `dossier config` shows it too.
fn address_variable() -> Result<Option<Sourced<SocketAddr>>> {
    let Ok(text) = std::env::var(ADDR_VARIABLE) else {
        return Ok(None);
    };
    let value = text.trim().parse().with_context(|| {
        format!("{ADDR_VARIABLE}={text} is not an address such as 127.0.0.1:8080")
    })?;
    Ok(Some(Sourced {
        value,
        source: Source::Env(ADDR_VARIABLE.to_owned()),
    }))
}

/// The value the last config file that sets one gives, with that file.
fn from_files<T>(
    read: &[(PathBuf, File)],
    pick: impl Fn(&Path, &File) -> Option<T>,
) -> Option<Sourced<T>> {
    read.iter().rev().find_map(|(path, file)| {
        pick(path, file).map(|value| Sourced {
            value,
            source: Source::File(path.clone()),
        })
    })
}

fn default<T>(value: T) -> Sourced<T> {
    Sourced {
        value,
        source: Source::Default,
    }
}

/// `value` with its source, when the flag or its variable gave argument
/// `id`; `None` when clap only filled in its default.
fn given<T>(
    matches: &ArgMatches,
    id: &str,
    variable: &str,
    value: Option<T>,
) -> Option<Sourced<T>> {
    let source = match matches.value_source(id)? {
        ValueSource::CommandLine => Source::Flag,
        ValueSource::EnvVariable => Source::Env(variable.to_owned()),
        _ => return None,
    };
    value.map(|value| Sourced { value, source })
}

/// The matches of the innermost subcommand: global options reach it
/// wherever they were written.
fn innermost(matches: &ArgMatches) -> &ArgMatches {
    match matches.subcommand() {
        Some((_, sub)) => innermost(sub),
        None => matches,
    }
}

/// A path in a config file is relative to the file's folder.
fn relative_to(file: &Path, path: &Path) -> PathBuf {
    match file.parent() {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_owned(),
    }
}

fn read_file(path: &Path) -> Result<Option<File>> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .map(Some)
            .with_context(|| format!("reading the config file {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading the config file {}", path.display())),
    }
}

/// `dossier config`: each setting in force and where it came from.
pub fn print(settings: &Settings, json: bool) -> Result<u8> {
    let archive = &settings.archive.value;
    let remembered = crate::archive::remembered_store(archive)?;
    if json {
        let mut value = serde_json::to_value(settings)?;
        value["archive_exists"] = remembered.is_some().into();
        output::json(&value)?;
        return Ok(exit::OK);
    }
    let row = |name: &str, value: &str, source: &Source| {
        println!("{name:<14} {value:<40} {source}");
    };
    let mut folder = archive.display().to_string();
    if remembered.is_none() {
        folder += " (no archive there yet)";
    }
    row("archive", &folder, &settings.archive.source);
    match (&settings.store, remembered) {
        (Some(store), _) => row("store", &store.value, &store.source),
        (None, Some(url)) => println!(
            "{:<14} {url:<40} {}",
            "store",
            archive.join("archive.toml").display()
        ),
        (None, None) => println!(
            "{:<14} {:<40} default",
            "store", "local (the archive folder)"
        ),
    }
    let style = &settings.s3_path_style;
    row("s3_path_style", &style.value.to_string(), &style.source);
    row(
        "serve.addr",
        &settings.addr.value.to_string(),
        &settings.addr.source,
    );
    println!(
        "\nConfig files, each overriding the one before, then DOSSIER_* variables, then flags:"
    );
    for file in &settings.files {
        let state = if file.found { "read" } else { "not there" };
        println!("  {:<40} {state}", file.path.display());
    }
    Ok(exit::OK)
}
