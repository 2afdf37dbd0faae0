//! The small trait every storage backend implements.

pub mod local;
pub mod s3;

use async_trait::async_trait;
use bytes::Bytes;

use crate::{Digest, Result};

/// What a put did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Stored,
    /// An object with that key was already there: nothing was written.
    Existed,
}

/// Where objects and refs live. Objects are immutable and named by their
/// SHA-256; refs are small mutable names (`dossiers/ID`, `ledger/head`).
#[async_trait]
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` under `key` unless it exists. `sha256` is their digest,
    /// already computed, for backends that verify on arrival. The bytes are
    /// shared, not borrowed: a backend that writes from another thread or
    /// hands them to an HTTP body takes them without a copy (a scan or a PDF
    /// is several MB, copied while OCR workers hold their pages).
    async fn put(&self, key: &str, bytes: Bytes, sha256: &Digest) -> Result<Put>;
    /// The object's bytes, or `None` if absent. Not verified here: see `Store::get`.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// The object's size, or `None` if absent.
    async fn head(&self, key: &str) -> Result<Option<u64>>;
    /// When the object was written, or `None` if absent.
    async fn modified(&self, key: &str) -> Result<Option<std::time::SystemTime>>;
    /// Every object key, in no particular order.
    async fn list(&self) -> Result<Vec<String>>;
    /// Removes an object. Only recovery uses it, for objects nothing names
    /// (left by an interrupted run); stored data is never deleted.
    async fn delete(&self, key: &str) -> Result<()>;
    async fn get_ref(&self, name: &str) -> Result<Option<String>>;
    /// Sets a ref atomically: readers see the old or the new value, never a mix.
    async fn set_ref(&self, name: &str, value: &str) -> Result<()>;
    /// Sets a ref only if it still holds `expected` (`None`: only if it does
    /// not exist). `false` when another writer moved it first. Two processes
    /// appending to one ledger (an ingest and a `verify`, or two stations on
    /// one bucket) must not both link a record to the same head.
    async fn swap_ref(&self, name: &str, expected: Option<&str>, value: &str) -> Result<bool>;
    /// Removes a ref; absent is not an error. Only a writer's lease is ever
    /// removed (`writers/STATION`): names of stored data stay.
    async fn delete_ref(&self, name: &str) -> Result<()>;
    /// Ref names under `prefix` (e.g. `dossiers/`), with the prefix.
    async fn list_refs(&self, prefix: &str) -> Result<Vec<String>>;
    /// A URL-like description, for messages.
    fn describe(&self) -> String;
}
