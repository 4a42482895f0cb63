//! `learning_settings`: a learner's scheduler and its targets; no row means the defaults.

use sea_orm::entity::prelude::*;

/// One learner's settings.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "learning_settings")]
pub struct Model {
    /// The learner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// Which algorithm schedules their cards.
    pub scheduler: Scheduler,
    /// FSRS's target probability of recall at a review (0.7 to 0.99).
    pub desired_retention: f64,
    /// No interval grows beyond this many days (either scheduler).
    pub maximum_interval_days: i32,
    /// New cards a study session introduces per local day.
    pub new_cards_per_day: i32,
    /// The learner's fitted FSRS parameters (a JSON array of 21 numbers); null for the
    /// defaults.
    #[sea_orm(column_type = "Text", nullable)]
    pub fsrs_parameters: Option<String>,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// A scheduling algorithm, stored as its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Scheduler {
    /// SuperMemo 2 (the default).
    #[sea_orm(string_value = "SM2")]
    Sm2,
    /// The Free Spaced Repetition Scheduler.
    #[sea_orm(string_value = "FSRS")]
    Fsrs,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
