//! `user_progress`: a user's running totals: points, level, streak, freezes.

use sea_orm::entity::prelude::*;

/// One user's progress.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_progress")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// All-time points (= XP).
    pub points: i64,
    /// Level reached.
    pub level: i32,
    /// Streak as of `last_active_date`.
    pub current_streak: i32,
    /// Longest streak ever.
    pub longest_streak: i32,
    /// Streak freezes held (0–2).
    pub freezes: i32,
    /// Last local day with streak activity (`YYYY-MM-DD`).
    pub last_active_date: Option<String>,
    /// The user's IANA time zone, copied from the profile.
    pub time_zone: String,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
