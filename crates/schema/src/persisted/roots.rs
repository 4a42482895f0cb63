//! The admin API of trusted documents: `persistedOperations`, `importPersistedOperations`,
//! `deletePersistedOperation`. Admins only.

use agora_entities::platform::persisted_operation;
use agora_platform::{
    AppError,
    auth::Role,
    context::ContextExt,
    pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decode_cursor, encode_cursor},
};
use async_graphql::{
    Context, InputObject, Json, Object, Result, SimpleObject,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};

use super::trusted;

/// A trusted document: an operation partners may run by its id.
#[derive(SimpleObject)]
pub struct PersistedOperation {
    /// `sha256:<hex>` of the body: send it as `documentId` (or its hex as the APQ hash).
    pub document_id: String,
    /// The operation's name.
    pub name: String,
    /// What kind of operation it is.
    pub operation_type: OperationKind,
    /// The client the manifest came from.
    pub client_name: String,
    /// The document.
    pub body: String,
    /// When it was imported.
    pub added_at: DateTime<Utc>,
}

/// The kind of a GraphQL operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum OperationKind {
    /// Reads.
    Query,
    /// Writes.
    Mutation,
    /// A live stream.
    Subscription,
}

impl OperationKind {
    /// The kind stored as `query`, `mutation` or `subscription` (what the import writes; a
    /// document is validated as one operation of these before it is stored).
    fn from_stored(text: &str) -> Self {
        match text {
            "mutation" => Self::Mutation,
            "subscription" => Self::Subscription,
            _ => Self::Query,
        }
    }
}

impl From<persisted_operation::Model> for PersistedOperation {
    fn from(m: persisted_operation::Model) -> Self {
        Self {
            document_id: m.id,
            name: m.name,
            operation_type: OperationKind::from_stored(&m.operation_type),
            client_name: m.client_name,
            body: m.body,
            added_at: m.added_at,
        }
    }
}

/// `importPersistedOperations` input.
#[derive(InputObject)]
pub struct ImportPersistedOperationsInput {
    /// An Apollo `persisted-query-manifest.json` or a GraphQL Codegen
    /// `persisted-documents.json`, as JSON.
    pub manifest: Json<serde_json::Value>,
    /// The client these documents belong to (e.g. `partner-web`).
    pub client_name: String,
}

/// What an import did.
#[derive(SimpleObject)]
pub struct ImportPersistedOperationsPayload {
    /// Documents added.
    pub imported: i32,
    /// Documents that were already trusted.
    pub unchanged: i32,
    /// Every document of the manifest.
    pub operations: Vec<PersistedOperation>,
}

/// Trusted-document queries.
#[derive(Default)]
pub struct PersistedQuery;

/// Trusted-document queries.
#[Object]
impl PersistedQuery {
    /// Trusted documents ordered by id (admins only).
    async fn persisted_operations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the documents of this client, if any.")] client_name: Option<String>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
    ) -> Result<Option<Connection<String, PersistedOperation>>> {
        ctx.viewer().require_role(Role::Admin)?;
        let limit = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => n as usize,
            Some(_) => {
                return Err(AppError::bad_input(
                    "first",
                    format!("`first` must be between 0 and {MAX_PAGE_SIZE}"),
                )
                .into());
            }
        };
        let after: Option<String> = after
            .map(|raw| decode_cursor::<String>(&raw, "after"))
            .transpose()?;
        let mut rows = trusted::list(
            ctx.platform()?,
            client_name.as_deref(),
            after.as_deref(),
            limit + 1,
        )
        .await?;
        let has_next = rows.len() > limit;
        rows.truncate(limit);
        let mut connection = Connection::new(after.is_some(), has_next);
        connection.edges.extend(
            rows.into_iter()
                .map(|row| Edge::new(encode_cursor(&row.id), PersistedOperation::from(row))),
        );
        Ok(Some(connection))
    }
}

/// Trusted-document mutations.
#[derive(Default)]
pub struct PersistedMutation;

/// Trusted-document mutations.
#[Object]
impl PersistedMutation {
    /// Imports a manifest of trusted documents (admins only). Every document is validated
    /// against the schema first; one invalid document rejects the whole import, naming it.
    async fn import_persisted_operations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The manifest of documents, as JSON, and the client they belong to.")]
        input: ImportPersistedOperationsInput,
    ) -> Result<ImportPersistedOperationsPayload> {
        let admin = ctx.viewer().require_role(Role::Admin)?;
        let report = trusted::import_manifest(
            ctx.platform()?,
            &input.manifest.0,
            &input.client_name,
            Some(admin),
        )
        .await?;
        Ok(ImportPersistedOperationsPayload {
            imported: report.imported as i32,
            unchanged: report.unchanged as i32,
            operations: report.operations.into_iter().map(Into::into).collect(),
        })
    }

    /// Stops trusting a document (admins only); returns its `documentId` (`NOT_FOUND` if it
    /// was not trusted). Replicas that served it recently keep it for up to a minute.
    async fn delete_persisted_operation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document's id (`sha256:` and its hash).")] document_id: String,
    ) -> Result<String> {
        ctx.viewer().require_role(Role::Admin)?;
        if !trusted::delete(ctx.platform()?, &document_id).await? {
            return Err(AppError::NotFound("no such trusted document".into()).into());
        }
        Ok(document_id)
    }
}
