//! The HTTP interface: routes, authentication and the mapping of every
//! outcome to a status code and a JSON body. This is the only module that
//! knows about HTTP; `PROTOCOL.md` documents every route listed in
//! [`routes`].

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};
use serde::Serialize;
use serde::de::DeserializeOwned;
use voice_ledger::sync::wire::{
    BatchRequest, BatchResponse, ConflictList, EnrolRequest, EnrolResponse, ErrorBody, ErrorDetail,
    ItemResult, MAX_BATCH, PROTOCOL, PROTOCOL_HEADER, RecordPage, RevisionList, RevisionUpload,
    UploadResponse, WhoAmI,
};

use crate::admin::{AuthFailure, Device, authenticate, enrol};
use crate::db::Conn;
use crate::records::{apply_upload, conflicts, get_record, list_records, record_revisions};
use crate::{Hub, HubError};

/// Largest request body: a full batch of long records fits many times over.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// An error answered with a protocol error body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            protocol: PROTOCOL.to_string(),
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> ApiError {
        match e {
            HubError::Forbidden(message) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
            }
            HubError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no {what}"))
            }
            HubError::Invalid(message) => {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
            }
            internal => {
                // Logged once, here, with its cause; the device gets a
                // generic message and retries later.
                tracing::error!("internal error answering a request: {internal:#}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the hub could not complete the request; it is logged at the hub, try again later",
                )
            }
        }
    }
}

impl From<AuthFailure> for ApiError {
    fn from(failure: AuthFailure) -> ApiError {
        match failure {
            AuthFailure::Missing => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the request has no `Authorization: Bearer` token; enrol the device first",
            ),
            AuthFailure::Unknown => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the token belongs to no device enrolled here; enrol again with a new code",
            ),
            AuthFailure::Revoked => ApiError::new(
                StatusCode::FORBIDDEN,
                "device_revoked",
                "the sub-district has revoked this device",
            ),
        }
    }
}

/// Parses a JSON body, answering protocol errors for anything unusable.
fn json_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "batch_too_large",
                format!(
                    "the request is larger than {MAX_BODY} bytes; send fewer revisions at once"
                ),
            )
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.body_text())
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the request body is not a valid message: {e}"),
        )
    })
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Authenticates the request and runs `job` for the device, on one
/// database connection.
async fn as_device<T: Send + 'static>(
    hub: &Hub,
    headers: &HeaderMap,
    job: impl FnOnce(&mut dyn Conn, &Device) -> Result<T, HubError> + Send + 'static,
) -> Result<T, ApiError> {
    let token = bearer(headers);
    let outcome = hub
        .database()
        .run(move |conn| match authenticate(conn, token.as_deref())? {
            Ok(device) => job(conn, &device).map(Ok),
            Err(failure) => Ok(Err(failure)),
        })
        .await?;
    Ok(outcome?)
}

/// One route: method, path and handler.
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path pattern, axum syntax.
    pub path: &'static str,
    handler: MethodRouter<Hub>,
}

/// Every route the hub serves.
pub fn routes() -> Vec<Route> {
    let route = |method, path, handler| Route {
        method,
        path,
        handler,
    };
    vec![
        route("GET", "/v1/health", get(health)),
        route("POST", "/v1/enrol", post(enrol_device)),
        route("GET", "/v1/whoami", get(whoami)),
        route("GET", "/v1/templates", get(templates)),
        route(
            "PUT",
            "/v1/records/{record_id}/revisions/{revision}",
            put(upload_one),
        ),
        route("POST", "/v1/revisions/batch", post(upload_batch)),
        route("GET", "/v1/records", get(records_page)),
        route("GET", "/v1/records/{record_id}", get(one_record)),
        route("GET", "/v1/records/{record_id}/revisions", get(revisions)),
        route("GET", "/v1/conflicts", get(conflict_list)),
    ]
}

/// The hub's router.
pub fn router(hub: Hub) -> Router {
    let mut router = Router::new();
    for route in routes() {
        router = router.route(route.path, route.handler);
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::map_response(mark_protocol))
        .with_state(hub)
}

async fn mark_protocol(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(PROTOCOL_HEADER, HeaderValue::from_static(PROTOCOL));
    response
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; see PROTOCOL.md",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; see PROTOCOL.md",
    )
}

#[derive(Serialize)]
struct Health {
    protocol: &'static str,
    status: &'static str,
}

async fn health() -> axum::Json<Health> {
    axum::Json(Health {
        protocol: PROTOCOL,
        status: "ok",
    })
}

async fn enrol_device(
    State(hub): State<Hub>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, axum::Json<EnrolResponse>), ApiError> {
    let request: EnrolRequest = json_body(body)?;
    let enrolled = hub
        .database()
        .run(move |conn| enrol(conn, &request.code, &request.device_name))
        .await?;
    let Some((device, token)) = enrolled else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_code",
            "the enrolment code is unknown, already used or expired; ask the sub-district for a new one",
        ));
    };
    tracing::info!(device_id = %device.id, name = %device.name, "device enrolled");
    Ok((
        StatusCode::CREATED,
        axum::Json(EnrolResponse {
            protocol: PROTOCOL.to_string(),
            device_id: device.id,
            token,
            role: device.role,
            committee: device.committee,
        }),
    ))
}

async fn whoami(
    State(hub): State<Hub>,
    headers: HeaderMap,
) -> Result<axum::Json<WhoAmI>, ApiError> {
    let device = as_device(&hub, &headers, |_, device| Ok(device.clone())).await?;
    Ok(axum::Json(WhoAmI {
        protocol: PROTOCOL.to_string(),
        device_id: device.id,
        device_name: device.name,
        role: device.role,
        committee: device.committee,
    }))
}

async fn templates(State(hub): State<Hub>, headers: HeaderMap) -> Result<Response, ApiError> {
    let catalog_hub = hub.clone();
    let state = as_device(&hub, &headers, move |conn, _| {
        catalog_hub.catalog().get(conn)
    })
    .await?;
    let etag = HeaderValue::from_str(&state.bundle.etag).expect("etags are ASCII");
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == state.bundle.etag.as_bytes())
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok(([(header::ETAG, etag)], axum::Json(state.bundle.clone())).into_response())
}

async fn upload_one(
    State(hub): State<Hub>,
    Path((record_id, revision)): Path<(String, u32)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, axum::Json<UploadResponse>), ApiError> {
    let upload: RevisionUpload = json_body(body)?;
    if upload.record.id != record_id || upload.record.revision != revision {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!(
                "the path names `{record_id}` revision {revision}, the body `{}` revision {}",
                upload.record.id, upload.record.revision
            ),
        ));
    }
    let catalog_hub = hub.clone();
    let outcome = as_device(&hub, &headers, move |conn, device| {
        let catalog = catalog_hub.catalog().get(conn)?;
        conn.transaction(|conn| apply_upload(conn, device, &catalog, &upload))
    })
    .await?;
    let status = StatusCode::from_u16(outcome.http_status()).expect("outcome statuses are valid");
    Ok((
        status,
        axum::Json(UploadResponse {
            protocol: PROTOCOL.to_string(),
            result: ItemResult {
                record_id,
                revision,
                outcome,
            },
        }),
    ))
}

async fn upload_batch(
    State(hub): State<Hub>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<BatchResponse>, ApiError> {
    let request: BatchRequest = json_body(body)?;
    if request.revisions.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "{} revisions in one batch; send at most {MAX_BATCH}",
                request.revisions.len()
            ),
        ));
    }
    let catalog_hub = hub.clone();
    let results = as_device(&hub, &headers, move |conn, device| {
        let catalog = catalog_hub.catalog().get(conn)?;
        // Rows are touched in one canonical order, so that two batches
        // with the same records (a duplicated request) cannot deadlock.
        let mut order: Vec<usize> = (0..request.revisions.len()).collect();
        order.sort_by(|a, b| {
            let (a, b) = (&request.revisions[*a].record, &request.revisions[*b].record);
            (&a.id, a.revision).cmp(&(&b.id, b.revision))
        });
        let outcomes = conn.transaction(|conn| {
            let mut outcomes = vec![None; request.revisions.len()];
            for index in order {
                let outcome = apply_upload(conn, device, &catalog, &request.revisions[index])?;
                outcomes[index] = Some(outcome);
            }
            Ok::<_, HubError>(outcomes)
        })?;
        Ok(request
            .revisions
            .iter()
            .zip(outcomes)
            .map(|(upload, outcome)| ItemResult {
                record_id: upload.record.id.clone(),
                revision: upload.record.revision,
                outcome: outcome.expect("every revision has an outcome"),
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(axum::Json(BatchResponse {
        protocol: PROTOCOL.to_string(),
        results,
    }))
}

async fn records_page(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<axum::Json<RecordPage>, ApiError> {
    let limit = match query.get("limit") {
        Some(text) => text.parse::<usize>().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("limit `{text}` is not a number"),
            )
        })?,
        None => 200,
    };
    let (records, next) = as_device(&hub, &headers, move |conn, device| {
        list_records(
            conn,
            device,
            query.get("committee").map(String::as_str),
            query.get("after").map(String::as_str),
            limit,
        )
    })
    .await?;
    Ok(axum::Json(RecordPage {
        protocol: PROTOCOL.to_string(),
        records,
        next,
    }))
}

async fn one_record(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(record_id): Path<String>,
) -> Result<Response, ApiError> {
    let id = record_id.clone();
    let record = as_device(&hub, &headers, move |conn, device| {
        get_record(conn, device, &id)
    })
    .await?;
    let Some(record) = record else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no record `{record_id}` visible to this device"),
        ));
    };
    #[derive(Serialize)]
    struct One {
        protocol: &'static str,
        #[serde(flatten)]
        record: voice_ledger::sync::wire::HubRecord,
    }
    Ok(axum::Json(One {
        protocol: PROTOCOL,
        record,
    })
    .into_response())
}

async fn revisions(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(record_id): Path<String>,
) -> Result<axum::Json<RevisionList>, ApiError> {
    let id = record_id.clone();
    let revisions = as_device(&hub, &headers, move |conn, device| {
        record_revisions(conn, device, &id)
    })
    .await?;
    let Some(revisions) = revisions else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no record `{record_id}` visible to this device"),
        ));
    };
    Ok(axum::Json(RevisionList {
        protocol: PROTOCOL.to_string(),
        revisions,
    }))
}

async fn conflict_list(
    State(hub): State<Hub>,
    headers: HeaderMap,
) -> Result<axum::Json<ConflictList>, ApiError> {
    let conflicts = as_device(&hub, &headers, conflicts).await?;
    Ok(axum::Json(ConflictList {
        protocol: PROTOCOL.to_string(),
        conflicts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented() {
        let document = include_str!("../PROTOCOL.md");
        for route in routes() {
            let heading = format!("`{} {}`", route.method, route.path);
            assert!(
                document.contains(&heading),
                "PROTOCOL.md does not document {heading}"
            );
        }
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "bearer abc ".parse().unwrap());
        assert_eq!(bearer(&headers).as_deref(), Some("abc"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&headers), None);
    }
}
