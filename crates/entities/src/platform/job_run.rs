//! `job_runs`: which scheduled job ran for which period; the row is the lock.

use sea_orm::entity::prelude::*;

/// One run.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_runs")]
pub struct Model {
    /// The job's name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub job: String,
    /// The period it ran for, e.g. `2026-11-26T18`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: String,
    /// When the claiming replica started it.
    pub started_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
