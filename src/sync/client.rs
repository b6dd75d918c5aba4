//! The HTTP client for the hub: one method per protocol request, and the
//! one place that decides what an answer means.
//!
//! Only a 2xx whose body parses as the expected message and names the
//! protocol counts as an answer from the hub. Anything else — a 200 HTML
//! page from a captive portal, a redirect, a proxy's error page — is
//! [`SyncError::NotAHub`] and leaves queued revisions queued.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

use super::SyncError;
use super::credentials::DeviceToken;
use super::wire::{
    BatchRequest, BatchResponse, ConflictList, EnrolRequest, EnrolResponse, ErrorBody, ItemResult,
    PROTOCOL, RecordPage, RevisionList, RevisionUpload, TemplateBundle, UploadResponse, WhoAmI,
};

/// Largest answer read from the hub; a record page is far smaller.
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// Timeouts and trust settings of a [`HubClient`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Limit for a whole request, upload and answer included.
    pub request_timeout: Duration,
    /// Limit for opening the connection.
    pub connect_timeout: Duration,
    /// A PEM file with the CA that signed the hub's certificate, for hubs
    /// whose certificate is not signed by a CA the system trusts.
    pub ca_cert: Option<std::path::PathBuf>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            request_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(15),
            ca_cert: None,
        }
    }
}

/// A connection to one hub, optionally authenticated as a device.
#[derive(Clone)]
pub struct HubClient {
    agent: ureq::Agent,
    base: Arc<str>,
    token: Option<DeviceToken>,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish()
    }
}

/// What came back from a request.
struct Answer {
    url: String,
    status: u16,
    retry_after: Option<u64>,
    body: Vec<u8>,
}

impl HubClient {
    /// A client for the hub at `base_url` (`https://…`; plain `http://` only
    /// to this computer).
    pub fn new(base_url: &str, options: &ClientOptions) -> Result<HubClient, SyncError> {
        let base = check_url(base_url)?;
        let roots = match &options.ca_cert {
            Some(path) => RootCerts::new_with_certs(&read_ca(path)?),
            None => RootCerts::PlatformVerifier,
        };
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(options.request_timeout))
            .timeout_connect(Some(options.connect_timeout))
            .http_status_as_error(false)
            // A redirect is never part of the protocol; following one would
            // send the token to wherever a captive portal points.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("voice-ledger/", env!("CARGO_PKG_VERSION")))
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        Ok(HubClient {
            agent: ureq::Agent::new_with_config(config),
            base: base.into(),
            token: None,
        })
    }

    /// The same client, authenticating as the device owning `token`.
    pub fn with_token(mut self, token: DeviceToken) -> HubClient {
        self.token = Some(token);
        self
    }

    /// The hub's address.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `POST /v1/enrol`.
    pub fn enrol(&self, request: &EnrolRequest) -> Result<EnrolResponse, SyncError> {
        let answer = self.send("POST", "/v1/enrol", Some(json_bytes(request)), &[])?;
        let response: EnrolResponse = self.expect(answer)?;
        check_protocol(&response.protocol, &self.base)?;
        Ok(response)
    }

    /// `GET /v1/whoami`.
    pub fn whoami(&self) -> Result<WhoAmI, SyncError> {
        let answer = self.send("GET", "/v1/whoami", None, &[])?;
        let who: WhoAmI = self.expect(answer)?;
        check_protocol(&who.protocol, &self.base)?;
        Ok(who)
    }

    /// `GET /v1/templates`; `None` when the bundle still has `etag`.
    pub fn templates(&self, etag: Option<&str>) -> Result<Option<TemplateBundle>, SyncError> {
        let headers: Vec<(&str, &str)> = etag.map(|e| ("if-none-match", e)).into_iter().collect();
        let answer = self.send("GET", "/v1/templates", None, &headers)?;
        if answer.status == 304 {
            return Ok(None);
        }
        let bundle: TemplateBundle = self.expect(answer)?;
        check_protocol(&bundle.protocol, &self.base)?;
        Ok(Some(bundle))
    }

    /// `PUT /v1/records/{id}/revisions/{revision}`: one revision. Conflicts,
    /// invalid content and forbidden writes are results, not errors.
    pub fn upload(&self, upload: &RevisionUpload) -> Result<ItemResult, SyncError> {
        let path = format!(
            "/v1/records/{}/revisions/{}",
            upload.record.id, upload.record.revision
        );
        let key = format!("{}:{}", upload.record.id, upload.record.revision);
        let answer = self.send(
            "PUT",
            &path,
            Some(json_bytes(upload)),
            &[("idempotency-key", &key)],
        )?;
        if matches!(answer.status, 403 | 409 | 422)
            && let Ok(parsed) = serde_json::from_slice::<UploadResponse>(&answer.body)
            && parsed.protocol == PROTOCOL
        {
            return Ok(parsed.result);
        }
        let parsed: UploadResponse = self.expect(answer)?;
        check_protocol(&parsed.protocol, &self.base)?;
        Ok(parsed.result)
    }

    /// `POST /v1/revisions/batch`: up to [`super::wire::MAX_BATCH`] revisions.
    pub fn upload_batch(&self, revisions: &[RevisionUpload]) -> Result<BatchResponse, SyncError> {
        let request = BatchRequest {
            revisions: revisions.to_vec(),
        };
        let answer = self.send(
            "POST",
            "/v1/revisions/batch",
            Some(json_bytes(&request)),
            &[],
        )?;
        let response: BatchResponse = self.expect(answer)?;
        check_protocol(&response.protocol, &self.base)?;
        Ok(response)
    }

    /// `GET /v1/records`: one page of the records this device may read.
    pub fn records(
        &self,
        committee: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<RecordPage, SyncError> {
        let mut query = format!("/v1/records?limit={limit}");
        if let Some(committee) = committee {
            query += &format!("&committee={}", encode_query(committee));
        }
        if let Some(after) = after {
            query += &format!("&after={}", encode_query(after));
        }
        let page: RecordPage = self.expect(self.send("GET", &query, None, &[])?)?;
        check_protocol(&page.protocol, &self.base)?;
        Ok(page)
    }

    /// `GET /v1/records/{id}/revisions`.
    pub fn revisions(&self, record_id: &str) -> Result<RevisionList, SyncError> {
        let path = format!("/v1/records/{}/revisions", encode_query(record_id));
        let list: RevisionList = self.expect(self.send("GET", &path, None, &[])?)?;
        check_protocol(&list.protocol, &self.base)?;
        Ok(list)
    }

    /// `GET /v1/conflicts`.
    pub fn conflicts(&self) -> Result<ConflictList, SyncError> {
        let list: ConflictList = self.expect(self.send("GET", "/v1/conflicts", None, &[])?)?;
        check_protocol(&list.protocol, &self.base)?;
        Ok(list)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, SyncError> {
        let url = format!("{}{path}", self.base);
        let network = |e: ureq::Error| SyncError::Network {
            url: url.clone(),
            reason: e.to_string(),
        };
        let bearer = self
            .token
            .as_ref()
            .map(|t| format!("Bearer {}", t.expose()));
        let mut response = match body {
            Some(body) => {
                let mut request = match method {
                    "PUT" => self.agent.put(&url),
                    _ => self.agent.post(&url),
                };
                request = request.header("content-type", "application/json");
                if let Some(bearer) = &bearer {
                    request = request.header("authorization", bearer);
                }
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                request.send(&body[..]).map_err(network)?
            }
            None => {
                let mut request = self.agent.get(&url);
                if let Some(bearer) = &bearer {
                    request = request.header("authorization", bearer);
                }
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                request.call().map_err(network)?
            }
        };

        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(network)?;
        tracing::debug!(method, url, status, bytes = body.len(), "hub answered");
        Ok(Answer {
            url,
            status,
            retry_after,
            body,
        })
    }

    /// Turns an answer into the expected message or the matching error.
    fn expect<T: DeserializeOwned>(&self, answer: Answer) -> Result<T, SyncError> {
        let Answer {
            url,
            status,
            retry_after,
            body,
        } = answer;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|e| {
                tracing::debug!(url, status, "answer is not the expected message: {e}");
                SyncError::NotAHub { url, status }
            });
        }
        if status == 429 || status >= 500 {
            return Err(SyncError::Unavailable {
                url,
                status,
                retry_after,
            });
        }
        let error = serde_json::from_slice::<ErrorBody>(&body)
            .ok()
            .filter(|e| e.protocol == PROTOCOL);
        let Some(ErrorBody { error, .. }) = error else {
            return Err(SyncError::NotAHub { url, status });
        };
        match (status, error.code.as_str()) {
            (401, _) => Err(SyncError::Unauthorized {
                hub: self.base.to_string(),
                message: error.message,
            }),
            (403, "device_revoked") => Err(SyncError::Revoked {
                hub: self.base.to_string(),
            }),
            _ => Err(SyncError::Rejected {
                url,
                status,
                code: error.code,
                message: error.message,
            }),
        }
    }
}

fn check_protocol(protocol: &str, base: &str) -> Result<(), SyncError> {
    if protocol == PROTOCOL {
        Ok(())
    } else {
        Err(SyncError::Protocol {
            url: base.to_string(),
            problem: format!("it speaks `{protocol}`, this program `{PROTOCOL}`"),
        })
    }
}

fn json_bytes(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("protocol messages serialise")
}

/// Percent-encodes a query value (ids are plain ASCII; names may be Chinese).
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out += &format!("%{byte:02X}");
        }
    }
    out
}

/// Checks a hub address and returns it without a trailing slash.
pub(super) fn check_url(url: &str) -> Result<String, SyncError> {
    let bad = |problem: &str| SyncError::BadUrl {
        url: url.to_string(),
        problem: problem.to_string(),
    };
    let trimmed = url.trim().trim_end_matches('/');
    let (scheme, rest) = trimmed
        .split_once("://")
        .ok_or_else(|| bad("it must start with https://"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    if host_port.is_empty() {
        return Err(bad("it names no host"));
    }
    if authority.contains('@') {
        return Err(bad(
            "it contains a user name or password; devices authenticate with their enrolment token",
        ));
    }
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(trimmed.to_string()),
        "http" if is_loopback(host) => Ok(trimmed.to_string()),
        "http" => Err(bad(
            "plain http would send the device token unencrypted; use https:// (plain http is allowed only to this computer)",
        )),
        _ => Err(bad("it must start with https://")),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn read_ca(path: &Path) -> Result<Vec<Certificate<'static>>, SyncError> {
    let fail = |problem: String| SyncError::CaCert {
        path: path.to_path_buf(),
        problem,
    };
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("it contains no PEM certificate".to_string()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, expected: Result<&str, &str>) {
        match (check_url(url), expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want),
            (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{e}"),
            (got, want) => panic!("{url}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn hub_addresses() {
        check("https://hub.example.cn/", Ok("https://hub.example.cn"));
        check("http://127.0.0.1:8700", Ok("http://127.0.0.1:8700"));
        check("http://localhost:8700/", Ok("http://localhost:8700"));
        check("http://[::1]:8700", Ok("http://[::1]:8700"));
        check("http://hub.example.cn", Err("unencrypted"));
        check("http://10.0.0.5:8700", Err("unencrypted"));
        check("hub.example.cn", Err("https://"));
        check("ftp://hub", Err("https://"));
        check("https://u:p@hub", Err("password"));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query("a b/居"), "a%20b%2F%E5%B1%85");
    }
}
