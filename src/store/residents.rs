//! The resident registry table.

use chrono::Utc;
use rusqlite::params;

use super::records::timestamp;
use super::{Store, StoreError};
use crate::ledger::Resident;

/// How an import changed the registry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct UpsertCounts {
    /// Residents not seen before.
    pub added: usize,
    /// Residents already present (same name and address) whose details were updated.
    pub updated: usize,
}

impl Store {
    /// Adds residents, or updates those with the same name and address.
    /// Residents without an id get a new one.
    pub fn upsert_residents(&mut self, residents: &[Resident]) -> Result<UpsertCounts, StoreError> {
        let mut counts = UpsertCounts::default();
        let now = timestamp(Utc::now());
        let tx = self.conn.transaction()?;
        for r in residents {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT id FROM residents WHERE name = ?1 AND address = ?2",
                    params![r.name, r.address],
                    |row| row.get(0),
                )
                .ok();
            let tags = serde_json::to_string(&r.tags).expect("tags serialise");
            match existing {
                Some(id) => {
                    tx.execute(
                        "UPDATE residents SET building = ?2, room = ?3, phone = ?4, birth_year = ?5,
                             tags = ?6, updated_at = ?7 WHERE id = ?1",
                        params![id, r.building, r.room, r.phone, r.birth_year, tags, now],
                    )?;
                    counts.updated += 1;
                }
                None => {
                    let id = if r.id.is_empty() {
                        uuid::Uuid::now_v7().to_string()
                    } else {
                        r.id.clone()
                    };
                    tx.execute(
                        "INSERT INTO residents (id, name, address, building, room, phone, birth_year, tags, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        params![id, r.name, r.address, r.building, r.room, r.phone, r.birth_year, tags, now],
                    )?;
                    counts.added += 1;
                }
            }
        }
        tx.commit()?;
        Ok(counts)
    }

    /// Every resident, by address then name.
    pub fn residents(&self) -> Result<Vec<Resident>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT id, name, address, building, room, phone, birth_year, tags
             FROM residents ORDER BY address, name",
        )?;
        let rows = statement.query_map([], |row| {
            let tags: String = row.get(7)?;
            Ok(Resident {
                id: row.get(0)?,
                name: row.get(1)?,
                address: row.get(2)?,
                building: row.get(3)?,
                room: row.get(4)?,
                phone: row.get(5)?,
                birth_year: row.get(6)?,
                tags: serde_json::from_str(&tags).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A resident by id.
    pub fn resident(&self, id: &str) -> Result<Option<Resident>, StoreError> {
        Ok(self.residents()?.into_iter().find(|r| r.id == id))
    }
}
