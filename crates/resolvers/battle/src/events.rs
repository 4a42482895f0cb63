//! Events battle rooms write to the outbox: `BATTLE_FINISHED` with the final results
//! (gamification awards points from it). Payloads are typed in `agora_events`.

pub(crate) use agora_events::{BattleFinished, FinishedPlayer};
