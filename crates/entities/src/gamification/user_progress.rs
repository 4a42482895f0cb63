//! `user_progress`: a user's running totals: points, level, streak, freezes, the counters
//! achievements watch, and the all-time and weekly board totals (the TOPIC boards are
//! `leaderboard_scores`).

use std::collections::BTreeMap;

use sea_orm::{FromJsonQueryResult, entity::prelude::*};
use serde::{Deserialize, Serialize};

/// Counters by metric (`BATTLES_PLAYED`, `BATTLES_WON`, `FLASHCARDS_REVIEWED`, ...), stored as
/// one JSON object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Counters(pub BTreeMap<String, i64>);

impl Counters {
    /// The value of `metric` (0 before its first count).
    pub fn get(&self, metric: &str) -> i64 {
        self.0.get(metric).copied().unwrap_or(0)
    }
}

/// One user's progress.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_progress")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// All-time points (= XP, and the GLOBAL board's total).
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
    /// The counters achievements watch.
    #[sea_orm(column_type = "Json")]
    pub stats: Counters,
    /// Unix seconds when `points` last grew (the GLOBAL board's tie-break: earlier ranks
    /// higher).
    pub points_reached_at: i64,
    /// The ISO week (`2026-W49`, UTC) `week_points` belong to; none before the first award.
    pub week: Option<String>,
    /// Points earned in `week` (the WEEKLY board's total).
    pub week_points: i64,
    /// Unix seconds when `week_points` last grew.
    pub week_reached_at: i64,
    /// The month (`2026-12`, UTC) `month_points` belong to; none before the first award.
    pub month: Option<String>,
    /// Points earned in `month` (the MONTHLY board's total).
    pub month_points: i64,
    /// Unix seconds when `month_points` last grew.
    pub month_reached_at: i64,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
