//! Opening an archive folder: its store (local files unless it remembers
//! another) and its index.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::args::LockMode;
use crate::config::Settings;

/// `archive.toml`: what an archive remembers about itself.
#[derive(Debug, Serialize, Deserialize)]
struct Config {
    version: u32,
    /// Where objects live: `local` or an `s3://` URL.
    store: String,
    /// Path-style S3 addressing, once asked for.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    s3_path_style: bool,
    /// The Object Lock an ingest asked for, applied to everything stored after
    /// it (ledger records of `verify` included), so a WORM archive stays WORM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lock: Option<Lock>,
}

/// `[lock]` in `archive.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Lock {
    /// RFC 3339; once past, only the legal hold still applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retain_until: Option<String>,
    #[serde(default)]
    mode: LockMode,
    #[serde(default)]
    legal_hold: bool,
}

impl Lock {
    fn remember(retention: &store::Retention) -> Option<Lock> {
        let until = retention.until.map(rfc3339);
        (until.is_some() || retention.legal_hold).then_some(Lock {
            retain_until: until,
            mode: LockMode::of(retention.compliance),
            legal_hold: retention.legal_hold,
        })
    }

    /// What to apply now: a retention date that has passed no longer is.
    fn retention(&self, path: &Path) -> Result<store::Retention> {
        let until = match &self.retain_until {
            None => None,
            Some(text) => {
                let time = humantime::parse_rfc3339_weak(text).with_context(|| {
                    format!(
                        "{}: [lock] retain_until '{text}' is not an RFC 3339 time",
                        path.display()
                    )
                })?;
                let seconds = time
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                (time > std::time::SystemTime::now()).then_some(seconds)
            }
        };
        Ok(store::Retention {
            until,
            compliance: self.mode.is_compliance(),
            legal_hold: self.legal_hold,
        })
    }
}

/// "compliance retention until 2036-12-31T00:00:00Z, legal hold", or `None`.
fn describe(retention: &store::Retention) -> Option<String> {
    let until = retention.until.map(|seconds| {
        format!(
            "{} retention until {}",
            LockMode::of(retention.compliance).name(),
            rfc3339(seconds)
        )
    });
    let hold = retention.legal_hold.then(|| "legal hold".to_owned());
    let parts: Vec<String> = until.into_iter().chain(hold).collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn rfc3339(seconds: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds.max(0) as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}

/// An opened archive.
pub struct Archive {
    pub root: PathBuf,
    pub store: store::Store,
    pub index: Arc<index::Index>,
    /// The Object Lock stored objects get, in words; `None` without one.
    pub lock: Option<String>,
    /// The folder is new and its store already holds an archive: its index
    /// has yet to be built from the store.
    pub joined: bool,
}

/// Whether a command may make the archive when there is none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Opening {
    /// Reading or checking: a folder without an archive is an error, never
    /// an empty archive (a mistyped path must not read as "intact").
    Existing,
    /// Writing (`ingest`, `watch`, `keygen`, `user add`): makes it, and says so.
    CreateIfMissing,
}

impl Archive {
    /// Opens the archive the settings name. `retention`, when a command
    /// asks for Object Lock, applies it to what an S3 store stores and is
    /// remembered; without it the remembered lock applies.
    pub async fn open(
        settings: &Settings,
        retention: Option<store::Retention>,
        opening: Opening,
    ) -> Result<Archive> {
        let root = settings.archive.value.clone();
        if root.exists() && !root.is_dir() {
            bail!("{} is a file, not an archive folder", root.display());
        }
        let config_path = root.join("archive.toml");
        let remembered = read_config(&config_path)?;
        let store_url = match (&settings.store, &remembered) {
            (Some(url), _) => url.value.clone(),
            (None, Some(config)) => config.store.clone(),
            (None, None) => "local".to_owned(),
        };
        if remembered.is_none() && opening == Opening::Existing && store_url == "local" {
            bail!("{}", no_archive(settings));
        }
        let path_style =
            settings.s3_path_style.value || remembered.as_ref().is_some_and(|c| c.s3_path_style);
        // A lock belongs to the store it was asked for, not to a new one.
        let same_store = remembered.as_ref().is_some_and(|c| c.store == store_url);
        let lock = match (&retention, &remembered) {
            (Some(asked), _) => Lock::remember(asked),
            (None, Some(config)) if same_store => config.lock.clone(),
            (None, _) => None,
        };
        let retention = match (retention, &lock) {
            (Some(asked), _) => asked,
            (None, Some(lock)) => lock.retention(&config_path)?,
            (None, None) => store::Retention::default(),
        };
        let lock_words = describe(&retention);
        let store = open_store(&root, &store_url, path_style, retention).await?;
        let mut joined = false;
        if remembered.is_none() {
            joined = store.ledger_head().await?.is_some();
            if opening == Opening::Existing && !joined {
                bail!("{}", no_archive(settings));
            }
        }
        std::fs::create_dir_all(&root)
            .with_context(|| format!("creating archive folder {}", root.display()))?;
        let config = Config {
            version: 1,
            store: store_url,
            s3_path_style: path_style,
            lock,
        };
        let changed = remembered.as_ref().is_none_or(|old| {
            old.store != config.store
                || old.s3_path_style != config.s3_path_style
                || old.lock != config.lock
        });
        if changed {
            store::files::write_atomic(&config_path, toml::to_string(&config)?.as_bytes())?;
        }
        if remembered.is_none() {
            announce(&root, &store, joined);
        }
        let index = index::Index::open_or_create(&root.join("index"))
            .with_context(|| format!("opening the index in {}", root.join("index").display()))?;
        Ok(Archive {
            root,
            store,
            index: Arc::new(index),
            lock: lock_words,
            joined,
        })
    }
}

/// The store `url` names (`local`: the archive folder's own).
async fn open_store(
    root: &Path,
    url: &str,
    path_style: bool,
    retention: store::Retention,
) -> Result<store::Store> {
    if url == "local" {
        if retention.until.is_some() || retention.legal_hold {
            bail!("--retain-until and --legal-hold need an S3 store with Object Lock");
        }
        return Ok(store::Store::local(root));
    }
    if !url.starts_with("s3://") {
        bail!("unknown store '{url}': use s3://BUCKET[/PREFIX], or leave --store out");
    }
    let mut options = store::S3Options::from_url(url)?;
    options.path_style = path_style;
    options.retention = retention;
    if let Some(seconds) = env_number("DOSSIER_S3_ATTEMPT_TIMEOUT")? {
        options.attempt_timeout = std::time::Duration::from_secs_f64(seconds);
    }
    if let Some(attempts) = env_number("DOSSIER_S3_MAX_ATTEMPTS")? {
        options.max_attempts = (attempts as u32).max(1);
    }
    Ok(store::Store::new(Arc::new(
        store::S3::connect(options).await,
    )))
}

/// Said once, when a folder becomes an archive (on stderr: `--json` keeps
/// stdout to its one document).
fn announce(root: &Path, store: &store::Store, joined: bool) {
    let folder = root.display();
    let backend = store.backend().describe();
    if joined {
        eprintln!("Opened the archive in {backend} from a new archive folder {folder}.");
    } else {
        eprintln!("Created a new archive in {folder} (objects in {backend}).");
    }
}

/// Why a command that reads found nothing to read, and what to do.
fn no_archive(settings: &Settings) -> String {
    let archive = &settings.archive;
    let mut text = format!(
        "no archive at {} (archive folder from {}",
        archive.value.display(),
        archive.source
    );
    if let Some(store) = &settings.store {
        text += &format!("; and none in {} from {}", store.value, store.source);
    }
    text += "). Point at one with --archive DIR, DOSSIER_ARCHIVE or `archive = ...` in a \
             config file (`dossier config` shows what is in force), or make one with \
             `dossier ingest BATCH`.";
    text
}

impl Archive {
    /// Where the secret signing key lives: in the archive folder, never in the store.
    pub fn key_path(&self) -> PathBuf {
        self.root.join("keys").join("signing.key")
    }

    /// The signing key, created (and its public half registered) on first use.
    pub async fn signer(&self) -> Result<store::Signer> {
        let path = self.key_path();
        if path.exists() {
            return Ok(store::Signer::load(&path)?);
        }
        // Another station made the store's key: a new one here would replace
        // the public key every earlier seal is checked against.
        if let Some(public) = self.store.public_key().await? {
            bail!(
                "{} already seals with the key whose public half is {public}, and {} does not \
                 hold it: copy keys/signing.key from the station that made it into {}",
                self.store.backend().describe(),
                self.root.display(),
                self.root.join("keys").display()
            );
        }
        let signer = store::Signer::generate()?;
        match signer.save_new(&path) {
            Ok(()) => {}
            // Another process here made it a moment ago: that one is the key.
            Err(e) if store::files::already_exists(&e) => return Ok(store::Signer::load(&path)?),
            Err(e) => return Err(e.into()),
        }
        self.store.set_public_key(&signer.public_hex()).await?;
        eprintln!(
            "Created the archive's signing key {}; public key {}",
            path.display(),
            signer.public_hex()
        );
        Ok(signer)
    }

    /// This archive folder's name among the stations writing to its store
    /// (`ARCHIVE/station`, made on first use from the machine's name and a
    /// hashed part: two folders on one machine are two stations).
    pub fn station(&self) -> Result<String> {
        let path = self.root.join("station");
        match std::fs::read_to_string(&path) {
            Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
        let host: String = store::writers::host_name()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(40)
            .collect();
        // Unique enough to tell stations apart, not a secret.
        let seed = format!(
            "{host} {} {} {:?}",
            self.root.display(),
            std::process::id(),
            std::time::SystemTime::now()
        );
        let station = format!(
            "{}-{}",
            if host.is_empty() { "station" } else { &host },
            &store::sha256(seed.as_bytes()).hex()[..8]
        );
        store::files::write_atomic(&path, format!("{station}\n").as_bytes())?;
        Ok(station)
    }
}

/// A number from the environment, for tuning the S3 client (tests use short timeouts).
fn env_number(name: &str) -> Result<Option<f64>> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0)
            .map(Some)
            .with_context(|| format!("{name}={text} is not a positive number")),
        Err(_) => Ok(None),
    }
}

/// The store the archive at `root` remembers; `None` where there is no archive.
pub fn remembered_store(root: &Path) -> Result<Option<String>> {
    Ok(read_config(&root.join("archive.toml"))?.map(|config| config.store))
}

fn read_config(path: &Path) -> Result<Option<Config>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(
            toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
