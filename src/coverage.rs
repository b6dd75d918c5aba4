//! Visit coverage against the sub-district's targets: each staff member
//! visits at least five households a working day on average, and every
//! household of the registry is visited within the year.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;

use crate::ledger::{Catalog, Record, Resident, record_date};

/// The record type whose records count as visits.
pub const VISIT_RECORD_TYPE: &str = "home-visit";

/// Households a staff member is expected to visit per working day.
pub const DAILY_TARGET: f64 = 5.0;

/// Coverage of one year up to a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// First day counted (1 January).
    pub from: NaiveDate,
    /// Last day counted: the given day, or 31 December for a past year.
    pub to: NaiveDate,
    /// Monday-to-Friday days from `from` to `to`.
    pub working_days: u32,
    /// Visits per working day expected of each staff member.
    pub daily_target: f64,
    /// Each staff member's visits, most first.
    pub staff: Vec<StaffCoverage>,
    /// Households (distinct registry addresses).
    pub households: usize,
    /// Households with at least one visit in the year.
    pub households_visited: usize,
    /// Households not visited yet, with who lives there.
    pub unvisited: Vec<Household>,
    /// Visits in each month, January first.
    pub months: Vec<MonthVisits>,
}

/// One staff member's visits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaffCoverage {
    /// The records' author.
    pub name: String,
    /// Visits in the year so far.
    pub visits: usize,
    /// Visits per working day.
    pub per_working_day: f64,
    /// Whether the daily average reaches the target.
    pub meets_target: bool,
}

/// A household of the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Household {
    /// Its address.
    pub address: String,
    /// The residents registered there.
    pub residents: Vec<String>,
}

/// Visits in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthVisits {
    /// Month number, 1 to 12.
    pub month: u32,
    /// Visits dated in it.
    pub visits: usize,
}

/// Coverage of `year` from the visit records in `records`, counted up to
/// `today` (or the year's end for a past year).
pub fn coverage(
    catalog: &Catalog,
    records: &[Record],
    residents: &[Resident],
    year: i32,
    today: NaiveDate,
) -> Coverage {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January exists");
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31).expect("31 December exists");
    let to = today.clamp(from, year_end);
    let working_days = from
        .iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .count() as u32;

    let by_id: HashMap<&str, &Resident> = residents.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut households: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for resident in residents {
        households
            .entry(household_key(&resident.address))
            .or_default()
            .push(resident.name.clone());
    }

    let mut per_staff: BTreeMap<&str, usize> = BTreeMap::new();
    let mut months = [0usize; 12];
    let mut visited: BTreeSet<String> = BTreeSet::new();
    for record in records
        .iter()
        .filter(|r| r.record_type == VISIT_RECORD_TYPE)
    {
        let Some(date) = record_date(catalog, record).filter(|d| (from..=to).contains(d)) else {
            continue;
        };
        *per_staff.entry(record.author.as_str()).or_default() += 1;
        months[date.month0() as usize] += 1;
        if let Some(resident) = record.resident_id.as_deref().and_then(|id| by_id.get(id)) {
            visited.insert(household_key(&resident.address));
        }
    }

    let mut staff: Vec<StaffCoverage> = per_staff
        .into_iter()
        .map(|(name, visits)| {
            let per_working_day = if working_days == 0 {
                0.0
            } else {
                visits as f64 / f64::from(working_days)
            };
            StaffCoverage {
                name: name.to_string(),
                visits,
                per_working_day,
                meets_target: per_working_day >= DAILY_TARGET,
            }
        })
        .collect();
    staff.sort_by(|a, b| b.visits.cmp(&a.visits).then(a.name.cmp(&b.name)));
    let households_visited = households.keys().filter(|k| visited.contains(*k)).count();
    let unvisited = households
        .iter()
        .filter(|(k, _)| !visited.contains(*k))
        .map(|(address, residents)| Household {
            address: address.clone(),
            residents: residents.clone(),
        })
        .collect();

    Coverage {
        from,
        to,
        working_days,
        daily_target: DAILY_TARGET,
        staff,
        households: households.len(),
        households_visited,
        unvisited,
        months: (1..=12)
            .map(|month| MonthVisits {
                month,
                visits: months[month as usize - 1],
            })
            .collect(),
    }
}

/// Registry addresses are typed by hand: spaces do not make a new household.
fn household_key(address: &str) -> String {
    address.chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::RecordState;
    use serde_json::json;

    fn resident(id: &str, name: &str, address: &str) -> Resident {
        Resident {
            id: id.into(),
            name: name.into(),
            address: address.into(),
            ..Resident::default()
        }
    }

    fn visit(author: &str, date: &str, resident: &str) -> Record {
        let now = chrono::Utc::now();
        Record {
            id: format!("{author}-{date}-{resident}"),
            record_type: VISIT_RECORD_TYPE.into(),
            type_version: 1,
            fields: [("visit_date".to_string(), json!(date))]
                .into_iter()
                .collect(),
            transcript: None,
            audio_ref: None,
            author: author.into(),
            committee: "居委会".into(),
            resident_id: Some(resident.into()),
            state: RecordState::Final,
            revision: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn counts_households_staff_and_months() {
        let catalog = Catalog::builtin();
        let residents = [
            resident("r1", "王秀英", "彭浦新村3号楼502室"),
            resident("r2", "张建国", "彭浦新村 3号楼502室"),
            resident("r3", "李桂兰", "彭浦新村5号楼101室"),
        ];
        let records = [
            visit("李敏", "2026-01-05", "r1"),
            visit("李敏", "2026-02-02", "r2"),
            visit("陈静", "2026-02-03", "r1"),
            visit("陈静", "2025-12-31", "r3"),
        ];
        let today = NaiveDate::from_ymd_opt(2026, 1, 9).unwrap();
        let cover = coverage(&catalog, &records, &residents, 2026, today);

        assert_eq!(cover.working_days, 7, "1–9 January 2026 has seven weekdays");
        assert_eq!(cover.households, 2, "spaces do not split a household");
        assert_eq!(cover.households_visited, 1);
        assert_eq!(cover.unvisited[0].residents, ["李桂兰"]);
        assert_eq!(cover.staff.len(), 1, "February is after today");
        assert_eq!(cover.staff[0].visits, 1);
        assert!(!cover.staff[0].meets_target);
        assert_eq!(cover.months[0].visits, 1);
    }
}
