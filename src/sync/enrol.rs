//! Enrolling a data folder with a hub, and reading back what enrolment saved.

use std::path::PathBuf;

use serde::Serialize;

use super::client::{ClientOptions, HubClient, check_url};
use super::credentials::{
    DeviceToken, KeyringUse, TokenLocation, forget_token, load_token, save_token,
};
use super::outbox::{set_setting, setting};
use super::wire::{Committee, EnrolRequest, Role};
use super::{SyncError, now_text};
use crate::paths::DataDir;
use crate::store::Store;

/// What enrolling needs.
#[derive(Debug, Clone)]
pub struct EnrolOptions {
    /// The hub's address, `https://…`.
    pub hub_url: String,
    /// The one-time code from the sub-district.
    pub code: String,
    /// A name the sub-district will see for this device.
    pub device_name: String,
    /// Enrol again even if already enrolled (after a revocation).
    pub force: bool,
    /// Keyring or file for the token.
    pub keyring: KeyringUse,
    /// Timeouts and trust.
    pub client: ClientOptions,
}

/// The saved enrolment of a data folder.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    /// The hub's address.
    pub hub_url: String,
    /// This device's id at the hub.
    pub device_id: String,
    /// The name given at enrolment.
    pub device_name: String,
    /// What the device may do.
    pub role: Role,
    /// The committee whose records this device writes.
    pub committee: Option<Committee>,
    /// CA certificate trusted for the hub, if not a system one.
    pub ca_cert: Option<PathBuf>,
    /// When it was enrolled.
    pub enrolled_at: String,
    /// Where the token is kept.
    #[serde(skip)]
    pub token_location: Option<TokenLocation>,
}

impl Enrolment {
    /// Client options for this hub: `base` with the enrolment's CA.
    pub fn client_options(&self, base: &ClientOptions) -> ClientOptions {
        ClientOptions {
            ca_cert: self.ca_cert.clone().or_else(|| base.ca_cert.clone()),
            ..base.clone()
        }
    }

    /// An authenticated client for the hub.
    pub fn client(
        &self,
        data: &DataDir,
        base: &ClientOptions,
        keyring: KeyringUse,
    ) -> Result<HubClient, SyncError> {
        let token = load_token(data, &self.device_id, keyring)?;
        Ok(HubClient::new(&self.hub_url, &self.client_options(base))?.with_token(token))
    }
}

/// Trades the one-time code for a device token and saves the enrolment.
pub fn enrol(
    store: &Store,
    data: &DataDir,
    options: &EnrolOptions,
) -> Result<Enrolment, SyncError> {
    let hub_url = check_url(&options.hub_url)?;
    let existing = enrolment(store)?;
    if let Some(existing) = &existing
        && !options.force
    {
        return Err(SyncError::AlreadyEnrolled {
            hub: existing.hub_url.clone(),
            device_id: existing.device_id.clone(),
        });
    }

    let client = HubClient::new(&hub_url, &options.client)?;
    let response = client.enrol(&EnrolRequest {
        code: options.code.trim().to_string(),
        device_name: options.device_name.clone(),
    })?;
    let token = DeviceToken::new(response.token.clone());
    if let Some(old) = &existing {
        // The old device's token is useless now; leave no copy behind.
        forget_token(data, &old.device_id, options.keyring)?;
    }
    let location = save_token(data, &response.device_id, &token, options.keyring)?;

    let enrolment = Enrolment {
        hub_url: hub_url.clone(),
        device_id: response.device_id,
        device_name: options.device_name.clone(),
        role: response.role,
        committee: response.committee,
        ca_cert: options.client.ca_cert.clone(),
        enrolled_at: now_text(),
        token_location: Some(location),
    };
    let conn = store.connection();
    let tx = conn.unchecked_transaction()?;
    let ca = enrolment.ca_cert.as_ref().map(|p| p.display().to_string());
    let committee = enrolment.committee.as_ref();
    for (key, value) in [
        ("hub_url", Some(enrolment.hub_url.as_str())),
        ("device_id", Some(enrolment.device_id.as_str())),
        ("device_name", Some(enrolment.device_name.as_str())),
        ("role", Some(role_name(enrolment.role))),
        ("committee_id", committee.map(|c| c.id.as_str())),
        ("committee_name", committee.map(|c| c.name.as_str())),
        ("ca_cert", ca.as_deref()),
        ("enrolled_at", Some(enrolment.enrolled_at.as_str())),
        // A new enrolment may be with another hub: fetch its templates afresh.
        ("templates_etag", None),
        ("last_error", None),
    ] {
        set_setting(&tx, key, value)?;
    }
    tx.commit()?;
    tracing::info!(
        hub = %enrolment.hub_url,
        device_id = %enrolment.device_id,
        "data folder enrolled with the hub"
    );
    Ok(enrolment)
}

/// The saved enrolment, if the folder is enrolled.
pub fn enrolment(store: &Store) -> Result<Option<Enrolment>, SyncError> {
    let conn = store.connection();
    let (Some(hub_url), Some(device_id)) = (setting(conn, "hub_url")?, setting(conn, "device_id")?)
    else {
        return Ok(None);
    };
    let committee = match (
        setting(conn, "committee_id")?,
        setting(conn, "committee_name")?,
    ) {
        (Some(id), Some(name)) => Some(Committee { id, name }),
        _ => None,
    };
    Ok(Some(Enrolment {
        hub_url,
        device_id,
        device_name: setting(conn, "device_name")?.unwrap_or_default(),
        role: match setting(conn, "role")?.as_deref() {
            Some("admin") => Role::Admin,
            _ => Role::Committee,
        },
        committee,
        ca_cert: setting(conn, "ca_cert")?.map(PathBuf::from),
        enrolled_at: setting(conn, "enrolled_at")?.unwrap_or_default(),
        token_location: None,
    }))
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Committee => "committee",
        Role::Admin => "admin",
    }
}
