//! Reading CTranslate2 `model.bin` files (the format faster-whisper uses).
//!
//! The file is a small header, then every variable as name, shape, dtype and
//! raw bytes, then a list of aliases (names that share another variable's
//! data). Only the index is read up front; tensor data is read on demand so
//! that converting a large model does not hold it all in memory.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Binary format versions this reader understands (the layout has been the
/// same since version 5; older files lack the alias table).
const SUPPORTED_VERSIONS: std::ops::RangeInclusive<u32> = 5..=6;

/// Errors reading a CTranslate2 model file.
#[derive(Debug, thiserror::Error)]
pub enum Ct2Error {
    /// The file could not be opened or read.
    #[error("cannot read CTranslate2 model `{path}`: {source}")]
    Io {
        /// The model file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// The file is not a CTranslate2 model or is cut short.
    #[error(
        "`{path}` is not a valid CTranslate2 model file ({reason}); check that every part was downloaded completely"
    )]
    Malformed {
        /// The model file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

/// Element types of CTranslate2 variables, by their id in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// 32-bit float (id 0).
    F32,
    /// 8-bit integer (id 1), used by int8 quantised models.
    I8,
    /// 16-bit integer (id 2).
    I16,
    /// 32-bit integer (id 3).
    I32,
    /// IEEE half float (id 4).
    F16,
    /// bfloat16 (id 5).
    BF16,
}

impl DType {
    fn from_id(id: u8) -> Option<DType> {
        Some(match id {
            0 => DType::F32,
            1 => DType::I8,
            2 => DType::I16,
            3 => DType::I32,
            4 => DType::F16,
            5 => DType::BF16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }
}

/// Where one variable lives in the file.
#[derive(Debug, Clone)]
pub struct Variable {
    /// Shape, outermost dimension first.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    offset: u64,
    len: usize,
}

impl Variable {
    /// Number of elements.
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }
}

/// An opened CTranslate2 model: its spec name and variable index.
#[derive(Debug)]
pub struct Ct2Model {
    path: PathBuf,
    reader: BufReader<File>,
    /// The model specification, e.g. `WhisperSpec`.
    pub spec: String,
    /// The specification revision.
    pub revision: u32,
    variables: BTreeMap<String, Variable>,
    aliases: BTreeMap<String, String>,
}

impl Ct2Model {
    /// Opens `path` and reads its variable index.
    pub fn open(path: &Path) -> Result<Ct2Model, Ct2Error> {
        let file = File::open(path).map_err(|source| Ct2Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let file_len = file
            .metadata()
            .map_err(|source| Ct2Error::Io {
                path: path.to_owned(),
                source,
            })?
            .len();
        let mut index = IndexReader {
            path,
            reader: BufReader::new(file),
            position: 0,
            file_len,
        };

        let version = index.u32()?;
        if !SUPPORTED_VERSIONS.contains(&version) {
            return Err(index.malformed(format!("unsupported binary version {version}")));
        }
        let spec = index.string()?;
        let revision = index.u32()?;
        let count = index.u32()?;

        let mut variables = BTreeMap::new();
        for _ in 0..count {
            let name = index.string()?;
            let rank = index.u8()?;
            let mut shape = Vec::with_capacity(usize::from(rank));
            for _ in 0..rank {
                shape.push(index.u32()? as usize);
            }
            let dtype_id = index.u8()?;
            let dtype = DType::from_id(dtype_id).ok_or_else(|| {
                index.malformed(format!("variable `{name}` has unknown dtype id {dtype_id}"))
            })?;
            let len = index.u32()? as usize;
            if len != shape.iter().product::<usize>() * dtype.size() {
                return Err(index.malformed(format!(
                    "variable `{name}` has {len} bytes for shape {shape:?}"
                )));
            }
            let offset = index.position;
            index.skip(len as u64)?;
            variables.insert(
                name,
                Variable {
                    shape,
                    dtype,
                    offset,
                    len,
                },
            );
        }

        let mut aliases = BTreeMap::new();
        if version >= 6 {
            let count = index.u32()?;
            for _ in 0..count {
                let alias = index.string()?;
                let target = index.string()?;
                aliases.insert(alias, target);
            }
        }
        tracing::debug!(
            path = %path.display(),
            spec,
            revision,
            variables = variables.len(),
            "read CTranslate2 index"
        );

        Ok(Ct2Model {
            path: path.to_owned(),
            reader: index.reader,
            spec,
            revision,
            variables,
            aliases,
        })
    }

    /// The file this model was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Looks up a variable by name, following aliases.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        let name = self.aliases.get(name).map_or(name, String::as_str);
        self.variables.get(name)
    }

    /// Names of all stored variables (aliases excluded), sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.variables.keys().map(String::as_str)
    }

    /// Reads the raw little-endian bytes of a variable.
    pub fn read(&mut self, name: &str) -> Result<(Variable, Vec<u8>), Ct2Error> {
        let variable = self
            .variable(name)
            .cloned()
            .ok_or_else(|| self.malformed(format!("variable `{name}` is missing")))?;
        let mut bytes = vec![0; variable.len];
        let path = self.path.clone();
        let io = |source| Ct2Error::Io {
            path: path.clone(),
            source,
        };
        self.reader
            .seek(SeekFrom::Start(variable.offset))
            .map_err(io)?;
        self.reader.read_exact(&mut bytes).map_err(io)?;
        Ok((variable, bytes))
    }

    /// Reads an integer scalar such as `encoder/num_heads`.
    pub fn read_int(&mut self, name: &str) -> Result<i64, Ct2Error> {
        let (variable, bytes) = self.read(name)?;
        let value = match (variable.dtype, bytes.as_slice()) {
            (DType::I8, [b]) => i64::from(*b as i8),
            (DType::I16, [a, b]) => i64::from(i16::from_le_bytes([*a, *b])),
            (DType::I32, [a, b, c, d]) => i64::from(i32::from_le_bytes([*a, *b, *c, *d])),
            _ => {
                return Err(self.malformed(format!("variable `{name}` is not an integer scalar")));
            }
        };
        Ok(value)
    }

    /// An error saying the file is not what it should be.
    pub fn malformed(&self, reason: String) -> Ct2Error {
        Ct2Error::Malformed {
            path: self.path.clone(),
            reason,
        }
    }
}

/// Sequential reader for the index, which knows where it is and how long
/// the file is so a truncated file is reported as such.
struct IndexReader<'a> {
    path: &'a Path,
    reader: BufReader<File>,
    position: u64,
    file_len: u64,
}

impl IndexReader<'_> {
    fn malformed(&self, reason: String) -> Ct2Error {
        Ct2Error::Malformed {
            path: self.path.to_owned(),
            reason,
        }
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], Ct2Error> {
        let mut buf = [0; N];
        self.reader.read_exact(&mut buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                self.malformed(format!("file ends early at byte {}", self.position))
            } else {
                Ct2Error::Io {
                    path: self.path.to_owned(),
                    source: e,
                }
            }
        })?;
        self.position += N as u64;
        Ok(buf)
    }

    fn u8(&mut self) -> Result<u8, Ct2Error> {
        Ok(self.bytes::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, Ct2Error> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    /// A string stored as u16 length (including a trailing NUL) and bytes.
    fn string(&mut self) -> Result<String, Ct2Error> {
        let len = usize::from(u16::from_le_bytes(self.bytes()?));
        let mut buf = vec![0; len];
        self.reader.read_exact(&mut buf).map_err(|_| {
            self.malformed(format!(
                "file ends early in a name at byte {}",
                self.position
            ))
        })?;
        self.position += len as u64;
        if buf.pop() != Some(0) {
            return Err(self.malformed(format!("unterminated name at byte {}", self.position)));
        }
        String::from_utf8(buf)
            .map_err(|_| self.malformed(format!("name at byte {} is not UTF-8", self.position)))
    }

    fn skip(&mut self, len: u64) -> Result<(), Ct2Error> {
        if self.position + len > self.file_len {
            return Err(self.malformed(format!(
                "a variable at byte {} runs past the end of the file ({} bytes)",
                self.position, self.file_len
            )));
        }
        self.reader
            .seek_relative(len as i64)
            .map_err(|source| Ct2Error::Io {
                path: self.path.to_owned(),
                source,
            })?;
        self.position += len;
        Ok(())
    }
}
