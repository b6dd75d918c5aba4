//! The data key of a data folder and the secrets that unlock it.

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// Length of every key here, in bytes.
pub const KEY_LEN: usize = 32;

/// The random key a data folder is encrypted with. The database and the
/// recordings each use a key derived from it, so one secret unlocks both
/// and neither key can stand in for the other.
#[derive(Clone)]
pub struct DataKey([u8; KEY_LEN]);

impl DataKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> DataKey {
        use chacha20poly1305::aead::{KeyInit, OsRng};
        let key = chacha20poly1305::XChaCha20Poly1305::generate_key(&mut OsRng);
        let mut bytes = [0u8; KEY_LEN];
        bytes.copy_from_slice(&key);
        DataKey(bytes)
    }

    /// Wraps key bytes read back from a key store.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> DataKey {
        DataKey(bytes)
    }

    /// The key bytes, for wrapping and key stores only.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The `PRAGMA key` value that hands SQLCipher a raw key.
    pub fn database_pragma(&self) -> Zeroizing<String> {
        let derived = self.derive(b"voice-ledger database v1");
        Zeroizing::new(format!("x'{}'", hex::encode(*derived)))
    }

    /// The key recordings are sealed with.
    pub fn recording_key(&self) -> Zeroizing<[u8; KEY_LEN]> {
        self.derive(b"voice-ledger recordings v1")
    }

    /// A key for one purpose. The data key is uniformly random, so a hash
    /// of a purpose label and the key is an adequate derivation.
    fn derive(&self, purpose: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
        let mut hasher = Sha256::new();
        hasher.update(purpose);
        hasher.update(self.0);
        Zeroizing::new(hasher.finalize().into())
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// A passphrase typed by the user or given in `VOICE_LEDGER_PASSPHRASE`.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps a passphrase; surrounding whitespace (a trailing newline from
    /// a file or a prompt) is not part of it.
    pub fn new(text: impl Into<String>) -> Passphrase {
        let text: String = text.into();
        Passphrase(Zeroizing::new(text.trim().to_string()))
    }

    /// The passphrase text, for key derivation only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it is empty (an empty passphrase protects nothing).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}
