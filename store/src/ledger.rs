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
    /// Records written for this place in the chain that another writer beat
    /// to the head (objects cannot be taken back, least of all under Object
    /// Lock): named here, so that every record object is accounted for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<Digest>,
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
    /// An archivist corrected what OCR read: the dossier's ref moved to a
    /// new manifest, with new words, text, sidecars and PDF, the earlier
    /// version kept whole.
    DossierCorrected {
        dossier: String,
        manifest: Digest,
        /// The version corrected, which stays in the archive.
        previous: Digest,
        /// Who made the correction (a viewer account, or `cli:USER`).
        by: String,
        changes: Vec<crate::manifest::Change>,
        /// Every object the manifest names.
        objects: Vec<Digest>,
    },
    /// An input of a batch was not stored.
    Rejected {
        batch: String,
        path: String,
        error: String,
        /// Objects kept all the same (the original files of a dossier with no readable page).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        objects: Vec<Digest>,
    },
    /// The end of a batch: the Merkle root of every object it stored, signed.
    BatchSealed {
        batch: String,
        dossiers: Vec<String>,
        objects: Vec<Digest>,
        merkle_root: Digest,
        public_key: String,
        /// Ed25519 over [`crate::seal::message`] of the batch, the root and the record before this one.
        signature: String,
    },
    /// A dossier was exported (e.g. as a BagIt bag).
    Exported {
        dossier: String,
        manifest: Digest,
        to: String,
    },
    /// An integrity check ran.
    Verified { checked: u64, problems: u64 },
}

impl Event {
    /// Every object the event names.
    pub fn objects(&self) -> Vec<Digest> {
        match self {
            Event::DossierStored {
                manifest, objects, ..
            }
            | Event::DossierCorrected {
                manifest, objects, ..
            } => objects
                .iter()
                .copied()
                .chain(std::iter::once(*manifest))
                .collect(),
            Event::Rejected { objects, .. } | Event::BatchSealed { objects, .. } => objects.clone(),
            Event::Exported { manifest, .. } => vec![*manifest],
            Event::Verified { .. } => Vec::new(),
        }
    }

    /// The dossier and manifest its ref was moved to, for the events that
    /// move a ref: a dossier stored, or corrected.
    pub fn moves_ref(&self) -> Option<(&str, &Digest)> {
        match self {
            Event::DossierStored {
                dossier, manifest, ..
            }
            | Event::DossierCorrected {
                dossier, manifest, ..
            } => Some((dossier, manifest)),
            _ => None,
        }
    }
}
