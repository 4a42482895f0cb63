//! The trusted-document store: `persisted_operations`, imported from manifests by admins and
//! by `agora persisted import`, read by id on every persisted request.
//!
//! An id is the SHA-256 of its body, so a document never changes under its id; each replica
//! keeps the documents it has served in a small cache for a minute (a deleted document stops
//! working everywhere within that minute).

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use agora_entities::platform::persisted_operation;
use agora_platform::{AppError, AppResult, Platform};
use async_graphql::parser::{
    parse_query,
    types::{DocumentOperations, OperationType},
};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::OnConflict,
};
use uuid::Uuid;

use super::manifest::{self, ManifestEntry};
use crate::limits::Limits;

const CACHE_FOR: Duration = Duration::from_secs(60);

/// A trusted document: its body and the client it was imported for.
#[derive(Debug, Clone)]
pub(crate) struct TrustedDocument {
    /// The document.
    pub(crate) body: Arc<str>,
    /// The `clientName` it was imported under; a PARTNER key runs only its own client's.
    pub(crate) client: Arc<str>,
}

/// Trusted documents served recently, by hash.
pub(crate) struct TrustedCache(Mutex<lru::LruCache<String, (TrustedDocument, Instant)>>);

impl TrustedCache {
    pub(crate) fn new() -> Self {
        Self(Mutex::new(lru::LruCache::new(
            NonZeroUsize::new(2_000).unwrap_or(NonZeroUsize::MIN),
        )))
    }

    /// The trusted document with SHA-256 `hash` (lower-case hex), if there is one.
    pub(crate) async fn get(
        &self,
        platform: &Platform,
        hash: &str,
    ) -> AppResult<Option<TrustedDocument>> {
        if let Ok(mut cache) = self.0.lock()
            && let Some((document, at)) = cache.get(hash)
            && at.elapsed() < CACHE_FOR
        {
            return Ok(Some(document.clone()));
        }
        let found = persisted_operation::Entity::find_by_id(format!("sha256:{hash}"))
            .select_only()
            .column(persisted_operation::Column::Body)
            .column(persisted_operation::Column::ClientName)
            .into_tuple::<(String, String)>()
            .one(&platform.db)
            .await?;
        let Some((body, client)) = found else {
            return Ok(None);
        };
        let document = TrustedDocument {
            body: Arc::from(body),
            client: Arc::from(client),
        };
        if let Ok(mut cache) = self.0.lock() {
            cache.put(hash.to_owned(), (document.clone(), Instant::now()));
        }
        Ok(Some(document))
    }
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// Documents added.
    pub imported: usize,
    /// Documents already trusted (same id, so the same body).
    pub unchanged: usize,
    /// Every document of the manifest as stored.
    pub operations: Vec<persisted_operation::Model>,
}

/// A document's single operation: its type and name, or why it cannot be trusted (including
/// being over the request limits, which would refuse every call to it).
fn operation_of(body: &str, limits: &Limits) -> Result<(&'static str, Option<String>), String> {
    limits
        .check_text(body)
        .map_err(|e| e.into_server_error().message)?;
    let doc = parse_query(body).map_err(|e| e.to_string())?;
    limits
        .check_document(&doc, None, &Default::default())
        .map_err(|e| e.into_server_error().message)?;
    match doc.operations {
        DocumentOperations::Single(op) => Ok((type_name(op.node.ty), None)),
        DocumentOperations::Multiple(ops) if ops.len() == 1 => {
            let (name, op) = ops.into_iter().next().ok_or("no operation")?;
            Ok((type_name(op.node.ty), Some(name.to_string())))
        }
        DocumentOperations::Multiple(_) => {
            Err("a trusted document holds exactly one operation".into())
        }
    }
}

/// The name a document gives its operation, if it parses and names one (a Codegen manifest
/// maps hashes to bodies, so an invalid document is named by its own text).
fn own_name(body: &str) -> Option<String> {
    match parse_query(body).ok()?.operations {
        DocumentOperations::Multiple(ops) => ops.keys().next().map(|name| name.to_string()),
        DocumentOperations::Single(_) => None,
    }
}

fn type_name(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

/// Checks every entry (one operation, valid against the schema) and stores them all in one
/// transaction, or none: the error names each invalid document and its errors.
pub async fn import(
    platform: &Platform,
    entries: Vec<ManifestEntry>,
    client_name: &str,
    added_by: Option<Uuid>,
) -> AppResult<ImportReport> {
    let client_name = client_name.trim();
    if client_name.is_empty() || client_name.chars().count() > 100 {
        return Err(AppError::bad_input(
            "input.clientName",
            "a client name is 1 to 100 characters",
        ));
    }
    if entries.len() > 5_000 {
        return Err(AppError::bad_input(
            "input.manifest",
            "a manifest holds at most 5,000 operations",
        ));
    }
    let now = platform.clock.now();
    let mut rows = Vec::with_capacity(entries.len());
    let mut invalid = Vec::new();
    let limits = Limits::from_config(&platform.config);
    for entry in entries {
        let checked = match operation_of(&entry.body, &limits) {
            Ok(op) => crate::validate_document(&entry.body).await.map(|()| op),
            Err(err) => Err(vec![err]),
        };
        match checked {
            Ok((ty, own_name)) => {
                let name = entry.name.clone().or(own_name).unwrap_or_default();
                rows.push(persisted_operation::Model {
                    id: format!("sha256:{}", entry.hash),
                    name: name.chars().take(200).collect(),
                    operation_type: ty.to_owned(),
                    body: entry.body,
                    client_name: client_name.to_owned(),
                    added_by,
                    added_at: now,
                });
            }
            Err(errors) => invalid.push(format!(
                "{} ({}): {}",
                entry
                    .name
                    .clone()
                    .or_else(|| own_name(&entry.body))
                    .unwrap_or_else(|| "unnamed".into()),
                entry.path,
                errors.join("; ")
            )),
        }
    }
    if !invalid.is_empty() {
        return Err(AppError::bad_input(
            "input.manifest",
            format!(
                "nothing was imported: {} document(s) do not validate: {}",
                invalid.len(),
                invalid.join(" | ")
            ),
        ));
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let txn = platform.db.begin().await?;
    let mut imported = 0;
    for chunk in rows.chunks(200) {
        let models = chunk
            .iter()
            .cloned()
            .map(persisted_operation::ActiveModel::from);
        let inserted = persisted_operation::Entity::insert_many(models)
            .on_conflict(
                OnConflict::column(persisted_operation::Column::Id)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        imported += inserted as usize;
    }
    let mut operations = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        operations.extend(
            persisted_operation::Entity::find()
                .filter(persisted_operation::Column::Id.is_in(chunk.to_vec()))
                .all(&txn)
                .await?,
        );
    }
    txn.commit().await?;
    operations.sort_by(|a, b| a.id.cmp(&b.id));
    operations.dedup_by(|a, b| a.id == b.id);
    Ok(ImportReport {
        imported,
        unchanged: operations.len() - imported.min(operations.len()),
        operations,
    })
}

/// Parses a manifest and imports it (the admin mutation and the CLI both come here).
pub async fn import_manifest(
    platform: &Platform,
    manifest: &serde_json::Value,
    client_name: &str,
    added_by: Option<Uuid>,
) -> AppResult<ImportReport> {
    let entries =
        manifest::parse(manifest).map_err(|e| AppError::bad_input("input.manifest", e))?;
    import(platform, entries, client_name, added_by).await
}

/// A page of trusted documents ordered by id, optionally of one client.
pub async fn list(
    platform: &Platform,
    client_name: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> AppResult<Vec<persisted_operation::Model>> {
    let mut query = persisted_operation::Entity::find()
        .order_by_asc(persisted_operation::Column::Id)
        .limit(limit as u64);
    if let Some(client) = client_name {
        query = query.filter(persisted_operation::Column::ClientName.eq(client));
    }
    if let Some(after) = after {
        query = query.filter(persisted_operation::Column::Id.gt(after));
    }
    Ok(query.all(&platform.db).await?)
}

/// Removes a trusted document; false if there was none.
pub async fn delete(platform: &Platform, document_id: &str) -> AppResult<bool> {
    let result = persisted_operation::Entity::delete_by_id(document_id.to_owned())
        .exec(&platform.db)
        .await?;
    Ok(result.rows_affected > 0)
}
