//! The embedded default's generated keys (the token signing secret, the key
//! secrets at rest are sealed with): random, created once in the data
//! directory with owner-only permissions, and reused on every start.

use std::{io::Write, path::Path};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use secrecy::SecretString;

const FILE_NAME: &str = "jwt-secret";

pub fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<SecretString> {
    load_or_create_key(data_dir, FILE_NAME, || {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    })
}

/// The key in `data_dir/file_name`, made by `generate` and written
/// (owner-only) the first time.
pub fn load_or_create_key(
    data_dir: &Path,
    file_name: &str,
    generate: impl FnOnce() -> String,
) -> anyhow::Result<SecretString> {
    let path = data_dir.join(file_name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        anyhow::ensure!(
            existing.len() >= 32,
            "{} is shorter than 32 characters; delete it to have a new one made",
            path.display()
        );
        return Ok(SecretString::from(existing.to_owned()));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let secret = generate();
    let mut file =
        create_private(&path).with_context(|| format!("creating key file {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    Ok(SecretString::from(secret))
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn the_secret_is_created_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let first = load_or_create_secret(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let second = load_or_create_secret(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.expose_secret(), second.expose_secret());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE_NAME))
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0);
            assert_eq!(mode, 0o600);
        }
    }
}
