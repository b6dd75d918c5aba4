//! The token list a ggml model stores, read from a Hugging Face
//! `tokenizer.json` or a CTranslate2 `vocabulary.txt`.
//!
//! Both store byte-level BPE tokens as text: every byte is stood in for by a
//! printable character (the GPT-2 byte-to-unicode table). ggml stores the
//! bytes themselves, so the table is inverted here. Only ordinary tokens are
//! stored; whisper.cpp names the special, language and timestamp tokens
//! itself from the vocabulary size.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Errors reading a vocabulary.
#[derive(Debug, thiserror::Error)]
pub enum VocabError {
    /// The file could not be read.
    #[error("cannot read vocabulary `{path}`: {source}")]
    Io {
        /// The vocabulary file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// The file was read but its contents are not a usable vocabulary.
    #[error("vocabulary `{path}` is not usable: {reason}")]
    Invalid {
        /// The vocabulary file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Neither vocabulary file exists.
    #[error("`{dir}` has neither tokenizer.json nor vocabulary.txt")]
    Missing {
        /// The model directory.
        dir: PathBuf,
    },
}

/// Ordinary tokens as bytes, in id order, from the model directory `dir`
/// (`tokenizer.json` preferred, `vocabulary.txt` otherwise).
pub fn load_tokens(dir: &Path) -> Result<Vec<Vec<u8>>, VocabError> {
    let json = dir.join("tokenizer.json");
    if json.is_file() {
        return from_tokenizer_json(&json);
    }
    let txt = dir.join("vocabulary.txt");
    if txt.is_file() {
        return from_vocabulary_txt(&txt);
    }
    Err(VocabError::Missing {
        dir: dir.to_owned(),
    })
}

#[derive(serde::Deserialize)]
struct TokenizerJson {
    #[serde(default)]
    added_tokens: Vec<AddedToken>,
    model: BpeModel,
}

#[derive(serde::Deserialize)]
struct AddedToken {
    id: u32,
}

#[derive(serde::Deserialize)]
struct BpeModel {
    vocab: HashMap<String, u32>,
}

fn read(path: &Path) -> Result<String, VocabError> {
    std::fs::read_to_string(path).map_err(|source| VocabError::Io {
        path: path.to_owned(),
        source,
    })
}

fn from_tokenizer_json(path: &Path) -> Result<Vec<Vec<u8>>, VocabError> {
    let invalid = |reason: String| VocabError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let parsed: TokenizerJson =
        serde_json::from_str(&read(path)?).map_err(|e| invalid(e.to_string()))?;

    // Ordinary tokens are the ids below the first added (special) token.
    let first_special = parsed
        .added_tokens
        .iter()
        .map(|t| t.id)
        .min()
        .unwrap_or(u32::MAX);
    let mut by_id: Vec<Option<&str>> = Vec::new();
    for (text, &id) in &parsed.model.vocab {
        if id >= first_special {
            continue;
        }
        let index = id as usize;
        if by_id.len() <= index {
            by_id.resize(index + 1, None);
        }
        by_id[index] = Some(text);
    }

    by_id
        .iter()
        .enumerate()
        .map(|(id, text)| {
            let text = text.ok_or_else(|| invalid(format!("token id {id} is missing")))?;
            decode_token(text)
                .ok_or_else(|| invalid(format!("token {id} `{text}` is not byte-level")))
        })
        .collect()
}

fn from_vocabulary_txt(path: &Path) -> Result<Vec<Vec<u8>>, VocabError> {
    let text = read(path)?;
    // One token per line; the ordinary tokens end where `<|endoftext|>` starts
    // the special ones. Byte-level tokens never contain a raw newline.
    text.split('\n')
        .take_while(|line| *line != "<|endoftext|>")
        .enumerate()
        .map(|(id, line)| {
            decode_token(line).ok_or_else(|| VocabError::Invalid {
                path: path.to_owned(),
                reason: format!("token {id} `{line}` is not byte-level"),
            })
        })
        .collect()
}

/// Maps a byte-level BPE token back to bytes; `None` if a character is not
/// one of the 256 byte stand-ins.
pub fn decode_token(text: &str) -> Option<Vec<u8>> {
    text.chars().map(char_to_byte).collect()
}

/// Inverse of the GPT-2 table: printable Latin-1 bytes stand for
/// themselves, and the other 68 bytes were moved, in order, to U+0100 on.
fn char_to_byte(c: char) -> Option<u8> {
    let code = u32::from(c);
    if is_printable_byte(code) {
        return u8::try_from(code).ok();
    }
    let index = code.checked_sub(256)?;
    (0u8..=255)
        .filter(|&b| !is_printable_byte(u32::from(b)))
        .nth(index as usize)
}

fn is_printable_byte(code: u32) -> bool {
    matches!(code, 0x21..=0x7e | 0xa1..=0xac | 0xae..=0xff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(token: &str, expected: &[u8]) {
        assert_eq!(decode_token(token).as_deref(), Some(expected), "{token}");
    }

    #[test]
    fn decodes_byte_level_tokens() {
        check("!", b"!");
        check("Ġthe", b" the");
        check("Ċ", b"\n");
        check("ĉ", b"\t");
        check("Ā", &[0]);
        check("åľº", "场".as_bytes());
        check("", b"");
        assert_eq!(decode_token("好"), None);
    }

    #[test]
    fn reads_vocabulary_txt_up_to_specials() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("vocabulary.txt"),
            "!\nĠthe\n\n<|endoftext|>\n<|startoftranscript|>\n",
        )
        .unwrap();
        let tokens = load_tokens(dir.path()).unwrap();
        assert_eq!(tokens, vec![b"!".to_vec(), b" the".to_vec(), Vec::new()]);
    }

    #[test]
    fn reads_tokenizer_json_without_specials() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tokenizer.json"),
            r#"{"added_tokens": [{"id": 2, "content": "<|endoftext|>"}],
               "model": {"vocab": {"Ġa": 1, "!": 0, "<|endoftext|>": 2}}}"#,
        )
        .unwrap();
        let tokens = load_tokens(dir.path()).unwrap();
        assert_eq!(tokens, vec![b"!".to_vec(), b" a".to_vec()]);
    }

    #[test]
    fn gap_in_ids_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        std::fs::write(&path, r#"{"model": {"vocab": {"!": 0, "a": 2}}}"#).unwrap();
        let error = load_tokens(dir.path()).unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "vocabulary `{}` is not usable: token id 1 is missing",
                path.display()
            )
        );
    }
}
