//! Gamification's business rules, as plain async functions over the database.
//!
//! - [`rules`]: which events earn what (the `point_rules` table) and who earns it.
//! - [`awards`]: applies a batch of events: ledger, progress (streaks, counters, the all-time
//!   and weekly totals), achievements, topic totals, in one transaction.
//! - [`levels`], [`streaks`]: the pure level curve and streak rules.
//! - [`achievements`], [`progress`]: reading the catalog and a user's progress.
//! - [`leaderboard`]: the boards, on Redis sorted sets or on SQL.
//! - [`reminders`]: the evening streak-at-risk job.

pub(crate) mod achievements;
mod award_rows;
pub(crate) mod awards;
pub(crate) mod leaderboard;
pub(crate) mod levels;
pub(crate) mod progress;
pub(crate) mod reminders;
pub(crate) mod rules;
pub(crate) mod streaks;

/// The counters achievements watch. `LEVEL` and `LONGEST_STREAK` are columns of
/// `user_progress`; the others are keys of its `stats`.
pub(crate) mod metric {
    /// Battles finished.
    pub(crate) const BATTLES_PLAYED: &str = "BATTLES_PLAYED";
    /// Battles won against at least one other player.
    pub(crate) const BATTLES_WON: &str = "BATTLES_WON";
    /// Flashcards reviewed.
    pub(crate) const FLASHCARDS_REVIEWED: &str = "FLASHCARDS_REVIEWED";
    /// Own questions published.
    pub(crate) const QUESTIONS_PUBLISHED: &str = "QUESTIONS_PUBLISHED";
    /// Topics completed.
    pub(crate) const TOPICS_COMPLETED: &str = "TOPICS_COMPLETED";
    /// Words mastered.
    pub(crate) const WORDS_MASTERED: &str = "WORDS_MASTERED";
    /// Mock tests passed.
    pub(crate) const MOCK_TESTS_PASSED: &str = "MOCK_TESTS_PASSED";
    /// The longest daily practice streak of literacy (one `PRACTICE_STREAK_EXTENDED` per day).
    pub(crate) const LONGEST_PRACTICE_STREAK: &str = "LONGEST_PRACTICE_STREAK";
    /// The level reached.
    pub(crate) const LEVEL: &str = "LEVEL";
    /// The longest streak.
    pub(crate) const LONGEST_STREAK: &str = "LONGEST_STREAK";
}

/// Parses a stored `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The IANA zone, or UTC for anything unknown.
pub(crate) fn zone(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}
