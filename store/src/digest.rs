//! SHA-256 digests and the object keys derived from them.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

/// Hashes bytes.
pub fn sha256(bytes: &[u8]) -> Digest {
    Digest(Sha256::digest(bytes).into())
}

impl Digest {
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Digest> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut out).ok()?;
        Some(Digest(out))
    }

    /// The object's key: `ab/cdef…`, fanned out on the first byte like git, so
    /// that no directory of the local backend grows past a few thousand entries.
    pub fn key(&self) -> String {
        let hex = self.hex();
        format!("{}/{}", &hex[..2], &hex[2..])
    }

    /// The digest a key names, if it is one.
    pub fn from_key(key: &str) -> Option<Digest> {
        let (head, tail) = key.split_once('/')?;
        if head.len() != 2 || tail.len() != 62 {
            return None;
        }
        Digest::from_hex(&format!("{head}{tail}"))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Digest::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a sha256: {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        assert_eq!(
            sha256(b"abc").hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn key_round_trips() {
        let d = sha256(b"page");
        assert_eq!(Digest::from_key(&d.key()), Some(d));
        assert_eq!(d.key().len(), 65);
        assert_eq!(Digest::from_key("zz/1"), None);
    }
}
