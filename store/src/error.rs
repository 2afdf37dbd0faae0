//! The one error type of the store.

/// What went wrong in the archive.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    /// An object whose bytes no longer hash to its name: never served.
    #[error("object {key} is corrupt: expected sha256 {expected}, found {actual}")]
    Corrupt {
        key: String,
        expected: String,
        actual: String,
    },
    /// An object that is there but could not be read whole (a read error on
    /// disk, a body that broke off every time): never served, named by `verify`.
    #[error("object {key} cannot be read: {reason}")]
    Unreadable { key: String, reason: String },
    #[error("object {0} is missing")]
    Missing(String),
    #[error("{what} is not valid: {reason}")]
    Invalid { what: String, reason: String },
    #[error("backend: {0}")]
    Backend(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }
}
