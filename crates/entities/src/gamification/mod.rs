//! Tables of gamification: rules and catalog (data), the points ledger, progress (with the
//! counters and the all-time and weekly totals), daily activity (a view over the ledger),
//! unlocked achievements and the topic boards' totals.

pub mod achievement;
pub mod daily_activity;
pub mod leaderboard_score;
pub mod point_award;
pub mod point_rule;
pub mod user_achievement;
pub mod user_progress;
