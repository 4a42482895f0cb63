//! Battle rules as plain async functions over the platform handle.
//!
//! The database holds the whole game (room, players, drawn questions, answers, the next
//! deadline); every change is a transaction on the locked room row that re-checks the state,
//! so a mutation, the driver of any replica, or a driver restarted mid-question all apply each
//! step exactly once. The new room state is published on `battle:{roomId}` just before the
//! commit, while the room row is still locked: events of one room reach the bus in version
//! order whichever replica made them. Should that commit fail (rare), subscribers briefly saw
//! a state that the next event (same version) or snapshot replaces.

pub(crate) mod play;
pub(crate) mod rooms;
pub(crate) mod seal;
pub(crate) mod view;

use agora_platform::{AppError, AppResult};
use rand::Rng;

/// Questions per battle.
pub(crate) const QUESTIONS: std::ops::RangeInclusive<i32> = 1..=50;
/// Seconds per question.
pub(crate) const SECONDS: std::ops::RangeInclusive<i32> = 5..=120;
/// Players per room.
pub(crate) const PLAYERS: std::ops::RangeInclusive<i32> = 2..=50;
/// Join-code alphabet: no 0/O, 1/I/L, so a code read aloud is unambiguous.
pub(crate) const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Join-code length.
pub(crate) const CODE_LEN: usize = 6;

/// Lifecycle of a room.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "agora_entities::battle::battle_room::Status")]
pub enum BattleStatus {
    /// Waiting for players.
    Lobby,
    /// Being played.
    InProgress,
    /// Played to the end; results are final.
    Finished,
    /// Abandoned before the end.
    Cancelled,
}

/// Where an in-progress room is within its current question.
pub(crate) use agora_entities::battle::battle_room::Phase;

/// What happened, on every live event.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BattleEventKind {
    /// The room as it is now (first event of every subscription, and after a gap).
    Snapshot,
    /// Someone joined.
    PlayerJoined,
    /// Someone left or was kicked.
    PlayerLeft,
    /// The battle began.
    Started,
    /// A question opened.
    QuestionStarted,
    /// A player answered (never what).
    AnswerReceived,
    /// A question closed; `reveal` tells the answer and who earned what.
    QuestionEnded,
    /// The battle is over; `room.results` is final.
    Finished,
    /// The room was cancelled.
    Cancelled,
}

/// Points for one answer, Kahoot's way: a correct answer earns
/// `round(1000 × (1 − (t / T) / 2))` (the full 1000 under half a second) plus 100 per
/// consecutive correct answer after the first, capped at 500. Returns (points, new streak).
pub(crate) fn answer_points(
    correct: bool,
    elapsed_ms: i64,
    limit_secs: i32,
    streak_before: i32,
) -> (i32, i32) {
    if !correct {
        return (0, 0);
    }
    let base = if elapsed_ms < 500 {
        1000.0
    } else {
        let ratio = (elapsed_ms as f64 / (f64::from(limit_secs) * 1000.0)).min(1.0);
        (1000.0 * (1.0 - ratio / 2.0)).round()
    };
    let streak = streak_before + 1;
    let bonus = (100 * (streak - 1)).min(500);
    (base as i32 + bonus, streak)
}

/// A fresh join code.
pub(crate) fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Normalises a typed code (case, spaces); `BAD_USER_INPUT` when it cannot be one.
pub(crate) fn normalize_code(raw: &str) -> AppResult<String> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.len() != CODE_LEN || !code.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return Err(AppError::bad_input(
            "code",
            format!("a room code is {CODE_LEN} letters and digits, like K7QW3N"),
        ));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_follow_the_formula() {
        // Under half a second: the full 1000.
        assert_eq!(answer_points(true, 300, 20, 0), (1000, 1));
        // t = 5 s of T = 20 s: 1000 × (1 − 0.125) = 875.
        assert_eq!(answer_points(true, 5_000, 20, 0), (875, 1));
        // At the deadline: 500. A third correct answer in a row adds 200.
        assert_eq!(answer_points(true, 20_000, 20, 2), (700, 3));
        // The streak bonus stops at 500.
        assert_eq!(answer_points(true, 10_000, 20, 9), (750 + 500, 10));
        // Wrong: nothing, and the streak resets.
        assert_eq!(answer_points(false, 100, 20, 4), (0, 0));
        // Rounding: 1000 × (1 − (7/30)/2) = 883.33…
        assert_eq!(answer_points(true, 7_000, 30, 0), (883, 1));
    }

    #[test]
    fn codes_are_unambiguous_and_normalised() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), CODE_LEN);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
            assert_eq!(normalize_code(&code.to_lowercase()).expect("valid"), code);
        }
        assert_eq!(normalize_code(" k7q-w3n ").expect("valid"), "K7QW3N");
        assert!(normalize_code("K7QW3").is_err());
        assert!(normalize_code("K7QW3O").is_err());
    }
}
