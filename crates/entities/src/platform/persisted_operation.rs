//! `persisted_operations`: trusted documents, named by the SHA-256 of their body.

use sea_orm::entity::prelude::*;

/// A trusted GraphQL document.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "persisted_operations")]
pub struct Model {
    /// `sha256:<64 lower-case hex>` of `body`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The operation's name (from the manifest, or the document's own).
    pub name: String,
    /// `query`, `mutation` or `subscription`.
    pub operation_type: String,
    /// The document text, exactly as hashed.
    pub body: String,
    /// The client the manifest came from (e.g. `partner-web`).
    pub client_name: String,
    /// The admin who imported it; none for the `agora persisted import` command.
    pub added_by: Option<Uuid>,
    /// Import time.
    pub added_at: DateTimeUtc,
}

/// `persisted_operations` has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
