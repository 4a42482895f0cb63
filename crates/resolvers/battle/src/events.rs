//! Events battle rooms write to the outbox.

use agora_platform::outbox::NewEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One player's line in `BATTLE_FINISHED`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FinishedPlayer {
    /// The player.
    pub user_id: Uuid,
    /// 1 for the winner.
    pub rank: i32,
    /// Battle points.
    pub score: i32,
    /// Correct answers.
    pub correct_count: i32,
}

/// `BATTLE_FINISHED`: the final results (gamification awards points from it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BattleFinished {
    /// The room.
    pub room_id: Uuid,
    /// Its topic.
    pub topic_id: Option<Uuid>,
    /// Questions played.
    pub question_count: i32,
    /// Every player who finished, by rank.
    pub players: Vec<FinishedPlayer>,
}

impl BattleFinished {
    /// Stored event name.
    pub const NAME: &'static str = "BATTLE_FINISHED";

    /// The outbox record.
    pub fn event(&self) -> NewEvent {
        NewEvent {
            event_type: Self::NAME,
            aggregate_id: Some(self.room_id.to_string()),
            payload: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}
