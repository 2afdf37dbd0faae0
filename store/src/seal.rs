//! Batch seals: a Merkle root over the objects a batch stored, signed with the
//! archive's Ed25519 key, so that auditors can prove what a batch stored and
//! that the ledger before it was not rewritten.

use std::path::Path;

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};

use crate::{Digest, Error, Result, sha256};

/// The Merkle root of a set of digests: sorted, paired level by level with
/// SHA-256(left || right), an odd last node carried up unchanged.
pub fn merkle_root(digests: &[Digest]) -> Digest {
    let mut level: Vec<Digest> = digests.to_vec();
    level.sort();
    level.dedup();
    if level.is_empty() {
        return sha256(b"");
    }
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => {
                    let mut both = [0u8; 64];
                    both[..32].copy_from_slice(&left.0);
                    both[32..].copy_from_slice(&right.0);
                    sha256(&both)
                }
                [single] => *single,
                _ => unreachable!("chunks of two"),
            })
            .collect();
    }
    level[0]
}

/// What a seal signs: the batch, its root, and the ledger record before the seal.
pub fn message(batch: &str, root: &Digest, prev: Option<&Digest>) -> Vec<u8> {
    let prev = prev.map(Digest::hex).unwrap_or_default();
    format!("dossier-seal-v1\n{batch}\n{root}\n{prev}\n").into_bytes()
}

/// The archive's signing key.
pub struct Signer {
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer(public {})", self.public_hex())
    }
}

impl Signer {
    /// A new random key.
    pub fn generate() -> Result<Signer> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| Error::Backend(format!("no randomness for a key: {e}")))?;
        Ok(Signer {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Reads a key written by [`Signer::save_new`] (64 hex digits).
    pub fn load(path: &Path) -> Result<Signer> {
        let text = std::fs::read_to_string(path)
            .map_err(Error::io(format!("reading {}", path.display())))?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut seed).map_err(|e| Error::Invalid {
            what: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(Signer {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Writes the secret key to a new file, readable by its owner only from
    /// the start. Fails if there is a key at `path` already (see
    /// [`crate::files::already_exists`]): of two processes making the
    /// archive's key at once, one wins and the other loads its key.
    pub fn save_new(&self, path: &Path) -> Result<()> {
        crate::files::write_private_new(path, hex::encode(self.key.to_bytes()).as_bytes())
    }

    /// Writes the secret key over the one at `path`, if any (`keygen --force`).
    pub fn save_replacing(&self, path: &Path) -> Result<()> {
        crate::files::write_private(path, hex::encode(self.key.to_bytes()).as_bytes())
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.key.sign(message).to_bytes())
    }
}

/// Checks a hex signature of `message` by the hex public key.
pub fn verify(public_hex: &str, message: &[u8], signature_hex: &str) -> bool {
    let (mut public, mut signature) = ([0u8; 32], [0u8; 64]);
    if hex::decode_to_slice(public_hex, &mut public).is_err()
        || hex::decode_to_slice(signature_hex, &mut signature).is_err()
    {
        return false;
    }
    let Ok(key) = VerifyingKey::from_bytes(&public) else {
        return false;
    };
    key.verify(message, &Signature::from_bytes(&signature))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_ignores_order_and_changes_with_any_member() {
        let a: Vec<Digest> = (0..5u8).map(|i| sha256(&[i])).collect();
        let mut b = a.clone();
        b.reverse();
        assert_eq!(merkle_root(&a), merkle_root(&b));
        let mut c = a.clone();
        c[2] = sha256(b"other");
        assert_ne!(merkle_root(&a), merkle_root(&c));
        assert_eq!(merkle_root(&a[..1]), a[0]);
    }

    #[test]
    fn signatures_verify_and_tampering_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::generate().unwrap();
        signer.save_new(&dir.path().join("k")).unwrap();
        let again = Signer::load(&dir.path().join("k")).unwrap();
        assert_eq!(again.public_hex(), signer.public_hex());
        let root = sha256(b"x");
        let signature = again.sign(&message("B", &root, None));
        assert!(verify(
            &signer.public_hex(),
            &message("B", &root, None),
            &signature
        ));
        assert!(!verify(
            &signer.public_hex(),
            &message("B2", &root, None),
            &signature
        ));
    }
}
