//! `api_keys`: keys for partners and devices, stored hashed.

use sea_orm::entity::prelude::*;

/// An API key. The secret is shown once at creation; only its SHA-256 is kept.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The user the key acts for.
    pub owner_id: Uuid,
    /// Owner's label.
    pub name: String,
    /// The key's visible start (e.g. `agk_3f9a1c2b`), to tell keys apart.
    pub prefix: String,
    /// SHA-256 of the whole key, hex.
    #[sea_orm(unique)]
    pub secret_hash: String,
    /// JSON array of scope names.
    pub scopes: Json,
    /// A device key is bound to one station.
    pub station_id: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last authenticated use (updated at most once a minute).
    pub last_used_at: Option<DateTimeUtc>,
    /// Set when revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<DateTimeUtc>,
    /// GraphQL operations run with the key (flushed from memory every few seconds).
    pub operation_count: i64,
    /// Of those, the ones answered with errors.
    pub error_count: i64,
}

/// Relations of `api_keys`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The owner.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::OwnerId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
