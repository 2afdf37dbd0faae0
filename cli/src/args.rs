//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit codes:
  0  success (ingest: every input stored; verify: archive intact)
  1  fatal error, or a usage error: no archive at the path, a batch that does
     not exist, an inbox that is not a folder, a config file that cannot be read
  2  ingest: some inputs rejected, the rest stored
  3  verify, verify-file: problems found / file not in the archive
  2  correct: some corrections refused (named), the others made
  4  show, correct: no such dossier";

/// Turns scanned integration dossiers into a searchable, verifiable archive.
#[derive(Debug, Parser)]
#[command(name = "dossier", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, before or after its name.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// The archive folder: local index and, with the embedded store, the
    /// objects [default: `archive` in the current folder, unless a config
    /// file names one: see `dossier config`].
    #[arg(long, global = true, env = "DOSSIER_ARCHIVE")]
    pub archive: Option<PathBuf>,
    /// Keep objects in S3-compatible storage (s3://BUCKET[/PREFIX]) instead of the archive folder.
    #[arg(long, global = true, env = "DOSSIER_STORE")]
    pub store: Option<String>,
    /// Path-style S3 addressing (http://host/bucket/key), for MinIO, Garage and most local servers.
    #[arg(long, global = true, env = "DOSSIER_S3_PATH_STYLE", value_parser = clap::builder::FalseyValueParser::new())]
    pub s3_path_style: bool,
    /// Print exactly one JSON document on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the pipeline on one or more scanner batches.
    Ingest(IngestArgs),
    /// Full-text search over page text.
    #[command(after_help = SEARCH_HELP)]
    Search(SearchArgs),
    /// A dossier's manifest: its pages, their text, hashes and the PDF.
    Show(ShowArgs),
    /// Correct what OCR misread: a new version of the dossier, the machine reading kept.
    #[command(after_help = CORRECT_HELP)]
    Correct(CorrectArgs),
    /// Rebuild the search index from the store alone.
    Reindex,
    /// Fixity: re-hash stored objects against the ledger and manifests; check the ledger's chain and seals.
    Verify(VerifyArgs),
    /// Is this exact file in the archive, and where?
    VerifyFile(VerifyFileArgs),
    /// Export a dossier.
    Export(ExportArgs),
    /// Create the archive's Ed25519 key that signs batch seals, and print its public half.
    Keygen(KeygenArgs),
    /// The web viewer for archivists and auditors.
    Serve(ServeArgs),
    /// A hot folder: ingest each batch dropped in INBOX once it has finished arriving.
    Watch(WatchArgs),
    /// Viewer accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// The settings in force (archive, store, viewer address) and where each came from.
    #[command(after_help = CONFIG_HELP)]
    Config,
    /// Print separator sheets for scanner stacks: a cover sheet per dossier, a piece sheet per kind.
    #[command(after_help = SHEETS_HELP)]
    Sheets(SheetsArgs),
}

const SHEETS_HELP: &str = "\
A stack given to `dossier ingest` (one PDF or TIFF, or a folder of page files
in scan order) is split at its sheets: each cover sheet starts a dossier, each
piece sheet gives its kind to the pages after it. Sheets are kept with the
stack, not made pages of the dossier.

The candidate list (CSV with a header row and a `dossier` column, or TOML with
a table per dossier) gives each cover sheet its name and corps, becomes the
dossiers' metadata, and is kept in the archive folder: from then on a cover
sheet naming a dossier not in the list (nor archived) is refused.

Pages the split cannot place are reported with their numbers and kept with the
stack; name their sheets in STACK.sheets.toml beside a stack file (sheets.toml
in a stack folder) and ingest the stack again:
  continues = \"INT-2026-00001\"   # the stack starts inside this dossier
  [pages]
  7 = \"cover INT-2026-00002\"     # a cover sheet whose codes were not read
  12 = \"piece diploma\"
  13 = \"page\"                    # not a sheet after all";

#[derive(Debug, Args)]
pub struct SheetsArgs {
    /// Where to write the PDF/A of sheets.
    #[arg(long, short)]
    pub out: PathBuf,
    /// The candidate list: a cover sheet for each of its dossiers.
    #[arg(long)]
    pub list: Option<PathBuf>,
    /// A cover sheet for this dossier too (repeat for more).
    #[arg(long = "dossier")]
    pub dossiers: Vec<String>,
    /// Also a piece sheet for each kind of document (alone, without --list or --dossier).
    #[arg(long)]
    pub pieces: bool,
}

const CONFIG_HELP: &str = "\
Each source overrides the one before it:
  /etc/dossier/config.toml        the machine's settings
  ~/.config/dossier/config.toml   the user's ($XDG_CONFIG_HOME/dossier/config.toml)
  DOSSIER_ARCHIVE, DOSSIER_STORE, DOSSIER_S3_PATH_STYLE, DOSSIER_SERVE_ADDR
  --archive, --store, --s3-path-style, serve --addr

A config file:
  archive = \"/srv/dossier/archive\"      # relative paths start at the file's folder
  store = \"s3://dossiers/minfopra\"
  s3_path_style = true
  [serve]
  addr = \"127.0.0.1:8080\"";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080, unless a config file
    /// names one]. Put a TLS-terminating proxy in front for anything but localhost.
    #[arg(long, env = "DOSSIER_SERVE_ADDR")]
    pub addr: Option<std::net::SocketAddr>,
    /// Also serve Prometheus metrics at http://ADDR/metrics (no sign-in: keep it internal).
    #[arg(long)]
    pub metrics: Option<std::net::SocketAddr>,
    /// Cookies without the Secure attribute, so sign-in works over plain HTTP
    /// on a closed network. Sessions then travel in clear text: off by default.
    #[arg(long)]
    pub insecure_cookies: bool,
    /// Words read with less confidence than this (0-100) are doubtful: boxed
    /// for correction, their pages in the review queue.
    #[arg(long, default_value_t = 80.0, value_parser = confidence)]
    pub review_below: f32,
    /// Seconds between looks at the store's ledger, so that what any station
    /// stores is searchable here within that time.
    #[arg(long, default_value_t = 5.0, value_parser = seconds)]
    pub follow_every: f64,
    /// The reverse proxy in front of the viewer (repeat for a chain): its
    /// X-Forwarded-For then names the client, for sign-in throttling and
    /// the access log. From any other address the header is ignored.
    #[arg(
        long = "trusted-proxy",
        value_name = "IP",
        env = "DOSSIER_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if (0.1..=3600.0).contains(&value) => Ok(value),
        _ => Err(format!(
            "'{text}' is not a number of seconds from 0.1 to 3600"
        )),
    }
}

fn confidence(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(value) if (0.0..=100.0).contains(&value) => Ok(value),
        _ => Err(format!("'{text}' is not a confidence from 0 to 100")),
    }
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The folder scanners drop batch folders or stack files (PDF, TIFF) into.
    /// Batches move to INBOX/_done or INBOX/_failed.
    pub inbox: PathBuf,
    /// A batch without a `.done` marker is taken once unchanged for this many seconds.
    #[arg(long, default_value_t = 10.0)]
    pub settle: f64,
    /// Seconds between looks at the inbox.
    #[arg(long, default_value_t = 2.0)]
    pub poll: f64,
    /// Take what is in the inbox, wait for what is still arriving, then exit.
    #[arg(long)]
    pub once: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics.
    #[arg(long)]
    pub metrics: Option<std::net::SocketAddr>,
    /// Tesseract languages.
    #[arg(long, default_value = "fra+eng")]
    pub lang: String,
    /// OCR workers (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Add {
        name: String,
        /// operator, archivist, auditor or admin.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of stdin instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List,
    /// Stop an account from signing in; its open sessions end at their next request.
    Disable { name: String },
    /// Allow a disabled account again (sessions from before stay ended).
    Enable { name: String },
    /// Set a new password; the account's open sessions end.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// End every open session of an account, in every viewer, at its next request.
    Logout { name: String },
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Only these dossiers' objects (the ledger is always checked).
    pub dossiers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VerifyFileArgs {
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    pub dossier: String,
    /// Write a BagIt bag (RFC 8493) into this new folder.
    #[arg(long, required = true)]
    pub bagit: PathBuf,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Replace an existing key (earlier seals stay verifiable by the key they name).
    #[arg(long)]
    pub force: bool,
}

const SEARCH_HELP: &str = "\
Query syntax:
  ngono marie                  pages with both words, in the text or the candidate's name
                               (accents, case and endings do not matter: integration
                               finds intégration; English pages use English stemming)
  \"acte de naissance\"          the exact phrase
  ngono OR mbarga              either word; diplome -master: diplome but not master
  ngono~1                      a fuzzy term: one edit away (ngono~2: two), for garbled OCR
  dossier:INT-2026-04711       one dossier (or --dossier)
  kind:birth-certificate       a kind of document: birth-certificate, diploma,
                               medical-certificate, criminal-record, application-letter,
                               decree, id-card, other
  lang:eng                     English pages (lang:fra for French)
  name:ngono birth_place:douala corps:infirmiers application_no:10001
                               the candidate's metadata from dossier.toml
  scanned:[2026-01-01 TO 2026-06-30]
                               scanned in that range (from batch.toml's scanned_at)
Results show matching pages with the hits in bold, then counts by kind and year.";

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Batch folders (one subfolder per dossier), or scanner stacks split
    /// at their separator sheets: a multi-page PDF or TIFF, or a folder of
    /// page files in scan order.
    #[arg(required = true)]
    pub batches: Vec<PathBuf>,
    /// Tesseract languages.
    #[arg(long, default_value = "fra+eng")]
    pub lang: String,
    /// OCR workers (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Print the time spent in each stage of the pipeline (always in the JSON).
    #[arg(long)]
    pub stats: bool,
    /// S3 Object Lock: no stored object can be deleted or overwritten before
    /// this date (YYYY-MM-DD, or an RFC 3339 time). The bucket needs Object Lock.
    /// The archive remembers it (with --lock-mode and --legal-hold) for every
    /// later command that stores, until an ingest names another.
    #[arg(long, value_parser = parse_retain_until)]
    pub retain_until: Option<i64>,
    /// Object Lock mode for --retain-until: compliance (nobody, not even an
    /// administrator, can shorten it) or governance.
    #[arg(
        long,
        value_enum,
        default_value = "compliance",
        requires = "retain_until"
    )]
    pub lock_mode: LockMode,
    /// S3 Object Lock: a legal hold on every stored object, until lifted.
    #[arg(long)]
    pub legal_hold: bool,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum LockMode {
    #[default]
    Compliance,
    Governance,
}

impl LockMode {
    /// The mode of a store retention's `compliance` flag.
    pub fn of(compliance: bool) -> LockMode {
        if compliance {
            LockMode::Compliance
        } else {
            LockMode::Governance
        }
    }

    /// The store's flag for this mode.
    pub fn is_compliance(self) -> bool {
        self == LockMode::Compliance
    }

    /// The mode as the command line and `archive.toml` spell it.
    pub fn name(self) -> &'static str {
        match self {
            LockMode::Compliance => "compliance",
            LockMode::Governance => "governance",
        }
    }
}

/// A retention date, as seconds since the epoch; it must lie in the future.
fn parse_retain_until(text: &str) -> Result<i64, String> {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    let time = humantime::parse_rfc3339_weak(&full)
        .map_err(|_| format!("'{text}' is not a date (YYYY-MM-DD or RFC 3339)"))?;
    let seconds = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| format!("'{text}' is before 1970"))?
        .as_secs() as i64;
    if time <= std::time::SystemTime::now() {
        return Err(format!(
            "'{text}' is already past: retention must end in the future"
        ));
    }
    Ok(seconds)
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    pub query: String,
    /// Only this dossier.
    #[arg(long)]
    pub dossier: Option<String>,
    /// Most hits (or dossiers, with --group) shown.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// One line per dossier, listing its matching pages.
    #[arg(long)]
    pub group: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub dossier: String,
    /// Every version of the dossier: who made it, when, and the words changed.
    #[arg(long)]
    pub history: bool,
}

const CORRECT_HELP: &str = "\
A correction is a new version of the dossier: its words, text, hOCR, ALTO and
the PDF/A's text layer say what you wrote, at the words' places on the page.
The machine reading and every earlier version stay in the archive; the ledger
records who changed what (`dossier show --history ID`).

  dossier correct INT-2026-00001 --page 2 --from 'NG0NO' --to 'NGONO'
  dossier correct --csv corrections.csv --dry-run

The CSV has a header row naming `dossier`, `page` (empty: every page),
`from` and `to`; `;` or `,` between fields.";

#[derive(Debug, Args)]
pub struct CorrectArgs {
    /// The dossier to correct.
    #[arg(required_unless_present = "csv", conflicts_with = "csv")]
    pub dossier: Option<String>,
    /// Only this page (from 1) [default: every page].
    #[arg(long, conflicts_with = "csv")]
    pub page: Option<usize>,
    /// The text as OCR read it, in one line of the page.
    #[arg(long, required_unless_present = "csv", conflicts_with = "csv")]
    pub from: Option<String>,
    /// What it should say.
    #[arg(long, required_unless_present = "csv", conflicts_with = "csv")]
    pub to: Option<String>,
    /// Corrections in bulk: dossier, page, from, to.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Say what would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Who corrects, as the ledger will name them [default: cli:$USER].
    #[arg(long)]
    pub by: Option<String>,
}
