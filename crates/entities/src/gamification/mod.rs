//! Tables of gamification: rules and catalog (data), the points ledger, progress, daily
//! activity, counters, unlocked achievements and leaderboard totals.

pub mod achievement;
pub mod daily_activity;
pub mod leaderboard_score;
pub mod point_award;
pub mod point_rule;
pub mod user_achievement;
pub mod user_progress;
pub mod user_stat;
