//! `dossier`: the command operators, archivists and auditors run.

mod archive;
mod args;
mod audit;
mod commands;
mod config;
mod correct;
mod follow;
mod output;
mod progress;
mod sheets;
mod watch;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::args::Cli;

/// Exit codes (docs/INTERFACE.md).
pub mod exit {
    /// Everything went as asked.
    pub const OK: u8 = 0;
    /// A fatal error: nothing more could be done.
    pub const FATAL: u8 = 1;
    /// Some inputs were rejected; the rest was stored.
    pub const REJECTED: u8 = 2;
    /// Integrity problems were found, or the file is not in the archive.
    pub const PROBLEMS: u8 = 3;
    /// No such dossier.
    pub const NOT_FOUND: u8 = 4;
}

fn main() -> ExitCode {
    reexec_with_runtime_settings();
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // Long-running commands say what they do; one-shot commands only speak up on errors.
    let default_level = match cli.command {
        args::Command::Watch(_) | args::Command::Serve(_) => "info",
        _ => "error",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DOSSIER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FATAL);
        }
    };
    // A bug met on some input is an error like any other, exit 1, not a
    // 101 abort: scripts around the CLI only know our exit codes.
    let settings = match config::resolve(&matches, &cli) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(exit::FATAL);
        }
    };
    let run = std::panic::AssertUnwindSafe(|| runtime.block_on(commands::run(cli, settings)));
    match std::panic::catch_unwind(run) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::FATAL)
        }
        Err(_) => {
            eprintln!(
                "error: dossier stopped on an internal error (the panic above); \
                 an ingest resumes where it stopped when run again. Please report it."
            );
            ExitCode::from(exit::FATAL)
        }
    }
}

/// Settings the C runtime reads only when the process starts, so when one is
/// unset this same binary runs again with them set:
/// - `OMP_THREAD_LIMIT=1`: libtesseract's OpenMP threads fight with the OCR workers.
/// - `MALLOC_ARENA_MAX=1`: one heap for all threads. glibc otherwise gives
///   threads their own arenas, and an arena other than the first grows in
///   separate 64 MiB heaps: a second one opening at some random point of a
///   long batch made peak memory jump by 50 MB.
/// - `MALLOC_MMAP_THRESHOLD_` (32 MiB, glibc's maximum) and `MALLOC_TRIM_THRESHOLD_`
///   (256 MiB): every page passes through several 9 MB buffers, which glibc
///   otherwise maps from the kernel and hands back again and again; kept in
///   the heap they are reused (half the page faults).
///
/// The measurements behind each are in `benches/results/2026-12-07-notes.md`.
fn reexec_with_runtime_settings() {
    const SETTINGS: [(&str, &str); 4] = [
        ("OMP_THREAD_LIMIT", "1"),
        ("MALLOC_ARENA_MAX", "1"),
        ("MALLOC_MMAP_THRESHOLD_", "33554432"),
        ("MALLOC_TRIM_THRESHOLD_", "268435456"),
    ];
    if SETTINGS
        .iter()
        .all(|(name, _)| std::env::var_os(name).is_some())
    {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut command = std::process::Command::new(exe);
    command.args(std::env::args_os().skip(1));
    for (name, value) in SETTINGS {
        if std::env::var_os(name).is_none() {
            command.env(name, value);
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // exec only returns on failure; then carry on with OpenMP as it is.
        let _ = command.exec();
    }
}
