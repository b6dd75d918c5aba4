//! The Chinese font embedded in PDF ledgers: where it is found, how text is
//! measured with it, and the subset of it that each document embeds.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile};
use allsorts::tables::cmap::Cmap;
use allsorts::tables::{
    FontTableProvider, HeadTable, HheaTable, HmtxTable, MaxpTable, NameTable, OpenTypeData,
    OpenTypeFont,
};
use allsorts::tag;

use crate::export::ExportError;

/// Environment variable naming the font file to embed instead of searching.
pub const FONT_ENV: &str = "VOICE_LEDGER_PDF_FONT";

/// Environment variable choosing the face inside a `.ttc` collection.
pub const FONT_INDEX_ENV: &str = "VOICE_LEDGER_PDF_FONT_INDEX";

/// Characters every usable font must have: a face without them is not Chinese.
const PROBE: &str = "台账居委会街道";

/// Regular (宋体-like) faces, best first. Names are compared in lower case.
const BODY_FILES: &[&str] = &[
    "notoserifcjk-regular.ttc",
    "notoserifcjksc-regular.otf",
    "sourcehanserifsc-regular.otf",
    "sourcehanserif-regular.ttc",
    "simsun.ttc",
    "simsun.ttf",
    "songti.ttc",
    "notosanscjk-regular.ttc",
    "notosanscjksc-regular.otf",
    "sourcehansanssc-regular.otf",
    "sourcehansans-regular.ttc",
    "msyh.ttc",
    "pingfang.ttc",
    "wqy-zenhei.ttc",
    "wqy-microhei.ttc",
    "uming.ttc",
];

/// Bold (黑体-like) faces for titles and column headings, best first.
const HEADING_FILES: &[&str] = &[
    "notosanscjk-bold.ttc",
    "notosanscjksc-bold.otf",
    "sourcehansanssc-bold.otf",
    "sourcehansans-bold.ttc",
    "simhei.ttf",
    "msyhbd.ttc",
    "notoserifcjk-bold.ttc",
    "notoserifcjksc-bold.otf",
    "sourcehanserifsc-bold.otf",
];

/// Which font the PDF exporter embeds.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum FontChoice {
    /// Search the system's font folders for a Chinese font.
    #[default]
    Search,
    /// Use this file; `index` picks the face in a `.ttc` collection
    /// (the Simplified Chinese face when not given).
    File {
        /// Path of a `.ttf`, `.otf` or `.ttc` file.
        path: PathBuf,
        /// Face index inside a collection.
        index: Option<usize>,
    },
}

impl FontChoice {
    /// The font named by `VOICE_LEDGER_PDF_FONT` (and
    /// `VOICE_LEDGER_PDF_FONT_INDEX`), or a system search when unset.
    pub fn from_env() -> FontChoice {
        match std::env::var_os(FONT_ENV).filter(|v| !v.is_empty()) {
            Some(path) => FontChoice::File {
                path: PathBuf::from(path),
                index: std::env::var(FONT_INDEX_ENV)
                    .ok()
                    .and_then(|v| v.trim().parse().ok()),
            },
            None => FontChoice::Search,
        }
    }
}

/// The fonts a PDF is set in: a regular face for text and, when one is
/// installed, a bold face for titles and headings (otherwise headings are
/// drawn in the regular face with a thin outline).
#[derive(Debug, Clone)]
pub struct PdfFonts {
    /// Face for body text.
    pub(crate) body: Arc<FontFace>,
    /// Face for titles and column headings.
    pub(crate) heading: Option<Arc<FontFace>>,
}

impl PdfFonts {
    /// Loads the fonts `choice` asks for.
    pub fn load(choice: &FontChoice) -> Result<PdfFonts, ExportError> {
        match choice {
            FontChoice::Search => PdfFonts::search(&system_font_dirs()),
            FontChoice::File { path, index } => Ok(PdfFonts {
                body: Arc::new(FontFace::load(path, *index)?),
                heading: None,
            }),
        }
    }

    /// Searches `dirs` (and their sub-folders) for a Chinese font.
    pub fn search(dirs: &[PathBuf]) -> Result<PdfFonts, ExportError> {
        let files = font_files(dirs);
        let pick = |wanted: &[&str]| {
            wanted
                .iter()
                .find_map(|name| files.get(*name))
                .map(|path| FontFace::load(path, None))
        };
        let body = match pick(BODY_FILES) {
            Some(face) => face?,
            None => {
                return Err(ExportError::NoFont {
                    searched: dirs.to_vec(),
                });
            }
        };
        // A broken bold face costs only looks, so it is skipped, not fatal.
        let heading = pick(HEADING_FILES).and_then(|face| match face {
            Ok(face) => Some(face),
            Err(e) => {
                tracing::debug!("ignoring heading font: {e}");
                None
            }
        });
        tracing::debug!(
            body = %body.path.display(),
            heading = ?heading.as_ref().map(|f| f.path.display().to_string()),
            "PDF fonts chosen"
        );
        Ok(PdfFonts {
            body: Arc::new(body),
            heading: heading.map(Arc::new),
        })
    }

    /// The body font file and face index.
    pub fn body_file(&self) -> (&Path, usize) {
        (&self.body.path, self.body.index)
    }
}

/// Folders where operating systems keep fonts.
pub fn system_font_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if cfg!(windows) {
        let windir =
            std::env::var_os("WINDIR").map_or_else(|| PathBuf::from(r"C:\Windows"), PathBuf::from);
        dirs.push(windir.join("Fonts"));
        if let Some(local) = std::env::var_os("LOCALAPPDATA") {
            dirs.push(PathBuf::from(local).join(r"Microsoft\Windows\Fonts"));
        }
    } else if cfg!(target_os = "macos") {
        dirs.push(PathBuf::from("/System/Library/Fonts"));
        dirs.push(PathBuf::from("/System/Library/AssetsV2"));
        dirs.push(PathBuf::from("/Library/Fonts"));
        if let Some(home) = &home {
            dirs.push(home.join("Library/Fonts"));
        }
    } else {
        if let Some(data) = std::env::var_os("XDG_DATA_HOME") {
            dirs.push(PathBuf::from(data).join("fonts"));
        }
        if let Some(home) = &home {
            dirs.push(home.join(".local/share/fonts"));
            dirs.push(home.join(".fonts"));
        }
        dirs.push(PathBuf::from("/usr/local/share/fonts"));
        dirs.push(PathBuf::from("/usr/share/fonts"));
    }
    dirs
}

/// Font files under `dirs` by lower-case file name; the first folder wins.
fn font_files(dirs: &[PathBuf]) -> HashMap<String, PathBuf> {
    let mut found = HashMap::new();
    let mut stack: Vec<(PathBuf, u32)> = dirs.iter().rev().map(|d| (d.clone(), 0)).collect();
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut subdirs = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                // Font trees are shallow; the limit guards against link loops.
                if depth < 6 {
                    subdirs.push((path, depth + 1));
                }
            } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                found.entry(name.to_lowercase()).or_insert(path);
            }
        }
        subdirs.sort();
        stack.extend(subdirs.into_iter().rev());
    }
    found
}

/// One face of a font file, with what text layout needs from it.
#[derive(Debug)]
pub(crate) struct FontFace {
    path: PathBuf,
    index: usize,
    bytes: Vec<u8>,
    /// PostScript name, used in the PDF's font dictionary.
    name: String,
    glyphs: HashMap<char, u16>,
    advances: Vec<u16>,
    units_per_em: f32,
}

impl FontFace {
    /// Reads `path` and picks a face: `index`, or in a collection the
    /// Simplified Chinese one (its family name ends in `SC`), else the first
    /// with Chinese glyphs.
    pub(crate) fn load(path: &Path, index: Option<usize>) -> Result<FontFace, ExportError> {
        let bytes = std::fs::read(path).map_err(|source| ExportError::FontUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |problem: String| ExportError::FontInvalid {
            path: path.to_path_buf(),
            problem,
        };

        let font = ReadScope::new(&bytes)
            .read::<OpenTypeFont<'_>>()
            .map_err(|e| invalid(format!("not an OpenType or TrueType font ({e})")))?;
        let faces = match &font.data {
            OpenTypeData::Single(_) => 1,
            OpenTypeData::Collection(ttc) => ttc.offset_tables.len(),
        };
        let index = match index {
            Some(i) if i >= faces => {
                return Err(invalid(format!(
                    "has {faces} face(s); face {i} does not exist"
                )));
            }
            Some(i) => i,
            None => pick_face(&font, faces),
        };
        let face = FontFace::parse(path, index, &bytes).map_err(invalid)?;
        if let Some(missing) = PROBE.chars().find(|c| !face.glyphs.contains_key(c)) {
            return Err(invalid(format!(
                "face {index} has no Chinese glyphs (no `{missing}`)"
            )));
        }
        tracing::debug!(path = %path.display(), index, name = %face.name, "loaded PDF font");
        Ok(FontFace { bytes, ..face })
    }

    fn parse(path: &Path, index: usize, bytes: &[u8]) -> Result<FontFace, String> {
        let font_data = ReadScope::new(bytes)
            .read::<FontData<'_>>()
            .map_err(|e| e.to_string())?;
        let provider = font_data.table_provider(index).map_err(|e| e.to_string())?;
        let table = |t: u32| {
            provider
                .read_table_data(t)
                .map_err(|e| format!("cannot read table `{}` ({e})", tag::DisplayTag(t)))
        };

        let head_data = table(tag::HEAD)?;
        let head = ReadScope::new(&head_data)
            .read::<HeadTable>()
            .map_err(|e| e.to_string())?;
        let maxp_data = table(tag::MAXP)?;
        let maxp = ReadScope::new(&maxp_data)
            .read::<MaxpTable>()
            .map_err(|e| e.to_string())?;
        let hhea_data = table(tag::HHEA)?;
        let hhea = ReadScope::new(&hhea_data)
            .read::<HheaTable>()
            .map_err(|e| e.to_string())?;
        let hmtx_data = table(tag::HMTX)?;
        let hmtx = ReadScope::new(&hmtx_data)
            .read_dep::<HmtxTable<'_>>((
                usize::from(maxp.num_glyphs),
                usize::from(hhea.num_h_metrics),
            ))
            .map_err(|e| e.to_string())?;
        let advances = (0..maxp.num_glyphs)
            .map(|gid| hmtx.horizontal_advance(gid).unwrap_or(0))
            .collect();

        let cmap_data = table(tag::CMAP)?;
        let cmap = ReadScope::new(&cmap_data)
            .read::<Cmap<'_>>()
            .map_err(|e| e.to_string())?;
        let (_, subtable) = allsorts::font::read_cmap_subtable(&cmap)
            .map_err(|e| e.to_string())?
            .ok_or("has no Unicode character map")?;
        let mut glyphs = HashMap::new();
        subtable
            .mappings_fn(|code, gid| {
                if let Some(c) = char::from_u32(code) {
                    glyphs.insert(c, gid);
                }
            })
            .map_err(|e| e.to_string())?;

        let name = face_name(&provider, NameTable::POSTSCRIPT_NAME)
            .unwrap_or_else(|| "ChineseFont".to_string())
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>();
        Ok(FontFace {
            path: path.to_path_buf(),
            index,
            bytes: Vec::new(),
            name,
            glyphs,
            advances,
            units_per_em: f32::from(head.units_per_em.max(1)),
        })
    }

    /// Advance of `c` in em; characters the font lacks measure as its
    /// missing-glyph box.
    pub(crate) fn advance_em(&self, c: char) -> f32 {
        let gid = self.glyphs.get(&c).copied().unwrap_or(0);
        f32::from(self.advances.get(usize::from(gid)).copied().unwrap_or(0)) / self.units_per_em
    }

    /// Whether the font draws `c`.
    pub(crate) fn has(&self, c: char) -> bool {
        self.glyphs.contains_key(&c)
    }

    /// A font program holding only the glyphs of `chars`, ready to embed.
    pub(crate) fn subset(
        &self,
        chars: &BTreeSet<char>,
    ) -> Result<printpdf::ParsedFont, ExportError> {
        let failed = |problem: String| ExportError::FontSubset {
            path: self.path.clone(),
            problem,
        };
        // Glyph 0 (the missing-glyph box) must come first in a subset.
        let mut ids: Vec<u16> = vec![0];
        let used: BTreeSet<u16> = chars
            .iter()
            .filter_map(|c| self.glyphs.get(c).copied())
            .collect();
        ids.extend(used.into_iter().filter(|&g| g != 0));

        let font_data = ReadScope::new(&self.bytes)
            .read::<FontData<'_>>()
            .map_err(|e| failed(e.to_string()))?;
        let provider = font_data
            .table_provider(self.index)
            .map_err(|e| failed(e.to_string()))?;
        let program =
            allsorts::subset::subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
                .map_err(|e| failed(e.to_string()))?;

        let mut warnings = Vec::new();
        let mut parsed = printpdf::ParsedFont::from_bytes(&program, 0, &mut warnings)
            .ok_or_else(|| failed(format!("the subset font cannot be read back: {warnings:?}")))?;
        // PDF marks subset fonts with a six-letter tag before the name.
        parsed.font_name = Some(format!("{}+{}", subset_tag(&ids), self.name));
        Ok(parsed)
    }
}

/// The face to use in a collection: the Simplified Chinese one when the
/// family names say which it is, else the first face with Chinese glyphs.
fn pick_face(font: &OpenTypeFont<'_>, faces: usize) -> usize {
    let mut first_chinese = None;
    for index in 0..faces {
        let Ok(provider) = font.table_provider(index) else {
            continue;
        };
        let family = face_name(&provider, NameTable::TYPOGRAPHIC_FAMILY_NAME)
            .or_else(|| face_name(&provider, NameTable::FONT_FAMILY_NAME))
            .unwrap_or_default();
        if family.ends_with(" SC") || family.contains(" SC ") {
            return index;
        }
        if first_chinese.is_none() && family_is_chinese(&family) {
            first_chinese = Some(index);
        }
    }
    first_chinese.unwrap_or(0)
}

/// Family names of collection faces that are Japanese, Korean or
/// Traditional Chinese variants rather than Simplified Chinese.
fn family_is_chinese(family: &str) -> bool {
    ![" JP", " KR", " K", " TC", " HK", " J"]
        .iter()
        .any(|s| family.ends_with(s))
}

fn face_name(provider: &impl FontTableProvider, id: u16) -> Option<String> {
    let data = provider.read_table_data(tag::NAME).ok()?;
    let names = ReadScope::new(&data).read::<NameTable<'_>>().ok()?;
    names.string_for_id(id)
}

/// Six capital letters that differ between different glyph sets.
fn subset_tag(ids: &[u16]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for id in ids {
        for byte in id.to_be_bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
        .collect()
}
