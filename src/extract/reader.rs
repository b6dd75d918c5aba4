//! Reading one transcript: finding dates, numbers, names, addresses and
//! statements, choosing which goes in which field, and assembling the
//! result with its evidence.

use chrono::NaiveDate;
use serde_json::Value;

use super::address::{self, AddressMention};
use super::contact::{self, ContactKind};
use super::evidence::{
    ExtractedField, Extraction, ExtractionWarning, MissingField, Origin, ResidentLink, TextSpan,
    Timeline,
};
use super::phonetic::{Correction, CorrectionKind};
use super::registry::{self, Registry};
use super::text::{self, Cleaned};
use super::{blood_pressure, clauses, datetime, fields, numbers, people};
use crate::ledger::{FieldType, FieldValues, RecordType, check_value, missing_required};

/// A warning before it is given evidence: field index, message, cleaned span.
pub(crate) type PendingWarning = (Option<usize>, String, Option<(usize, usize)>);

/// A value chosen for a field, before it is checked and given evidence.
pub(crate) struct Found {
    field: usize,
    value: Value,
    /// Cleaned char span; empty when the value was not said.
    start: usize,
    end: usize,
    confidence: f32,
    origin: Origin,
    /// Transcript text replaced by the value, when not just normalised.
    original: Option<String>,
}

/// Everything found in one transcript, and which chars values have used.
pub(crate) struct Reader<'a> {
    chars: &'a [char],
    cleaned: &'a Cleaned,
    record_type: &'a RecordType,
    today: NaiveDate,
    places: &'a address::Places,
    /// Chars used by an assigned value; never part of free text.
    taken: Vec<bool>,
    /// Things the user should check, found while reading.
    pub warnings: Vec<PendingWarning>,
    address: Option<AddressMention>,
    phone: Option<String>,
    persons: Vec<people::PersonMention>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(
        cleaned: &'a Cleaned,
        record_type: &'a RecordType,
        today: NaiveDate,
        places: &'a address::Places,
    ) -> Reader<'a> {
        Reader {
            chars: &cleaned.chars,
            cleaned,
            record_type,
            today,
            places,
            taken: vec![false; cleaned.len()],
            warnings: Vec::new(),
            address: None,
            phone: None,
            persons: Vec::new(),
        }
    }

    fn fields_of(&self, kind: FieldType) -> Vec<usize> {
        self.record_type
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.kind == kind)
            .map(|(i, _)| i)
            .collect()
    }

    fn take(&mut self, start: usize, end: usize) {
        for t in &mut self.taken[start.min(end)..end.min(self.chars.len())] {
            *t = true;
        }
    }

    fn warn(&mut self, field: Option<usize>, message: String, span: Option<(usize, usize)>) {
        self.warnings.push((field, message, span));
    }

    /// Dates, times, phone and ID numbers, addresses, blood pressure and
    /// other numbers. Kinds are found in an order that lets the more
    /// specific claim characters first (a phone number's digits are not an
    /// age; 12号 in an address is not a date).
    pub(crate) fn structured(
        &mut self,
        registry: &Registry,
        corrections: &mut Vec<Correction>,
    ) -> Vec<Found> {
        let chars = self.chars;
        let mut found = Vec::new();
        let mut occupied = vec![false; chars.len()];
        let free = |occupied: &[bool], s: usize, e: usize| !(s..e).any(|i| occupied[i]);
        let occupy = |occupied: &mut Vec<bool>, s: usize, e: usize| {
            occupied[s..e].iter_mut().for_each(|o| *o = true);
        };

        let contacts = contact::find(chars);
        for c in &contacts {
            occupy(&mut occupied, c.start, c.end);
        }
        let addresses: Vec<AddressMention> = address::find(chars, self.places)
            .into_iter()
            .filter(|a| free(&occupied, a.start, a.end))
            .collect();
        for a in &addresses {
            occupy(&mut occupied, a.start, a.end);
        }
        let dates: Vec<_> = datetime::find_dates(chars, self.today)
            .into_iter()
            .filter(|d| free(&occupied, d.start, d.end))
            .collect();
        for d in &dates {
            occupy(&mut occupied, d.start, d.end);
        }
        let times: Vec<_> = datetime::find_times(chars)
            .into_iter()
            .filter(|t| free(&occupied, t.start, t.end))
            .collect();
        for t in &times {
            occupy(&mut occupied, t.start, t.end);
        }

        let dated = self.dates(&dates);
        let anchor = dated
            .iter()
            .find(|f| {
                f.origin == Origin::Transcript
                    && self.record_type.fields[f.field].key == self.record_type.date_field
            })
            .map_or(0, |f| f.end);
        found.extend(dated);
        found.extend(self.times(&times, anchor));
        found.extend(self.contacts(&contacts));
        found.extend(self.addresses(&addresses, registry, corrections));
        let bp = self.blood_pressure(&mut occupied);
        found.extend(bp);

        self.persons = people::find(chars, &registry.names)
            .into_iter()
            .filter(|p| free(&occupied, p.start, p.end))
            .collect();
        for p in &self.persons {
            occupy(&mut occupied, p.start, p.end);
        }
        let numbers: Vec<_> = numbers::scan(chars)
            .into_iter()
            .filter(|n| free(&occupied, n.start, n.end))
            .collect();
        found.extend(self.numbers(&numbers));
        found
    }

    fn dates(&mut self, dates: &[datetime::DateMention]) -> Vec<Found> {
        let mut found = Vec::new();
        let mut used = Vec::new();
        for field in self.fields_of(FieldType::Date) {
            let spec = &self.record_type.fields[field];
            let is_main = spec.key == self.record_type.date_field;
            let pick = dates.iter().enumerate().find(|(i, d)| {
                !used.contains(i)
                    && if is_main {
                        !d.future
                    } else {
                        fields::cue_before(self.chars, d.start, &spec.cues).is_some()
                    }
            });
            match pick {
                Some((i, d)) => {
                    used.push(i);
                    self.take(d.start, d.end);
                    found.push(Found {
                        field,
                        value: Value::from(d.date.format("%Y-%m-%d").to_string()),
                        start: d.start,
                        end: d.end,
                        confidence: 0.95,
                        origin: Origin::Transcript,
                        original: None,
                    });
                }
                None if is_main => found.push(Found {
                    field,
                    value: Value::from(self.today.format("%Y-%m-%d").to_string()),
                    start: 0,
                    end: 0,
                    confidence: 0.6,
                    origin: Origin::RecordingDate,
                    original: None,
                }),
                None => {}
            }
        }
        found
    }

    /// Times of day for the time fields. Only a time said with the
    /// record's date (今天上午十点) or at the start is the record's time;
    /// one said later is part of a statement (对方同意晚上十点后关机).
    fn times(&mut self, times: &[datetime::TimeMention], anchor: usize) -> Vec<Found> {
        let mut found = Vec::new();
        let fields = self.fields_of(FieldType::Time);
        let near = times.iter().filter(|t| {
            t.start + 8 >= anchor
                && t.start <= anchor + 12
                && !self.chars[anchor.min(t.start)..t.start].contains(&'。')
        });
        for (field, t) in fields.into_iter().zip(near) {
            self.take(t.start, t.end);
            found.push(Found {
                field,
                value: Value::from(t.time.format("%H:%M").to_string()),
                start: t.start,
                end: t.end,
                confidence: 0.9,
                origin: Origin::Transcript,
                original: None,
            });
        }
        found
    }

    fn contacts(&mut self, contacts: &[contact::ContactMention]) -> Vec<Found> {
        let mut found = Vec::new();
        if let Some(field) = self.fields_of(FieldType::Phone).first().copied() {
            let cues = self.record_type.fields[field].cues.clone();
            let phone = contacts.iter().find(|c| match c.kind {
                ContactKind::Mobile | ContactKind::Landline => true,
                ContactKind::LocalLandline => near_cue(self.chars, c.start, &cues),
                _ => false,
            });
            if let Some(c) = phone {
                self.take(c.start, c.end);
                self.phone = Some(c.value.clone());
                found.push(Found {
                    field,
                    value: Value::from(c.value.clone()),
                    start: c.start,
                    end: c.end,
                    confidence: if c.kind == ContactKind::LocalLandline {
                        0.8
                    } else {
                        0.95
                    },
                    origin: Origin::Transcript,
                    original: None,
                });
            }
        }
        if let Some(field) = self.fields_of(FieldType::IdNumber).first().copied() {
            for c in contacts {
                match c.kind {
                    ContactKind::IdNumber => {
                        self.take(c.start, c.end);
                        found.push(Found {
                            field,
                            value: Value::from(c.value.clone()),
                            start: c.start,
                            end: c.end,
                            confidence: 0.95,
                            origin: Origin::Transcript,
                            original: None,
                        });
                        break;
                    }
                    ContactKind::BadIdNumber => {
                        self.take(c.start, c.end);
                        self.warn(
                            Some(field),
                            format!("身份证号 `{}` 校验位不符，可能听错了，请对照身份证核实 (ID number fails its check digit; check it against the ID card)", c.value),
                            Some((c.start, c.end)),
                        );
                    }
                    _ => {}
                }
            }
        }
        found
    }

    fn addresses(
        &mut self,
        addresses: &[AddressMention],
        registry: &Registry,
        corrections: &mut Vec<Correction>,
    ) -> Vec<Found> {
        let Some(field) = self.fields_of(FieldType::Address).first().copied() else {
            return Vec::new();
        };
        let Some(mention) = addresses.first() else {
            return Vec::new();
        };
        let mut mention = mention.clone();
        let mut original = None;
        if let Some((at, name)) = self.place_said_before(&mention, addresses) {
            // 去了阳曲小区，…住在十五号楼三零二室: one address, said in two places.
            self.take(at, at + name.len());
            mention
                .parts
                .insert(0, address::Part::Name(name.iter().collect()));
        }
        if let Some(parts) = registry.fix_room(&mention.parts) {
            let (start, end) = self.cleaned.original_range(mention.start, mention.end);
            let from = self.cleaned.original_text(mention.start, mention.end);
            mention.parts = parts;
            corrections.push(Correction {
                start,
                end,
                from: from.clone(),
                to: mention.value(),
                kind: CorrectionKind::RoomNumber,
            });
            original = Some(from);
        }
        self.take(mention.start, mention.end);
        let confidence = if mention.known_place || mention.parts.len() >= 2 {
            0.9
        } else {
            0.75
        };
        self.address = Some(mention.clone());
        vec![Found {
            field,
            value: Value::from(mention.value()),
            start: mention.start,
            end: mention.end,
            confidence,
            origin: Origin::Transcript,
            original,
        }]
    }

    /// A known estate or road said on its own before `mention` when the
    /// mention has numbers but no place name.
    fn place_said_before(
        &self,
        mention: &AddressMention,
        addresses: &[AddressMention],
    ) -> Option<(usize, Vec<char>)> {
        if matches!(mention.parts.first(), Some(address::Part::Name(_))) {
            return None;
        }
        let inside_other = |at: usize| addresses.iter().any(|a| a.start <= at && at < a.end);
        (0..mention.start).rev().find_map(|at| {
            let len = self.places.longest_at(&self.chars[..mention.start], at)?;
            (!inside_other(at)).then(|| (at, self.chars[at..at + len].to_vec()))
        })
    }

    /// The record type's blood-pressure pair: its integer fields in mmHg.
    fn bp_pair(&self) -> Option<(usize, usize)> {
        let mm: Vec<usize> = self
            .fields_of(FieldType::Integer)
            .into_iter()
            .filter(|i| {
                self.record_type.fields[*i]
                    .unit
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case("mmhg"))
            })
            .collect();
        match mm[..] {
            [high, low, ..] => Some((high, low)),
            _ => None,
        }
    }

    fn blood_pressure(&mut self, occupied: &mut [bool]) -> Vec<Found> {
        let Some((high, low)) = self.bp_pair() else {
            return Vec::new();
        };
        let high_cues = self.record_type.fields[high].cues.clone();
        let low_cues = self.record_type.fields[low].cues.clone();
        let readings = blood_pressure::find(self.chars, &high_cues, &low_cues);
        let Some(reading) = readings
            .into_iter()
            .find(|r| !(r.start..r.end).any(|i| occupied[i]))
        else {
            return Vec::new();
        };
        occupied[reading.start..reading.end]
            .iter_mut()
            .for_each(|o| *o = true);
        self.take(reading.start, reading.end);
        let mut found = Vec::new();
        for (field, part) in [(high, reading.systolic), (low, reading.diastolic)] {
            if let Some((value, start, end)) = part {
                found.push(Found {
                    field,
                    value: Value::from(value),
                    start: if field == high { reading.start } else { start },
                    end,
                    confidence: 0.9,
                    origin: Origin::Transcript,
                    original: None,
                });
            }
        }
        found
    }

    fn numbers(&mut self, numbers: &[numbers::NumberToken]) -> Vec<Found> {
        let pair = self.bp_pair();
        let number_fields: Vec<usize> = self
            .record_type
            .fields
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                matches!(f.kind, FieldType::Integer | FieldType::Decimal)
                    && pair.is_none_or(|(h, l)| *i != h && *i != l)
            })
            .map(|(i, _)| i)
            .collect();
        let picks = fields::pick_numbers(self.chars, self.record_type, &number_fields, numbers);
        let mut found = Vec::new();
        for pick in picks {
            let number = &numbers[pick.token];
            self.take(pick.start, pick.end);
            if number.approximate {
                let text = self.cleaned.text(number.start, number.end);
                self.warn(
                    Some(pick.field),
                    format!("只说了大约的数 `{text}`，请填写准确数字 (only an approximate number was said; fill in the exact one)"),
                    Some((number.start, pick.end)),
                );
                continue;
            }
            found.push(Found {
                field: pick.field,
                value: Value::from(number.value),
                start: pick.start,
                end: pick.end,
                confidence: pick.confidence,
                origin: Origin::Transcript,
                original: None,
            });
        }
        found
    }

    /// Names for person fields, and the registry link for the main one.
    pub(crate) fn people(
        &mut self,
        registry: &Registry,
        found: &mut Vec<Found>,
    ) -> Option<registry::Link> {
        let registered: Vec<bool> = self
            .persons
            .iter()
            .map(|p| p.full_name && !registry.named(&p.name).is_empty())
            .collect();
        let picks = fields::pick_people(
            self.chars,
            self.record_type,
            &self.persons,
            &registered,
            &self.taken,
        );
        // A record is about a resident when its type requires a person
        // (被访人, 来访人); a meeting's chair is not linked to the registry.
        let main = self
            .fields_of(FieldType::Person)
            .into_iter()
            .find(|i| self.record_type.fields[*i].required);

        let mut link = None;
        for pick in &picks {
            self.take(pick.start, pick.mention.end);
            let mut value = pick.mention.name.clone();
            let mut original = None;
            let mut confidence = pick.confidence;
            if Some(pick.field) == main {
                link = registry.link(
                    Some(&pick.mention),
                    self.address.as_ref(),
                    self.phone.as_deref(),
                );
                if let Some(l) = &link {
                    let registered = &registry.residents[l.index].name;
                    if *registered != value {
                        original = Some(self.cleaned.text(pick.mention.start, pick.mention.end));
                    }
                    value = registered.clone();
                    confidence = confidence.max(l.confidence);
                }
            }
            found.push(Found {
                field: pick.field,
                value: Value::from(value),
                start: pick.mention.start,
                end: pick.mention.end,
                confidence,
                origin: Origin::Transcript,
                original,
            });
        }
        if let (Some(field), None) = (main, &link)
            && !picks.iter().any(|p| p.field == field)
        {
            link = registry.link(None, self.address.as_ref(), self.phone.as_deref());
            if let Some(l) = &link {
                found.push(Found {
                    field,
                    value: Value::from(registry.residents[l.index].name.clone()),
                    start: 0,
                    end: 0,
                    confidence: l.confidence,
                    origin: Origin::Registry,
                    original: None,
                });
            }
        }
        link
    }

    pub(crate) fn choices(&mut self) -> Vec<Found> {
        let statement_words = self.statement_cue_spans();
        let done = self.done_clauses();
        let mut found = Vec::new();
        for (field, spec) in self.record_type.fields.iter().enumerate() {
            let pick = || fields::pick_choices(self.chars, spec, &statement_words, &done);
            let chosen: Vec<_> = match spec.kind {
                FieldType::Choice => pick().into_iter().take(1).collect(),
                FieldType::MultiChoice => pick(),
                _ => continue,
            };
            let Some(first) = chosen.first() else {
                continue;
            };
            let (start, end) = (first.1, chosen.iter().map(|c| c.2).max().unwrap_or(first.2));
            for (_, s, e) in &chosen {
                if self.overlaps_statement_cue(*s, *e) {
                    self.take(*s, *e);
                }
            }
            let value = match spec.kind {
                FieldType::Choice => Value::from(first.0.clone()),
                _ => Value::from(chosen.iter().map(|c| c.0.clone()).collect::<Vec<_>>()),
            };
            found.push(Found {
                field,
                value,
                start,
                end,
                confidence: 0.85,
                origin: Origin::Transcript,
                original: None,
            });
        }
        found
    }

    /// Clauses that report what was done (已告知…, 我们已经联系…): words in
    /// them describe the staff's work, not which kind of case this is.
    fn done_clauses(&self) -> Vec<(usize, usize)> {
        text::clauses(self.chars)
            .into_iter()
            .filter(|&(a, b)| {
                let mut i = a;
                for subject in ["我们", "她", "他", "我", "社区", "居委会"] {
                    if text::starts_with(self.chars, i, subject) {
                        i += subject.chars().count();
                    }
                }
                i < b && self.chars[i] == '已'
            })
            .collect()
    }

    /// Where the cues of text and yes/no fields are said.
    fn statement_cue_spans(&self) -> Vec<(usize, usize)> {
        self.record_type
            .fields
            .iter()
            .filter(|f| matches!(f.kind, FieldType::Text | FieldType::YesNo))
            .flat_map(|f| &f.cues)
            .flat_map(|cue| {
                let len = cue.chars().count();
                fields::occurrences(self.chars, cue)
                    .into_iter()
                    .map(move |at| (at, at + len))
            })
            .collect()
    }

    /// Whether a text or yes/no cue overlaps `start..end`, so that a choice
    /// word (电话回访) is not read again as a statement (回访 → follow-up).
    fn overlaps_statement_cue(&self, start: usize, end: usize) -> bool {
        self.statement_cue_spans()
            .iter()
            .any(|&(s, e)| s < end && start < e)
    }

    pub(crate) fn statements(&mut self) -> Vec<Found> {
        clauses::statements(self.chars, &self.taken, self.record_type)
            .into_iter()
            .map(|s| {
                let start = s.spans.first().map_or(0, |sp| sp.0);
                let end = s.spans.last().map_or(0, |sp| sp.1);
                let value = match self.record_type.fields[s.field].kind {
                    FieldType::YesNo => Value::Bool(s.text == "是"),
                    _ => Value::from(s.text),
                };
                Found {
                    field: s.field,
                    value,
                    start,
                    end,
                    confidence: 0.75,
                    origin: Origin::Transcript,
                    original: None,
                }
            })
            .collect()
    }
}

/// Whether one of `cues` comes within eight characters before `pos`.
fn near_cue(chars: &[char], pos: usize, cues: &[String]) -> bool {
    let from = pos.saturating_sub(8);
    let before: String = chars[from..pos].iter().collect();
    cues.iter().any(|c| before.contains(c.as_str()))
}

/// Checks each value against its field, attaches evidence, and lists what
/// is missing.
#[allow(
    clippy::too_many_arguments,
    reason = "the parts of one result, gathered in one place"
)]
pub(crate) fn assemble(
    record_type: &RecordType,
    cleaned: &Cleaned,
    timeline: &Timeline,
    recording_date: NaiveDate,
    mut found: Vec<Found>,
    warnings: Vec<PendingWarning>,
    resident: Option<ResidentLink>,
    corrections: Vec<Correction>,
) -> Extraction {
    found.sort_by_key(|f| f.field);
    let span_of = |start: usize, end: usize| -> Option<TextSpan> {
        (end > start).then(|| {
            let (s, e) = cleaned.original_range(start, end);
            TextSpan {
                start: s,
                end: e,
                text: cleaned.original_text(start, end),
            }
        })
    };

    let mut out_warnings: Vec<ExtractionWarning> = warnings
        .into_iter()
        .map(|(field, message, span)| ExtractionWarning {
            key: field.map(|f| record_type.fields[f].key.clone()),
            message,
            span: span.and_then(|(s, e)| span_of(s, e)),
        })
        .collect();
    let mut fields = Vec::new();
    for f in found {
        let spec = &record_type.fields[f.field];
        let span = span_of(f.start, f.end);
        let value = match check_value(spec, &f.value) {
            Ok(Some(value)) => value,
            Ok(None) => continue,
            Err(e) => {
                out_warnings.push(ExtractionWarning {
                    key: Some(spec.key.clone()),
                    message: e.to_string(),
                    span,
                });
                continue;
            }
        };
        let corrected = span.as_ref().filter(|s| {
            corrections
                .iter()
                .any(|c| c.start < s.end && s.start < c.end)
        });
        let original = f.original.or_else(|| corrected.map(|s| s.text.clone()));
        let confidence = if original.is_some() {
            f.confidence * 0.9
        } else {
            f.confidence
        };
        fields.push(ExtractedField {
            key: spec.key.clone(),
            title: spec.title.clone(),
            value,
            confidence: (confidence * 100.0).round() / 100.0,
            origin: f.origin,
            audio: span.as_ref().and_then(|s| timeline.audio(s.start, s.end)),
            span,
            original,
        });
    }
    let values: FieldValues = fields
        .iter()
        .map(|f| (f.key.clone(), f.value.clone()))
        .collect();
    let missing_required = missing_required(record_type, &values)
        .into_iter()
        .map(|spec| MissingField {
            key: spec.key.clone(),
            title: spec.title.clone(),
        })
        .collect();
    Extraction {
        record_type: record_type.id.clone(),
        type_version: record_type.version,
        recording_date,
        fields,
        missing_required,
        warnings: out_warnings,
        resident,
        corrections,
    }
}
