//! `encryption.toml`: how a data folder's key is kept, and the key itself
//! wrapped with a passphrase when there is one.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::key::{DataKey, KEY_LEN, Passphrase};

/// Format of `encryption.toml` understood here.
pub(super) const FORMAT: u32 = 1;

/// Bound into every wrapped key, so a wrapped key cannot be mistaken for
/// any other sealed data.
const WRAP_LABEL: &[u8] = b"voice-ledger data key v1";

/// Argon2id cost for new passphrases: the OWASP minimum (19 MiB, two
/// passes), about 50 ms on an office PC, paid once per program start.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// Where the data key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protection {
    /// The operating system's credential store (Windows Credential
    /// Manager, macOS Keychain, the Secret Service on Linux).
    Keyring,
    /// Wrapped with a passphrase in `encryption.toml`.
    Passphrase,
}

/// The contents of `encryption.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeySettings {
    /// File format version.
    pub format: u32,
    /// Where the key is kept.
    pub protection: Protection,
    /// Names the key in the credential store.
    pub store_id: String,
    /// The key wrapped with the passphrase (passphrase protection only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapped: Option<WrappedKey>,
}

/// A data key sealed with a key derived from a passphrase.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WrappedKey {
    /// Always `argon2id`.
    pub kdf: String,
    /// Argon2 memory cost in KiB.
    pub memory_kib: u32,
    /// Argon2 passes.
    pub iterations: u32,
    /// Argon2 lanes.
    pub parallelism: u32,
    /// Argon2 salt, hex.
    pub salt: String,
    /// XChaCha20-Poly1305 nonce, hex.
    pub nonce: String,
    /// The sealed data key, hex.
    pub sealed: String,
}

/// Why a wrapped key could not be opened.
#[derive(Debug, PartialEq, Eq)]
pub enum UnwrapError {
    /// The passphrase is not the one the key was wrapped with.
    WrongPassphrase,
    /// The stored values are malformed.
    Malformed(String),
}

impl WrappedKey {
    /// Seals `key` with `passphrase`.
    pub fn wrap(key: &DataKey, passphrase: &Passphrase) -> WrappedKey {
        let mut salt = [0u8; 16];
        chacha20poly1305::aead::rand_core::RngCore::fill_bytes(&mut OsRng, &mut salt);
        let kek = derive(passphrase, &salt, MEMORY_KIB, ITERATIONS, PARALLELISM)
            .expect("the built-in Argon2 parameters are valid");
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(kek.as_slice()))
            .encrypt(
                &nonce,
                Payload {
                    msg: key.expose(),
                    aad: WRAP_LABEL,
                },
            )
            .expect("sealing 32 bytes cannot fail");
        WrappedKey {
            kdf: "argon2id".into(),
            memory_kib: MEMORY_KIB,
            iterations: ITERATIONS,
            parallelism: PARALLELISM,
            salt: hex::encode(salt),
            nonce: hex::encode(nonce),
            sealed: hex::encode(sealed),
        }
    }

    /// Opens the sealed key with `passphrase`.
    pub fn unwrap_key(&self, passphrase: &Passphrase) -> Result<DataKey, UnwrapError> {
        let malformed = |what: &str| UnwrapError::Malformed(what.to_string());
        if self.kdf != "argon2id" {
            return Err(malformed("unknown kdf"));
        }
        let salt = hex::decode(&self.salt).map_err(|_| malformed("salt"))?;
        let nonce = hex::decode(&self.nonce).map_err(|_| malformed("nonce"))?;
        let sealed = hex::decode(&self.sealed).map_err(|_| malformed("sealed"))?;
        if nonce.len() != 24 {
            return Err(malformed("nonce"));
        }
        let kek = derive(
            passphrase,
            &salt,
            self.memory_kib,
            self.iterations,
            self.parallelism,
        )
        .map_err(|e| UnwrapError::Malformed(format!("argon2: {e}")))?;
        let opened = Zeroizing::new(
            XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(kek.as_slice()))
                .decrypt(
                    XNonce::from_slice(&nonce),
                    Payload {
                        msg: &sealed,
                        aad: WRAP_LABEL,
                    },
                )
                .map_err(|_| UnwrapError::WrongPassphrase)?,
        );
        let bytes: [u8; KEY_LEN] = opened
            .as_slice()
            .try_into()
            .map_err(|_| malformed("key length"))?;
        Ok(DataKey::from_bytes(bytes))
    }
}

fn derive(
    passphrase: &Passphrase,
    salt: &[u8],
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
) -> Result<Zeroizing<[u8; KEY_LEN]>, argon2::Error> {
    let params = Params::new(memory_kib, iterations, parallelism, Some(KEY_LEN))?;
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password_into(
        passphrase.expose().as_bytes(),
        salt,
        out.as_mut(),
    )?;
    Ok(out)
}

impl KeySettings {
    /// Parses the file's text.
    pub fn parse(text: &str) -> Result<KeySettings, String> {
        let settings: KeySettings = toml::from_str(text).map_err(|e| e.message().to_string())?;
        if settings.format > FORMAT {
            return Err(format!(
                "format {} is newer than this program understands",
                settings.format
            ));
        }
        if settings.protection == Protection::Passphrase && settings.wrapped.is_none() {
            return Err("passphrase protection without a wrapped key".into());
        }
        Ok(settings)
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let body = toml::to_string_pretty(self).expect("key settings serialise");
        format!(
            "# How this data folder's encryption key is kept. Without this file the\n\
             # database and recordings cannot be opened: keep it with every copy.\n{body}"
        )
    }

    /// Reads `path`; `Ok(None)` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<KeySettings>, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => KeySettings::parse(&text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}
