//! Committees, devices and enrolment: who may talk to the hub.
//!
//! Enrolment codes and device tokens are stored only as SHA-256 hashes.
//! Both are long random strings, so a fast hash is enough: there is no
//! password to guess.

use chrono::{Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use voice_ledger::sync::wire::{Committee, Role};

use crate::db::{Conn, Row, Value};
use crate::{HubError, now_text};

/// Letters of enrolment codes: no 0/O, 1/I/L, so they can be read aloud
/// and typed from paper.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const CODE_LENGTH: usize = 12;

/// A device as the hub knows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Device {
    /// Device id.
    pub id: String,
    /// Name given at enrolment.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Its committee (committee devices).
    pub committee: Option<Committee>,
    /// When it enrolled.
    pub enrolled_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// Why a request's credentials were refused.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthFailure {
    /// No `Authorization: Bearer` header.
    Missing,
    /// The token belongs to no device.
    Unknown,
    /// The device has been revoked.
    Revoked,
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Committee => "committee",
        Role::Admin => "admin",
    }
}

fn parse_role(text: &str) -> Role {
    if text == "admin" {
        Role::Admin
    } else {
        Role::Committee
    }
}

/// SHA-256 hex of a secret.
pub(crate) fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system provides random numbers");
    bytes
}

/// A fresh device token: 256 random bits.
fn new_token() -> String {
    hex::encode(random_bytes::<32>())
}

/// A fresh enrolment code, `XXXX-XXXX-XXXX`.
fn new_code() -> String {
    let mut code = String::new();
    // Rejection sampling keeps every letter equally likely.
    let limit = 256 - 256 % CODE_ALPHABET.len();
    while code.chars().filter(|c| *c != '-').count() < CODE_LENGTH {
        for byte in random_bytes::<32>() {
            let letters = code.chars().filter(|c| *c != '-').count();
            if letters == CODE_LENGTH {
                break;
            }
            if usize::from(byte) < limit {
                if letters > 0 && letters % 4 == 0 {
                    code.push('-');
                }
                code.push(CODE_ALPHABET[usize::from(byte) % CODE_ALPHABET.len()] as char);
            }
        }
    }
    code
}

/// A typed code in its stored form: upper case, no dashes or spaces.
fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Adds a committee; its name must be new.
pub fn add_committee(conn: &mut dyn Conn, name: &str) -> Result<Committee, HubError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(HubError::Invalid(
            "a committee needs a name, e.g. 彭浦新村第一居委会".into(),
        ));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let added = conn.execute(
        "INSERT INTO committees (id, name, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING",
        &[id.as_str().into(), name.into(), now_text().into()],
    )?;
    if added == 0 {
        return Err(HubError::Invalid(format!(
            "committee `{name}` already exists; see `voice-ledger-hub committee list`"
        )));
    }
    Ok(Committee {
        id,
        name: name.to_string(),
    })
}

/// Every committee, by name.
pub fn committees(conn: &mut dyn Conn) -> Result<Vec<Committee>, HubError> {
    conn.query("SELECT id, name FROM committees ORDER BY name", &[])?
        .iter()
        .map(|r| {
            Ok(Committee {
                id: r.text(0)?,
                name: r.text(1)?,
            })
        })
        .collect()
}

/// A committee by id or name.
pub fn find_committee(conn: &mut dyn Conn, id_or_name: &str) -> Result<Committee, HubError> {
    let row = conn.query_opt(
        "SELECT id, name FROM committees WHERE id = $1 OR name = $1",
        &[id_or_name.into()],
    )?;
    match row {
        Some(r) => Ok(Committee {
            id: r.text(0)?,
            name: r.text(1)?,
        }),
        None => Err(HubError::NotFound(format!(
            "committee `{id_or_name}`; add it with `voice-ledger-hub committee add NAME` or see `committee list`"
        ))),
    }
}

/// Issues a one-time enrolment code valid for `days` days.
pub fn issue_code(
    conn: &mut dyn Conn,
    role: Role,
    committee: Option<&Committee>,
    days: i64,
) -> Result<String, HubError> {
    if role == Role::Committee && committee.is_none() {
        return Err(HubError::Invalid(
            "a committee device code needs --committee".into(),
        ));
    }
    let code = new_code();
    let now = Utc::now();
    conn.execute(
        "INSERT INTO enrol_codes (code_hash, role, committee_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            secret_hash(&normalize_code(&code)).into(),
            role_name(role).into(),
            committee.map(|c| c.id.as_str()).into(),
            crate::timestamp(now).into(),
            crate::timestamp(now + Duration::days(days.max(1))).into(),
        ],
    )?;
    Ok(code)
}

/// Spends a code and creates the device. Returns the device and its token,
/// or `None` if the code is unknown, spent or expired.
pub fn enrol(
    conn: &mut dyn Conn,
    code: &str,
    device_name: &str,
) -> Result<Option<(Device, String)>, HubError> {
    let code_hash = secret_hash(&normalize_code(code));
    let now = now_text();
    conn.transaction(|conn| {
        // The UPDATE is the check: of two devices racing with the same
        // code, only one changes the row.
        let spent = conn.execute(
            "UPDATE enrol_codes SET used_at = $2
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2",
            &[code_hash.as_str().into(), now.as_str().into()],
        )?;
        if spent == 0 {
            return Ok(None);
        }
        let row = conn
            .query_opt(
                "SELECT e.role, c.id, c.name FROM enrol_codes e
                 LEFT JOIN committees c ON c.id = e.committee_id WHERE e.code_hash = $1",
                &[code_hash.as_str().into()],
            )?
            .ok_or_else(|| HubError::NotFound("the enrolment code just spent".into()))?;
        let role = parse_role(&row.text(0)?);
        let committee = committee_of(&row, 1)?;

        let token = new_token();
        let device = Device {
            id: uuid::Uuid::now_v7().to_string(),
            name: clean_name(device_name),
            role,
            committee,
            enrolled_at: now.clone(),
            revoked_at: None,
        };
        conn.execute(
            "INSERT INTO devices (id, name, role, committee_id, token_hash, enrolled_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                device.id.as_str().into(),
                device.name.as_str().into(),
                role_name(role).into(),
                device.committee.as_ref().map(|c| c.id.as_str()).into(),
                secret_hash(&token).into(),
                now.as_str().into(),
            ],
        )?;
        conn.execute(
            "UPDATE enrol_codes SET device_id = $2 WHERE code_hash = $1",
            &[code_hash.as_str().into(), device.id.as_str().into()],
        )?;
        Ok(Some((device, token)))
    })
}

fn clean_name(name: &str) -> String {
    let name: String = name.trim().chars().take(100).collect();
    if name.is_empty() {
        "未命名设备".to_string()
    } else {
        name
    }
}

fn committee_of(row: &Row, first: usize) -> Result<Option<Committee>, HubError> {
    Ok(match (row.opt_text(first)?, row.opt_text(first + 1)?) {
        (Some(id), Some(name)) => Some(Committee { id, name }),
        _ => None,
    })
}

const DEVICE_COLUMNS: &str = "d.id, d.name, d.role, c.id, c.name, d.enrolled_at, d.revoked_at";

fn device_from(row: &Row) -> Result<Device, HubError> {
    Ok(Device {
        id: row.text(0)?,
        name: row.text(1)?,
        role: parse_role(&row.text(2)?),
        committee: committee_of(row, 3)?,
        enrolled_at: row.text(5)?,
        revoked_at: row.opt_text(6)?,
    })
}

/// The device a bearer token belongs to, if it may still talk to the hub.
pub fn authenticate(
    conn: &mut dyn Conn,
    token: Option<&str>,
) -> Result<Result<Device, AuthFailure>, HubError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(Err(AuthFailure::Missing));
    };
    let row = conn.query_opt(
        &format!(
            "SELECT {DEVICE_COLUMNS} FROM devices d LEFT JOIN committees c ON c.id = d.committee_id
             WHERE d.token_hash = $1"
        ),
        &[secret_hash(token).into()],
    )?;
    let Some(row) = row else {
        return Ok(Err(AuthFailure::Unknown));
    };
    let device = device_from(&row)?;
    if device.revoked_at.is_some() {
        return Ok(Err(AuthFailure::Revoked));
    }
    Ok(Ok(device))
}

/// Every device, newest first.
pub fn devices(conn: &mut dyn Conn) -> Result<Vec<Device>, HubError> {
    conn.query(
        &format!(
            "SELECT {DEVICE_COLUMNS} FROM devices d LEFT JOIN committees c ON c.id = d.committee_id
             ORDER BY d.enrolled_at DESC, d.id"
        ),
        &[],
    )?
    .iter()
    .map(device_from)
    .collect()
}

/// Revokes a device: its token is refused from now on.
pub fn revoke_device(conn: &mut dyn Conn, device_id: &str) -> Result<(), HubError> {
    let changed = conn.execute(
        "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        &[device_id.into(), now_text().into()],
    )?;
    if changed == 0 {
        let exists = conn
            .query_opt("SELECT id FROM devices WHERE id = $1", &[device_id.into()])?
            .is_some();
        if !exists {
            return Err(HubError::NotFound(format!(
                "device `{device_id}`; see `voice-ledger-hub device list`"
            )));
        }
    }
    Ok(())
}

impl From<&Committee> for Value {
    fn from(c: &Committee) -> Value {
        Value::Text(c.id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_readable_and_normalise() {
        let code = new_code();
        assert_eq!(code.len(), 14, "{code}");
        assert_eq!(code.matches('-').count(), 2, "{code}");
        assert!(
            code.chars()
                .all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8))),
            "{code}"
        );
        assert_eq!(normalize_code(" k7qm-4xpd 9trw "), "K7QM4XPD9TRW");
    }
}
