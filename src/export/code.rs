//! The verification code printed on each paper page: a short hash of the
//! ledger, the period, the page number and the records (with revisions) the
//! page shows, so a page can be checked against the database later.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

/// Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or
/// typed from paper is not misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code (60 bits of the hash).
const CODE_LENGTH: usize = 12;

/// The code of one printed page, as stored (12 characters, no dashes).
pub fn page_code(
    ledger_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    page_number: usize,
    records: &[(String, u32)],
) -> String {
    let mut hash = Sha256::new();
    hash.update(format!(
        "voice-ledger printed page 1\n{ledger_id}\n{from}\n{to}\n{page_number}\n"
    ));
    for (id, revision) in records {
        hash.update(format!("{id}:{revision}\n"));
    }
    let digest = hash.finalize();

    let mut bits: u64 = 0;
    for byte in &digest[..8] {
        bits = bits << 8 | u64::from(*byte);
    }
    (0..CODE_LENGTH)
        .map(|i| char::from(ALPHABET[((bits >> (59 - i * 5)) & 31) as usize]))
        .collect()
}

/// What comes before the code in a page's QR code, so a scanned page is
/// recognised as a Voice Ledger page.
pub const QR_PREFIX: &str = "VLP1:";

/// What a page's QR code holds: [`QR_PREFIX`] and the printed code, all in
/// characters the QR alphanumeric mode encodes compactly.
pub fn page_qr_text(code: &str) -> String {
    format!("{QR_PREFIX}{}", format_page_code(code))
}

/// A code as printed: three groups of four, e.g. `7G2K-M9QX-4D1T`.
pub fn format_page_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The stored form of a code someone typed or scanned: the QR prefix,
/// dashes and spaces removed, upper case, and the letters people confuse
/// with digits (O, I, L) read as the digits. `None` when it cannot be a
/// page code.
pub fn normalize_page_code(typed: &str) -> Option<String> {
    let typed = typed.trim();
    let typed = match typed.get(..QR_PREFIX.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(QR_PREFIX) => &typed[QR_PREFIX.len()..],
        _ => typed,
    };
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    let valid = code.len() == CODE_LENGTH && code.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn codes_change_with_any_revision_and_read_back_when_typed_loosely() {
        let records = vec![("r1".to_string(), 1), ("r2".to_string(), 3)];
        let code = page_code(
            "visit-general",
            date("2026-11-01"),
            date("2026-11-30"),
            1,
            &records,
        );
        assert_eq!(code.len(), 12);

        let edited = vec![("r1".to_string(), 1), ("r2".to_string(), 4)];
        assert_ne!(
            code,
            page_code(
                "visit-general",
                date("2026-11-01"),
                date("2026-11-30"),
                1,
                &edited
            )
        );
        assert_ne!(
            code,
            page_code(
                "visit-general",
                date("2026-11-01"),
                date("2026-11-30"),
                2,
                &records
            )
        );

        let printed = format_page_code(&code);
        assert_eq!(printed.len(), 14);
        assert_eq!(
            normalize_page_code(&printed.to_lowercase()),
            Some(code.clone())
        );
        assert_eq!(
            normalize_page_code("0OIL-1234-5678"),
            Some("001112345678".to_string())
        );
        assert_eq!(
            normalize_page_code(&page_qr_text(&code)),
            Some(code.clone())
        );
        assert_eq!(normalize_page_code("ABC"), None);
        assert_eq!(normalize_page_code("UUUU-UUUU-UUUU"), None);
    }
}
