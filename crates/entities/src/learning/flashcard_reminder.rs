//! `flashcard_reminders`: the local day each learner was last sent the due-cards reminder.

use sea_orm::entity::prelude::*;

/// One learner's last reminder.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flashcard_reminders")]
pub struct Model {
    /// The learner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// `YYYY-MM-DD` in their zone.
    pub local_date: String,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
