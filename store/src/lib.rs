//! The archive's source of truth: immutable objects named by their SHA-256,
//! dossier manifests, refs (the only mutable names) and a hash-chained ledger.
//!
//! Objects live behind the small [`Backend`] trait, implemented by the
//! embedded local-files backend and by S3-compatible object storage. Everything above the trait is the
//! same for every backend. This crate must never know about images, OCR or
//! the search index: it stores bytes and the records that describe them.

pub mod backend;
mod digest;
mod error;
pub mod files;
pub mod history;
pub mod ledger;
pub mod manifest;
mod objects;
pub mod seal;
pub mod verify;
pub mod words;
pub mod writers;

pub use backend::{
    Backend, Put,
    local::Local,
    s3::{Retention, S3, S3Options},
};
pub use bytes::Bytes;
pub use digest::{Digest, sha256};
pub use error::{Error, Result};
pub use ledger::{Event, Record};
pub use manifest::{Manifest, ObjectRef};
pub use objects::Store;
pub use seal::Signer;
pub use writers::Lease;

/// Now, as an RFC 3339 UTC timestamp (to the second), for manifests and ledger records.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
