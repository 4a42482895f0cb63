//! `capture_uploads`: a capture's uploaded file, kept until it is processed.

use sea_orm::entity::prelude::*;

/// One upload.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "capture_uploads")]
pub struct Model {
    /// The capture.
    #[sea_orm(primary_key, auto_increment = false)]
    pub capture_id: Uuid,
    /// Its media type, as sent.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
