//! The door through which the viewer asks for a correction. The viewer must
//! not know how a dossier is written (ARCHITECTURE.md): `dossier serve` hands
//! it an implementation that makes the new version; without one, the viewer
//! shows the text and refuses corrections.

use std::future::Future;
use std::pin::Pin;

/// A line of a page, rewritten by a person.
#[derive(Debug, Clone)]
pub struct LineEdit {
    pub dossier: String,
    /// The account correcting.
    pub by: String,
    pub page: usize,
    pub line: u32,
    /// The line as the person saw it, so an edit over someone else's is refused.
    pub old: String,
    pub new: String,
}

/// Why a correction was not made.
#[derive(Debug, Clone)]
pub enum Refused {
    NotFound,
    /// The edit cannot apply (no such line, bad text, nothing changed).
    Invalid(String),
    /// The line changed since the person read it.
    Changed(String),
    /// An ingest holds the archive: try again when it ends.
    Busy(String),
    /// Something failed while writing: logged with a reference.
    Failed(String),
}

/// Makes corrections: the new version's number, or why not.
pub trait Corrections: Send + Sync + 'static {
    fn correct(
        &self,
        edit: LineEdit,
    ) -> Pin<Box<dyn Future<Output = Result<usize, Refused>> + Send + '_>>;
}
