//! Recordings sealed with XChaCha20-Poly1305 once they belong to a record.
//!
//! A sealed file is `MAGIC`, a random 24-byte nonce, then the whole
//! recording encrypted and authenticated. Recordings are at most a few tens
//! of megabytes and are decoded whole anyway, so they are sealed in one
//! piece rather than streamed.

use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};

use super::key::DataKey;

/// The first bytes of a sealed recording.
pub const MAGIC: &[u8; 8] = b"VLREC\x00\x01\x00";

/// The extension added to a recording's name when it is sealed.
pub const SEALED_EXTENSION: &str = "enc";

const NONCE_LEN: usize = 24;

/// Whether `bytes` look like a sealed recording.
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Encrypts a recording's bytes.
pub fn seal(key: &DataKey, plain: &[u8]) -> Vec<u8> {
    let recording_key = key.recording_key();
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed =
        XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(recording_key.as_slice()))
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: MAGIC,
                },
            )
            .expect("XChaCha20-Poly1305 seals any length a file can have");
    let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// Decrypts a sealed recording. `None` when the bytes are not a sealed
/// recording, were sealed with another key, or were altered.
pub fn open(key: &DataKey, sealed: &[u8]) -> Option<Vec<u8>> {
    let rest = sealed.strip_prefix(MAGIC.as_slice())?;
    if rest.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = rest.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(
        key.recording_key().as_slice(),
    ))
    .decrypt(
        XNonce::from_slice(nonce),
        Payload {
            msg: body,
            aad: MAGIC,
        },
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_recordings_open_only_with_their_key() {
        let key = DataKey::generate();
        let plain = b"RIFF....WAVEfmt ".repeat(100);

        let sealed = seal(&key, &plain);
        assert!(is_sealed(&sealed));
        assert!(!sealed.windows(4).any(|w| w == b"WAVE"));
        assert_eq!(open(&key, &sealed).as_deref(), Some(plain.as_slice()));

        assert_eq!(open(&DataKey::generate(), &sealed), None);
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, &altered), None);
        assert_eq!(open(&key, &sealed[..20]), None);
    }
}
