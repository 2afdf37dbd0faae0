//! Viewer accounts: names, roles and argon2id password hashes in `ARCHIVE/users.json`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

/// What a user may do. Each role can do what the ones before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Scanning operators: search and read, to check their batches.
    Operator,
    /// Search, read and download.
    Archivist,
    /// Also verify dossiers and read the access log.
    Auditor,
    /// Also manage accounts.
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "operator" => Some(Role::Operator),
            "archivist" => Some(Role::Archivist),
            "auditor" => Some(Role::Auditor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Archivist => "archivist",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    pub fn can_audit(self) -> bool {
        self >= Role::Auditor
    }

    /// Archivists and admins correct OCR text; operators scan, auditors
    /// check: neither changes what a dossier says.
    pub fn can_correct(self) -> bool {
        matches!(self, Role::Archivist | Role::Admin)
    }
}

/// One account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// PHC string: `$argon2id$v=19$m=...`.
    pub hash: String,
    #[serde(default)]
    pub disabled: bool,
    pub created: String,
    /// Moves on whenever the account's access changes (password, disabled,
    /// enabled, signed out everywhere): a session started under an earlier
    /// value ends at its next request, in every viewer process.
    #[serde(default)]
    pub epoch: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    users: Vec<User>,
}

/// The accounts file of an archive.
#[derive(Debug, Clone)]
pub struct Users {
    path: PathBuf,
}

impl Users {
    pub fn new(archive: &Path) -> Users {
        Users {
            path: archive.join("users.json"),
        }
    }

    pub fn list(&self) -> Result<Vec<User>> {
        Ok(self.read()?.users)
    }

    pub fn get(&self, name: &str) -> Result<Option<User>> {
        Ok(self.read()?.users.into_iter().find(|u| u.name == name))
    }

    pub fn add(&self, name: &str, role: Role, password: &str) -> Result<()> {
        check_name(name)?;
        let mut file = self.read()?;
        if file.users.iter().any(|u| u.name == name) {
            bail!("user {name} exists already (use `dossier user passwd {name}`)");
        }
        file.users.push(User {
            name: name.to_owned(),
            role,
            hash: hash_password(password)?,
            disabled: false,
            created: store::now_rfc3339(),
            epoch: 0,
        });
        self.write(&file)
    }

    /// A new password; the account's sessions end.
    pub fn set_password(&self, name: &str, password: &str) -> Result<()> {
        let hash = hash_password(password)?;
        self.update(name, |user| {
            user.hash = hash;
            user.epoch += 1;
        })
    }

    /// Disabled or enabled again; either way the account's sessions end, so
    /// disabling then enabling revives no session opened before.
    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<()> {
        self.update(name, |user| {
            user.disabled = disabled;
            user.epoch += 1;
        })
    }

    /// Ends every session of the account, in every viewer.
    pub fn end_sessions(&self, name: &str) -> Result<()> {
        self.update(name, |user| user.epoch += 1)
    }

    /// The user, if the name and password match an enabled account.
    pub fn authenticate(&self, name: &str, password: &str) -> Result<Option<User>> {
        let user = self.get(name)?;
        // Hash even for unknown names, so timing does not reveal which exist.
        let hash = user.as_ref().map_or(DUMMY_HASH, |u| u.hash.as_str());
        let parsed = PasswordHash::new(hash)
            .map_err(|e| anyhow::anyhow!("a stored password hash is malformed: {e}"))?;
        let matches = argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(user.filter(|u| matches && !u.disabled))
    }

    fn update(&self, name: &str, change: impl FnOnce(&mut User)) -> Result<()> {
        let mut file = self.read()?;
        let Some(user) = file.users.iter_mut().find(|u| u.name == name) else {
            bail!("no user {name}");
        };
        change(user);
        self.write(&file)
    }

    fn read(&self) -> Result<File> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("reading {}", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(File::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", self.path.display())),
        }
    }

    /// Written whole or not at all, readable by its owner only.
    fn write(&self, file: &File) -> Result<()> {
        store::files::write_private(&self.path, &serde_json::to_vec_pretty(file)?)?;
        Ok(())
    }
}

/// A valid argon2id hash of a random password, checked against when the name is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$wX8N2C0s1f0JcQn3mJ6nQh0o0a2gq1pZB2cQWfQ8m6Y";

fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < 10 {
        bail!("a password needs at least 10 characters");
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    // argon2's defaults are argon2id v19, m=19 MiB, t=2, p=1 (OWASP's minimum).
    let hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
    Ok(hash.to_string())
}

fn check_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        bail!("a user name is 1 to 64 letters, digits, '-', '_' or '.'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_sign_in_only_with_their_password_and_while_enabled() {
        let dir = tempfile::tempdir().unwrap();
        let users = Users::new(dir.path());
        users
            .add("amina", Role::Archivist, "correct horse battery")
            .unwrap();
        assert!(users.add("amina", Role::Admin, "another password").is_err());
        assert!(users.add("short", Role::Admin, "tiny").is_err());
        assert!(users.add("../x", Role::Admin, "long enough pw").is_err());
        let stored = users.get("amina").unwrap().unwrap();
        assert!(stored.hash.starts_with("$argon2id$v=19$"));
        assert!(
            users
                .authenticate("amina", "correct horse battery")
                .unwrap()
                .is_some()
        );
        assert!(
            users
                .authenticate("amina", "wrong password!")
                .unwrap()
                .is_none()
        );
        assert!(
            users
                .authenticate("nobody", "correct horse battery")
                .unwrap()
                .is_none()
        );
        users.set_disabled("amina", true).unwrap();
        assert!(
            users
                .authenticate("amina", "correct horse battery")
                .unwrap()
                .is_none()
        );
        users.set_disabled("amina", false).unwrap();
        users.set_password("amina", "a new long password").unwrap();
        assert!(
            users
                .authenticate("amina", "a new long password")
                .unwrap()
                .is_some()
        );
    }
}
