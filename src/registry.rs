//! Reading the resident registry from the spreadsheets committees keep:
//! CSV (UTF-8, with or without BOM, or GBK-free UTF-8 exports) and XLSX,
//! with Chinese column headers.

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};

use crate::ledger::Resident;

/// Errors reading a registry file.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The file could not be read.
    #[error("cannot read `{path}`: {problem}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// The file type is not CSV or XLSX.
    #[error("`{0}` is neither .csv nor .xlsx; save the registry from Excel or WPS as one of those")]
    UnknownType(PathBuf),
    /// A required column is missing.
    #[error(
        "`{path}` has no `{column}` column; the first row must hold column titles such as 姓名, 住址, 联系电话, 出生年份, 标签"
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The missing column's title.
        column: &'static str,
    },
    /// A row has a value that cannot be used.
    #[error("`{path}` row {row}: {problem}")]
    BadRow {
        /// The file.
        path: PathBuf,
        /// 1-based row number as shown in a spreadsheet.
        row: usize,
        /// What is wrong.
        problem: String,
    },
}

/// Accepted header titles for each registry column.
const NAME: &[&str] = &["姓名", "name"];
const ADDRESS: &[&str] = &["住址", "地址", "家庭住址", "address"];
const BUILDING: &[&str] = &["楼号", "幢", "号楼", "building"];
const ROOM: &[&str] = &["室号", "房号", "室", "room"];
const PHONE: &[&str] = &["联系电话", "电话", "手机", "phone"];
const BIRTH: &[&str] = &["出生年份", "出生年月", "出生日期", "birth_year"];
const TAGS: &[&str] = &["标签", "类别", "人员类别", "tags"];

/// Reads residents from a CSV or XLSX file.
pub fn read_registry(path: &Path) -> Result<Vec<Resident>, RegistryError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let table = match extension.as_str() {
        "csv" => read_csv(path)?,
        "xlsx" | "xls" => read_xlsx(path)?,
        _ => return Err(RegistryError::UnknownType(path.to_path_buf())),
    };
    parse_table(path, &table)
}

fn read_csv(path: &Path) -> Result<Vec<Vec<String>>, RegistryError> {
    let read_error = |problem: String| RegistryError::Read {
        path: path.to_path_buf(),
        problem,
    };
    let bytes = std::fs::read(path).map_err(|e| read_error(e.to_string()))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        read_error("it is not UTF-8 text; in Excel choose “CSV UTF-8” when saving".to_string())
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            r.map(|rec| rec.iter().map(|c| c.trim().to_string()).collect())
                .map_err(|e| read_error(e.to_string()))
        })
        .collect()
}

fn read_xlsx(path: &Path) -> Result<Vec<Vec<String>>, RegistryError> {
    let read_error = |problem: String| RegistryError::Read {
        path: path.to_path_buf(),
        problem,
    };
    let mut workbook = open_workbook_auto(path).map_err(|e| read_error(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| read_error("the workbook has no sheets".to_string()))?
        .map_err(|e| read_error(e.to_string()))?;
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        other => other.to_string().trim().to_string(),
    }
}

fn parse_table(path: &Path, table: &[Vec<String>]) -> Result<Vec<Resident>, RegistryError> {
    let Some((header, rows)) = table.split_first() else {
        return Ok(Vec::new());
    };
    let find = |titles: &[&str]| {
        header
            .iter()
            .position(|h| titles.iter().any(|t| h.trim() == *t))
    };
    let missing = |column| RegistryError::MissingColumn {
        path: path.to_path_buf(),
        column,
    };
    let name_col = find(NAME).ok_or_else(|| missing("姓名"))?;
    let address_col = find(ADDRESS).ok_or_else(|| missing("住址"))?;
    let (building_col, room_col, phone_col) = (find(BUILDING), find(ROOM), find(PHONE));
    let (birth_col, tags_col) = (find(BIRTH), find(TAGS));

    let mut residents = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let cell = |col: Option<usize>| {
            col.and_then(|c| row.get(c))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let bad_row = |problem: String| RegistryError::BadRow {
            path: path.to_path_buf(),
            row: index + 2,
            problem,
        };
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let name = cell(Some(name_col)).ok_or_else(|| bad_row("姓名 is empty".to_string()))?;
        let address =
            cell(Some(address_col)).ok_or_else(|| bad_row(format!("住址 of {name} is empty")))?;
        let birth_year = match cell(birth_col) {
            Some(text) => Some(parse_birth_year(&text).ok_or_else(|| {
                bad_row(format!(
                    "出生年份 `{text}` of {name} is not a year such as 1944 or 1944-05"
                ))
            })?),
            None => None,
        };
        let tags = cell(tags_col)
            .map(|t| {
                t.split(['、', ',', '，', ';', '；', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        residents.push(Resident {
            id: String::new(),
            name,
            address,
            building: cell(building_col),
            room: cell(room_col),
            phone: cell(phone_col),
            birth_year,
            tags,
        });
    }
    Ok(residents)
}

/// `1944`, `1944-05`, `1944年5月`, `1944.05.01` → 1944.
fn parse_birth_year(text: &str) -> Option<i32> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let year: i32 = digits.get(..4)?.parse().ok()?;
    (1880..=2100).contains(&year).then_some(year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_years() {
        for (text, year) in [
            ("1944", Some(1944)),
            ("1944-05", Some(1944)),
            ("1944年5月", Some(1944)),
            ("44", None),
            ("abcd", None),
        ] {
            assert_eq!(parse_birth_year(text), year, "{text}");
        }
    }
}
