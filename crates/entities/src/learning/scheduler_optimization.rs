//! `scheduler_optimizations`: a learner's runs of the FSRS optimiser over their review log.

use sea_orm::entity::prelude::*;

/// One run.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "scheduler_optimizations")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The learner.
    pub user_id: Uuid,
    /// Where it stands.
    pub status: Status,
    /// 0 to 1.
    pub progress: f64,
    /// Reviews in the learner's log when it started.
    pub review_count: i32,
    /// Reviews it fitted on.
    pub train_count: i32,
    /// Held-out reviews it evaluated on.
    pub test_count: i32,
    /// Why it failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    /// Log-loss and RMSE of each model on the held-out reviews (JSON).
    #[sea_orm(column_type = "Text", nullable)]
    pub evaluation: Option<String>,
    /// The fitted parameters (a JSON array).
    #[sea_orm(column_type = "Text", nullable)]
    pub parameters: Option<String>,
    /// Last sign of life of the replica running it; a run whose heartbeat stopped was
    /// interrupted.
    pub heartbeat_at: DateTimeUtc,
    /// Requested.
    pub created_at: DateTimeUtc,
    /// Done or failed.
    pub finished_at: Option<DateTimeUtc>,
}

/// Where a run stands, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Status {
    /// Fitting.
    Running,
    /// Finished; parameters saved.
    Done,
    /// Stopped with a reason.
    Failed,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
