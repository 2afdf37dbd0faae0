//! The append-only, hash-chained ledger: every ref change and every rejection
//! is a record naming the record before it, so that removing or editing one
//! breaks the chain.
//!
//! Records are ordinary objects; the ref `ledger/head` names the newest.

use serde::{Deserialize, Serialize};

use crate::Digest;

/// One ledger record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub version: u32,
    /// 0 for the first record, then one more each time.
    pub seq: u64,
    /// The record before this one.
    pub prev: Option<Digest>,
    pub at: String,
    pub event: Event,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Event {
    /// A dossier's ref moved to a new manifest.
    DossierStored {
        dossier: String,
        manifest: Digest,
        previous: Option<Digest>,
        /// Every object the manifest names.
        objects: Vec<Digest>,
    },
    /// An input of a batch was not stored.
    Rejected {
        batch: String,
        path: String,
        error: String,
    },
}
