//! Literacy's rules as plain async functions over the platform handle: levels and a learner's
//! place ([`levels`]), spoken practice ([`practice`]), mock tests ([`mock`]) and progress
//! ([`progress`]).

pub(crate) mod levels;
pub(crate) mod mock;
pub(crate) mod practice;
pub(crate) mod progress;

use agora_platform::{AppError, AppResult};
use uuid::Uuid;

/// A look-up's `NOT_FOUND` as none (for nullable fields and `node(id:)`).
pub(crate) fn found<T>(result: AppResult<T>) -> AppResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// A word is passed (and, the first time in practice, mastered) above this similarity.
pub(crate) const PASS_MARK: i32 = 70;
/// Share of a level's words to master before its mock test opens.
pub(crate) const MOCK_READY_SHARE: f64 = 0.8;
/// Words in a mock test (fewer when the level has fewer).
pub(crate) const MOCK_TEST_WORDS: usize = 10;
/// A mock test passes at this score (percent of its words passed) or above.
pub(crate) const MOCK_PASS_SCORE: i32 = 70;
/// Longest speaking time one answer may claim, in ms.
pub(crate) const MAX_DURATION_MS: i32 = 60_000;
/// Longest transcript, in characters.
pub(crate) const MAX_TRANSCRIPT: usize = 200;

/// The live channel of one learner's literacy progress.
pub(crate) fn progress_channel(user: Uuid) -> String {
    format!("literacy:{user}")
}

/// A word's similarity passes the bar (and masters it in practice).
pub(crate) fn passes(similarity: i32) -> bool {
    similarity > PASS_MARK
}

/// Words of a level to master before its mock test opens: 80%, rounded up.
pub(crate) fn ready_threshold(word_count: usize) -> usize {
    (word_count as f64 * MOCK_READY_SHARE).ceil() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eighty_percent_rounds_up() {
        assert_eq!(ready_threshold(40), 32);
        assert_eq!(ready_threshold(41), 33);
        assert_eq!(ready_threshold(1), 1);
        assert_eq!(ready_threshold(0), 0);
        assert!(passes(71) && !passes(70));
    }
}
