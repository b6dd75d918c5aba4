//! The resident registry as extraction uses it: names to find and correct,
//! addresses to compare spoken ones with, and the link from a dictation to
//! the resident it is about.

use super::address::{self, AddressMention, Part};
use super::people::PersonMention;
use super::phonetic::Readings;
use crate::ledger::Resident;

/// Residents with their names and addresses prepared for matching.
#[derive(Debug)]
pub(crate) struct Registry<'a> {
    /// The residents, in registry order.
    pub residents: &'a [Resident],
    /// Each resident's name as chars.
    pub names: Vec<Vec<char>>,
    /// Each resident's address parts (address, building and room joined).
    addresses: Vec<Vec<Part>>,
}

/// How a dictation was linked to a resident.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Link {
    /// Index into the registry.
    pub index: usize,
    /// How sure the link is.
    pub confidence: f32,
    /// Why, in words a user reads.
    pub reason: String,
}

impl<'a> Registry<'a> {
    /// Prepares `residents`; `places` are known place names as chars.
    pub fn new(residents: &'a [Resident], places: &address::Places) -> Registry<'a> {
        let names = residents
            .iter()
            .map(|r| r.name.trim().chars().collect())
            .collect();
        let addresses = residents
            .iter()
            .map(|r| address::parse_written(&full_address(r), places))
            .collect();
        Registry {
            residents,
            names,
            addresses,
        }
    }

    /// Residents whose address agrees with everything said in `spoken`:
    /// the same place name if one was said, and the same trailing numbers
    /// (3号楼502室 agrees with 彭浦新村3号楼502室, not with 13号楼502室).
    pub fn at_address(&self, spoken: &[Part]) -> Vec<usize> {
        (0..self.residents.len())
            .filter(|i| address_agrees(&self.addresses[*i], spoken))
            .collect()
    }

    /// Residents with this exact name.
    pub fn named(&self, name: &str) -> Vec<usize> {
        (0..self.residents.len())
            .filter(|i| self.residents[*i].name.trim() == name)
            .collect()
    }

    /// Residents with this phone number.
    pub fn with_phone(&self, phone: &str) -> Vec<usize> {
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        let wanted = digits(phone);
        (0..self.residents.len())
            .filter(|i| {
                self.residents[*i]
                    .phone
                    .as_deref()
                    .is_some_and(|p| !wanted.is_empty() && digits(p) == wanted)
            })
            .collect()
    }

    /// The resident a person mention refers to, using the address or phone
    /// said in the same dictation to tell apart residents of one surname.
    pub fn link(
        &self,
        person: Option<&PersonMention>,
        spoken_address: Option<&AddressMention>,
        phone: Option<&str>,
    ) -> Option<Link> {
        let at_address = spoken_address.map(|a| self.at_address(&a.parts));
        let by_phone = phone.map(|p| self.with_phone(p)).unwrap_or_default();
        let narrow = |candidates: Vec<usize>| -> Vec<usize> {
            let mut narrowed = candidates.clone();
            if let Some(at) = &at_address {
                narrowed.retain(|i| at.contains(i));
            }
            if !by_phone.is_empty() {
                narrowed.retain(|i| by_phone.contains(i));
            }
            if narrowed.is_empty() {
                candidates
            } else {
                narrowed
            }
        };

        if let Some(person) = person {
            if person.full_name {
                let named = narrow(self.named(&person.name));
                if let [index] = named[..] {
                    return Some(Link {
                        index,
                        confidence: 0.95,
                        reason: format!("姓名与登记居民 {} 一致", person.name),
                    });
                }
                if !named.is_empty() {
                    return None;
                }
            }
            let surname: Vec<char> = person.surname.chars().collect();
            let mut readings = Readings::default();
            let same_surname: Vec<usize> = (0..self.residents.len())
                .filter(|i| {
                    let name = &self.names[*i];
                    surname.len() <= name.len()
                        && surname
                            .iter()
                            .zip(name)
                            .all(|(a, b)| readings.alike(*a, *b))
                })
                .collect();
            let corroborated: Vec<usize> = same_surname
                .iter()
                .copied()
                .filter(|i| {
                    at_address.as_ref().is_some_and(|at| at.contains(i)) || by_phone.contains(i)
                })
                .collect();
            if let [index] = corroborated[..] {
                return Some(Link {
                    index,
                    confidence: 0.85,
                    reason: format!(
                        "{} 与登记居民 {} 同姓且住址或电话一致",
                        person.name, self.residents[index].name
                    ),
                });
            }
            return None;
        }

        let candidates: Vec<usize> = match (&at_address, by_phone.is_empty()) {
            (_, false) => narrow(by_phone.clone()),
            (Some(at), true) if spoken_address.is_some_and(|a| a.room().is_some()) => at.clone(),
            _ => Vec::new(),
        };
        match candidates[..] {
            [index] => Some(Link {
                index,
                confidence: 0.7,
                reason: "住址或电话与登记居民一致".to_string(),
            }),
            _ => None,
        }
    }

    /// A room number with a stray trailing digit (5020室 heard for 502室)
    /// when the registry knows the shorter room at that address and not the
    /// longer one. Returns the corrected parts.
    pub fn fix_room(&self, spoken: &[Part]) -> Option<Vec<Part>> {
        let (index, number) = spoken.iter().enumerate().rev().find_map(|(i, p)| match p {
            Part::Numbered(n, "室") if n.len() >= 4 => Some((i, n.clone())),
            _ => None,
        })?;
        if !self.at_address(spoken).is_empty() {
            return None;
        }
        let mut fixed = spoken.to_vec();
        fixed[index] = Part::Numbered(number[..number.len() - 1].to_string(), "室");
        (!self.at_address(&fixed).is_empty()).then_some(fixed)
    }
}

/// The resident's address with building and room appended when they are
/// kept apart in the registry.
fn full_address(resident: &Resident) -> String {
    let mut text = resident.address.trim().to_string();
    if let Some(building) = resident
        .building
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        && !text.contains(building)
    {
        text.push_str(building);
        if building.chars().all(|c| c.is_ascii_digit()) {
            text.push_str("号楼");
        }
    }
    if let Some(room) = resident
        .room
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        && !text.ends_with(room)
        && !text.ends_with(&format!("{room}室"))
    {
        text.push_str(room);
        if room.chars().all(|c| c.is_ascii_digit()) {
            text.push('室');
        }
    }
    text
}

/// Building units that people use for one another (3号, 3号楼, 3幢).
fn unit_class(unit: &str) -> &str {
    match unit {
        "号楼" | "幢" | "栋" | "座" => "号",
        other => other,
    }
}

fn address_agrees(registered: &[Part], spoken: &[Part]) -> bool {
    let numbered = |parts: &[Part]| -> Vec<(String, String)> {
        parts
            .iter()
            .filter_map(|p| match p {
                Part::Numbered(n, u) => Some((n.clone(), unit_class(u).to_string())),
                Part::Name(_) => None,
            })
            .collect()
    };
    let name = |parts: &[Part]| -> Option<String> {
        parts.iter().find_map(|p| match p {
            Part::Name(n) => Some(n.clone()),
            Part::Numbered(..) => None,
        })
    };
    let said = numbered(spoken);
    let known = numbered(registered);
    if said.is_empty() && name(spoken).is_none() {
        return false;
    }
    if let Some(spoken_name) = name(spoken)
        && name(registered).as_deref() != Some(spoken_name.as_str())
    {
        return false;
    }
    said.len() <= known.len() && known.ends_with(&said)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn residents() -> Vec<Resident> {
        let r = |id: &str, name: &str, address: &str| Resident {
            id: id.into(),
            name: name.into(),
            address: address.into(),
            ..Resident::default()
        };
        vec![
            r("r1", "王秀英", "彭浦新村3号楼502室"),
            r("r2", "王建华", "彭浦新村13号楼502室"),
            r("r3", "李国强", "临汾路375弄12号301室"),
        ]
    }

    fn parts(text: &str) -> Vec<Part> {
        let places = address::Places::new(["彭浦新村", "临汾路"].map(|n| n.chars().collect()));
        address::parse_written(text, &places)
    }

    #[test]
    fn addresses_agree_by_trailing_parts() {
        let residents = residents();
        let places = address::Places::new(["彭浦新村".chars().collect()]);
        let registry = Registry::new(&residents, &places);
        assert_eq!(registry.at_address(&parts("3号楼502室")), [0]);
        assert_eq!(registry.at_address(&parts("彭浦新村13号502室")), [1]);
        assert_eq!(registry.at_address(&parts("12号301室")), [2]);
        assert!(registry.at_address(&parts("4号楼502室")).is_empty());
    }

    #[test]
    fn stray_digit_in_room_is_fixed_only_when_registered() {
        let residents = residents();
        let registry = Registry::new(&residents, &address::Places::default());
        let fixed = registry.fix_room(&parts("3号楼5020室")).unwrap();
        assert_eq!(address::render(&fixed), "3号楼502室");
        assert!(registry.fix_room(&parts("3号楼6020室")).is_none());
    }
}
