//! Secrets at rest: values ltc must read back (webhook signing secrets) are
//! stored encrypted with ChaCha20-Poly1305 under a key from settings
//! (`LTC_SECRET_KEY`, 32 bytes in base64), or one generated once into the
//! data directory (`secret-key`) on the embedded default.
//!
//! A stored value is `enc:v1:<key-id>:<base64(nonce || ciphertext)>`, with a
//! random nonce per value; the key id (the first bytes of the key's SHA-256)
//! names the key that sealed it. Keys given in `LTC_SECRET_KEY_PREVIOUS`
//! still open what they sealed; at start every value not sealed with the
//! current key (plain text included, from before encryption) is sealed again
//! with it, in one transaction.

use std::path::Path;

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    ChaCha20Poly1305, KeyInit,
    aead::{Aead, AeadCore, OsRng},
};
use clap::Args;
use entity::webhook_subscription;
use sea_orm::{
    ActiveModelTrait, ActiveValue, DatabaseConnection, EntityTrait, IntoActiveModel,
    TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::{error::Error, input::parse_secret};

/// The key webhook signing secrets are encrypted with in the database.
#[derive(Clone, Debug, Default, Args)]
pub struct SecretKeySettings {
    /// 32 bytes, base64: encrypts secrets stored in the database; default: a
    /// random key generated once in the data directory (`secret-key`).
    #[arg(long, env = "LTC_SECRET_KEY", value_parser = parse_secret)]
    pub secret_key: Option<SecretString>,

    /// Keys replaced by `LTC_SECRET_KEY`, comma-separated: still decrypt,
    /// and what they encrypted is re-encrypted with the current key at start.
    #[arg(long, env = "LTC_SECRET_KEY_PREVIOUS", value_parser = parse_secret)]
    pub secret_key_previous: Option<SecretString>,
}

const PREFIX: &str = "enc:v1:";
const NONCE_BYTES: usize = 12;
const KEY_BYTES: usize = 32;
/// The key file of the embedded default, in the data directory.
const KEY_FILE: &str = "secret-key";

struct Key {
    id: String,
    cipher: ChaCha20Poly1305,
}

impl Key {
    fn from_base64(text: &str, setting: &str) -> anyhow::Result<Key> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| anyhow::anyhow!("{setting} must be base64"))?;
        anyhow::ensure!(
            bytes.len() == KEY_BYTES,
            "{setting} must be {KEY_BYTES} bytes (base64 of them); it is {}",
            bytes.len()
        );
        let digest = Sha256::digest(&bytes);
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let cipher = ChaCha20Poly1305::new_from_slice(&bytes)
            .map_err(|_| anyhow::anyhow!("{setting} is not a ChaCha20-Poly1305 key"))?;
        Ok(Key { id, cipher })
    }
}

/// Seals values with the current key; opens what the current or a previous
/// key sealed.
pub struct Sealer {
    current: Key,
    previous: Vec<Key>,
}

impl Sealer {
    pub fn from_settings(settings: &SecretKeySettings, data_dir: &Path) -> anyhow::Result<Sealer> {
        let current = match &settings.secret_key {
            Some(key) => Key::from_base64(key.expose_secret(), "LTC_SECRET_KEY")?,
            None => Key::from_base64(
                crate::auth::load_or_create_key(data_dir, KEY_FILE, new_key)?.expose_secret(),
                KEY_FILE,
            )?,
        };
        let previous = match &settings.secret_key_previous {
            Some(keys) => keys
                .expose_secret()
                .split(',')
                .filter(|k| !k.trim().is_empty())
                .map(|k| Key::from_base64(k, "LTC_SECRET_KEY_PREVIOUS"))
                .collect::<anyhow::Result<_>>()?,
            None => Vec::new(),
        };
        Ok(Sealer { current, previous })
    }

    /// `plain`, encrypted with the current key under a fresh nonce.
    pub fn seal(&self, plain: &str) -> crate::Result<String> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .current
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .map_err(|_| Error::Internal(anyhow::anyhow!("encrypting a secret failed")))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!(
            "{PREFIX}{}:{}",
            self.current.id,
            STANDARD.encode(bytes)
        ))
    }

    /// The value `stored` holds. A value without the `enc:` prefix was
    /// stored before encryption and is returned as it is.
    pub fn open(&self, stored: &str) -> crate::Result<String> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let fail = |why: &str| Error::Internal(anyhow::anyhow!("opening a stored secret: {why}"));
        let (id, body) = rest.split_once(':').ok_or_else(|| fail("no key id"))?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| {
                fail(&format!(
                    "sealed with key {id}, which is neither LTC_SECRET_KEY nor in LTC_SECRET_KEY_PREVIOUS"
                ))
            })?;
        let bytes = STANDARD.decode(body).map_err(|_| fail("not base64"))?;
        if bytes.len() < NONCE_BYTES {
            return Err(fail("too short"));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let plain = key
            .cipher
            .decrypt(nonce.into(), sealed)
            .map_err(|_| fail("the key does not open it (tampered, or another key)"))?;
        String::from_utf8(plain).map_err(|_| fail("not UTF-8"))
    }

    /// Whether `stored` is plain text or sealed with a key other than the current one.
    fn needs_sealing(&self, stored: &str) -> bool {
        stored
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .is_none_or(|(id, _)| id != self.current.id)
    }

    /// Seals again, with the current key, every webhook secret stored in
    /// plain text or under a previous key: one transaction, so a failure
    /// leaves every row as it was. Returns how many rows changed.
    pub async fn reseal_webhook_secrets(&self, db: &DatabaseConnection) -> anyhow::Result<usize> {
        let txn = db.begin().await?;
        let mut changed = 0;
        for row in webhook_subscription::Entity::find().all(&txn).await? {
            let secret = self
                .needs_sealing(&row.secret)
                .then(|| self.open(&row.secret).and_then(|plain| self.seal(&plain)))
                .transpose()?;
            let previous = match &row.previous_secret {
                Some(stored) if self.needs_sealing(stored) => {
                    Some(self.open(stored).and_then(|plain| self.seal(&plain))?)
                }
                _ => None,
            };
            if secret.is_none() && previous.is_none() {
                continue;
            }
            let mut active = row.into_active_model();
            if let Some(secret) = secret {
                active.secret = ActiveValue::Set(secret);
            }
            if let Some(previous) = previous {
                active.previous_secret = ActiveValue::Set(Some(previous));
            }
            active.update(&txn).await?;
            changed += 1;
        }
        txn.commit().await?;
        Ok(changed)
    }
}

/// A new random key, base64.
fn new_key() -> String {
    STANDARD.encode(ChaCha20Poly1305::generate_key(&mut OsRng))
}

/// The sealer of this request's schema data.
pub fn of<'a>(ctx: &async_graphql::Context<'a>) -> crate::Result<&'a Sealer> {
    ctx.data_opt::<std::sync::Arc<Sealer>>()
        .map(|s| s.as_ref())
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no secret sealer in the request data")))
}

/// A key for tests and tools: base64 of 32 random bytes.
pub fn generate_key() -> SecretString {
    SecretString::from(new_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(current: &SecretString, previous: Option<&SecretString>) -> Sealer {
        let settings = SecretKeySettings {
            secret_key: Some(current.clone()),
            secret_key_previous: previous.cloned(),
        };
        Sealer::from_settings(&settings, Path::new("/nonexistent"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_sealed_value_opens_and_holds_no_plain_text() {
        let key = generate_key();
        let sealer = sealer(&key, None);
        let sealed = sealer.seal("whsec_abc").unwrap_or_else(|e| panic!("{e}"));
        assert!(sealed.starts_with("enc:v1:"));
        assert!(!sealed.contains("whsec_abc"));
        assert_ne!(sealed, sealer.seal("whsec_abc").unwrap_or_default());
        assert_eq!(sealer.open(&sealed).unwrap_or_default(), "whsec_abc");
        assert_eq!(
            sealer.open("whsec_plain").unwrap_or_default(),
            "whsec_plain"
        );
    }

    #[test]
    fn a_previous_key_opens_and_an_unknown_one_does_not() {
        let (old, new) = (generate_key(), generate_key());
        let sealed = sealer(&old, None).seal("whsec_x").unwrap_or_default();
        let rotated = sealer(&new, Some(&old));
        assert_eq!(rotated.open(&sealed).unwrap_or_default(), "whsec_x");
        assert!(rotated.needs_sealing(&sealed));
        assert!(sealer(&new, None).open(&sealed).is_err());
    }

    #[test]
    fn a_key_must_be_32_bytes_of_base64() {
        let short = SecretKeySettings {
            secret_key: Some(SecretString::from(STANDARD.encode([0_u8; 16]))),
            secret_key_previous: None,
        };
        assert!(Sealer::from_settings(&short, Path::new("/nonexistent")).is_err());
    }
}
