//! Persisted documents: how a request may name its document by hash instead of sending it.
//!
//! - Automatic persisted queries (Apollo's protocol, any client): `extensions.persistedQuery
//!   {version: 1, sha256Hash}`. A hash alone is looked up ([`apq`]); unknown, the client gets
//!   `PERSISTED_QUERY_NOT_FOUND` and sends the query with its hash, which is checked and stored
//!   once the document validated.
//! - Trusted documents ([`trusted`]): imported by admins from manifests, named by
//!   `documentId: "sha256:<hex>"` (the GraphQL-over-HTTP persisted-documents appendix) or by
//!   the same hash as an APQ. An API key with the `PARTNER` scope, and every client when
//!   `AGORA_REQUIRE_TRUSTED_DOCUMENTS` is set, may run trusted documents only: any other
//!   document is refused with `PERSISTED_QUERY_REQUIRED` (a raw query whose text is exactly a
//!   trusted document is accepted as that document).

mod apq;
pub mod manifest;
mod roots;
pub mod trusted;

use agora_platform::{
    AppError, ErrorCode, Platform,
    auth::{ApiScope, Viewer},
    config::Config,
};
use async_graphql::{Request, Value};

pub use roots::{
    ImportPersistedOperationsInput, ImportPersistedOperationsPayload, PersistedMutation,
    PersistedOperation, PersistedQuery,
};

/// A request's `documentId`, put in the request data by the transport.
#[derive(Debug, Clone)]
pub struct DocumentId(pub String);

/// How the request's document was found.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    /// Store the document under this hash once it validated (a new APQ).
    pub(crate) store_apq: Option<String>,
    /// The document came from a store (APQ or trusted): a GET of it may be cached.
    pub(crate) persisted: bool,
}

/// The two stores and the policy over them.
pub(crate) struct Persisted {
    apq: apq::ApqStore,
    trusted: trusted::TrustedCache,
    require_trusted: bool,
}

fn bad_request(message: impl Into<String>) -> AppError {
    AppError::Refused(ErrorCode::BadRequest, message.into())
}

fn not_found() -> AppError {
    AppError::Refused(
        ErrorCode::PersistedQueryNotFound,
        "PersistedQueryNotFound".into(),
    )
}

/// The APQ extension's hash, checked: version 1 and 64 hex digits.
fn apq_hash(request: &Request) -> Result<Option<String>, AppError> {
    let Some(ext) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let Value::Object(ext) = ext else {
        return Err(bad_request("`extensions.persistedQuery` must be an object"));
    };
    match ext.get("version") {
        Some(Value::Number(n)) if n.as_i64() == Some(1) => {}
        _ => return Err(bad_request("Unsupported persisted query version")),
    }
    match ext.get("sha256Hash") {
        Some(Value::String(hash)) if manifest::is_sha256_hex(hash) => {
            Ok(Some(hash.to_ascii_lowercase()))
        }
        _ => Err(bad_request(
            "`extensions.persistedQuery.sha256Hash` must be 64 hex digits",
        )),
    }
}

impl Persisted {
    pub(crate) fn new(config: &Config, redis: Option<redis::aio::ConnectionManager>) -> Self {
        Self {
            apq: apq::ApqStore::new(config, redis),
            trusted: trusted::TrustedCache::new(),
            require_trusted: config.persisted.require_trusted_documents,
        }
    }

    /// Fills `request.query` when it names its document by hash, and enforces the trusted-only
    /// policy for `viewer`.
    pub(crate) async fn resolve(
        &self,
        platform: &Platform,
        request: &mut Request,
        document_id: Option<&str>,
        viewer: &Viewer,
    ) -> Result<Resolved, AppError> {
        let trusted_only = self.require_trusted || viewer.has_scope(ApiScope::Partner);
        // A PARTNER key runs the documents imported for its own client only.
        let partner_client = match viewer {
            Viewer::ApiKey(key) if viewer.has_scope(ApiScope::Partner) => {
                Some(key.client.as_deref().unwrap_or_default())
            }
            _ => None,
        };
        let usable = |document: &trusted::TrustedDocument| {
            partner_client.is_none_or(|client| *client == *document.client)
        };
        let apq = apq_hash(request)?;
        let has_query = !request.query.trim().is_empty();
        let hash = match (document_id, &apq) {
            (Some(_), Some(_)) => {
                return Err(bad_request(
                    "send `documentId` or `extensions.persistedQuery`, not both",
                ));
            }
            (Some(id), None) => {
                if has_query {
                    return Err(bad_request("send `documentId` or `query`, not both"));
                }
                let hash = manifest::document_hash(id).ok_or_else(|| {
                    bad_request("`documentId` must be `sha256:` followed by 64 hex digits")
                })?;
                Some(hash)
            }
            (None, apq) => apq.clone(),
        };
        match (hash, has_query) {
            // A hash alone: trusted documents first, then (unless trusted-only) the APQ store.
            (Some(hash), false) => {
                let trusted = self.trusted.get(platform, &hash).await?;
                if let Some(document) = trusted.filter(|d| usable(d)) {
                    request.query = document.body.to_string();
                    return Ok(Resolved {
                        store_apq: None,
                        persisted: true,
                    });
                }
                if !trusted_only && let Some(body) = self.apq.get(&hash).await {
                    request.query = body.to_string();
                    return Ok(Resolved {
                        store_apq: None,
                        persisted: true,
                    });
                }
                Err(not_found())
            }
            // The APQ registration: the query with its hash.
            (Some(hash), true) => {
                if manifest::sha256_hex(&request.query) != hash {
                    return Err(bad_request("provided sha does not match query"));
                }
                if trusted_only {
                    return match self.trusted.get(platform, &hash).await? {
                        Some(document) if usable(&document) => Ok(Resolved {
                            store_apq: None,
                            persisted: true,
                        }),
                        _ => Err(required()),
                    };
                }
                Ok(Resolved {
                    store_apq: Some(hash),
                    persisted: false,
                })
            }
            (None, true) => {
                if trusted_only {
                    let hash = manifest::sha256_hex(&request.query);
                    return match self.trusted.get(platform, &hash).await? {
                        Some(document) if usable(&document) => Ok(Resolved {
                            store_apq: None,
                            persisted: true,
                        }),
                        _ => Err(required()),
                    };
                }
                Ok(Resolved::default())
            }
            (None, false) => Err(bad_request(
                "the request has no `query` (nor `documentId` or a persisted-query hash)",
            )),
        }
    }

    /// Keeps a newly registered APQ document.
    pub(crate) async fn store(&self, hash: &str, query: &str) {
        self.apq.put(hash, query).await;
    }
}

fn required() -> AppError {
    AppError::Refused(
        ErrorCode::PersistedQueryRequired,
        "this client may only run trusted documents: send `documentId` (or the APQ hash) of an operation your manifest registered".into(),
    )
}
