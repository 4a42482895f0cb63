//! Playing: answers, and the state machine the driver advances (question → reveal → next
//! question … → finished). Every step locks the room row and re-checks the state, so whoever
//! runs it (a mutation, any replica's driver, a restarted one) it happens once.

use std::collections::HashMap;

use agora_entities::battle::{battle_answer, battle_player, battle_question, battle_room};
use agora_knowledge::api::questions;
use agora_platform::{
    AppError, AppResult, Platform,
    db::begin_write,
    error::on_unique_violation,
    outbox::{self, NewEvent},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{
    BattleEventKind, BattleStatus, Phase, answer_points,
    view::{self, EventView, ResultView, RevealResultView, RevealView},
};
use crate::{
    BattleSettings,
    events::{BattleFinished, FinishedPlayer},
};

/// Loads and locks a room for the transaction (PostgreSQL; SQLite's writer lock serialises).
pub(crate) async fn lock_room<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> AppResult<battle_room::Model> {
    battle_room::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such battle room".into()))
}

/// The room with one more version and fresh activity time.
pub(crate) fn touched(room: battle_room::Model, now: DateTime<Utc>) -> battle_room::ActiveModel {
    let version = room.version + 1;
    let mut active: battle_room::ActiveModel = room.into();
    active.version = Set(version);
    active.updated_at = Set(now);
    active
}

/// A present player of the room, or `FORBIDDEN`.
pub(crate) async fn require_player<C: ConnectionTrait>(
    db: &C,
    room_id: Uuid,
    user_id: Uuid,
) -> AppResult<battle_player::Model> {
    battle_player::Entity::find_by_id((room_id, user_id))
        .one(db)
        .await?
        .filter(|p| p.left_at.is_none())
        .ok_or_else(|| AppError::Forbidden("only players of this room may do this".into()))
}

/// What `submitAnswer` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Receipt {
    /// Time from the question's start to the answer.
    pub elapsed_ms: i64,
}

fn too_late() -> AppError {
    AppError::bad_input_detail(
        "questionId",
        "the time for this question is over",
        "TOO_LATE",
    )
}

/// Accepts a player's answer to the current question. Correctness stays hidden until the
/// reveal; when every connected player has answered, the question closes at once.
pub(crate) async fn submit_answer(
    platform: &Platform,
    settings: &BattleSettings,
    user_id: Uuid,
    room_id: Uuid,
    question_id: Uuid,
    choice_id: Uuid,
) -> AppResult<Receipt> {
    let txn = begin_write(&platform.db).await?;
    let room = lock_room(&txn, room_id).await?;
    let player = require_player(&txn, room_id, user_id).await?;
    let now = platform.clock.now();
    let status = BattleStatus::from(room.status);
    let phase = room.phase;
    if status != BattleStatus::InProgress {
        return Err(match status {
            BattleStatus::Lobby => AppError::bad_input("roomId", "the battle has not started"),
            _ => too_late(),
        });
    }
    let current = view::question_at(&txn, room_id, room.question_index).await?;
    if current != question_id {
        let asked_earlier = battle_question::Entity::find()
            .filter(battle_question::Column::RoomId.eq(room_id))
            .filter(battle_question::Column::QuestionId.eq(question_id))
            .filter(battle_question::Column::Position.lt(room.question_index))
            .count(&txn)
            .await?
            > 0;
        return Err(if asked_earlier {
            too_late()
        } else {
            AppError::bad_input(
                "questionId",
                "that is not the current question of this room",
            )
        });
    }
    if phase != Phase::Question || now > view::question_deadline(&room) {
        return Err(too_late());
    }
    let choices = questions::choices(&txn, question_id).await?;
    let Some(choice) = choices.iter().find(|c| c.id == choice_id) else {
        return Err(AppError::bad_input(
            "choiceId",
            "that choice does not belong to the current question",
        ));
    };
    let started = room.phase_started_at.unwrap_or(room.updated_at);
    let elapsed_ms = (now - started).num_milliseconds().max(0);
    let (points, _) = answer_points(
        choice.is_correct,
        elapsed_ms,
        room.seconds_per_question,
        player.streak,
    );
    battle_answer::ActiveModel {
        room_id: Set(room_id),
        position: Set(room.question_index),
        user_id: Set(user_id),
        choice_id: Set(choice_id),
        correct: Set(choice.is_correct),
        points: Set(points),
        elapsed_ms: Set(elapsed_ms as i32),
        answered_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| on_unique_violation(e, "you already answered this question"))?;
    let room = touched(room, now).update(&txn).await?;
    let mut events = vec![EventView {
        kind: BattleEventKind::AnswerReceived,
        room: view::load(&txn, &room).await?,
        reveal: None,
    }];
    if everyone_answered(&txn, &room).await? {
        events.extend(end_question(settings, &txn, room, now).await?);
    }
    view::publish(platform, &events).await;
    txn.commit().await?;
    platform.wake_outbox();
    Ok(Receipt { elapsed_ms })
}

/// Whether every connected present player has answered the current question (false when
/// nobody is connected: then the deadline decides).
async fn everyone_answered<C: ConnectionTrait>(
    db: &C,
    room: &battle_room::Model,
) -> AppResult<bool> {
    let connected: Vec<Uuid> = view::present_players(db, room.id)
        .await?
        .into_iter()
        .filter(|p| p.connections > 0)
        .map(|p| p.user_id)
        .collect();
    if connected.is_empty() {
        return Ok(false);
    }
    let answered: Vec<Uuid> = view::answers_at(db, room.id, room.question_index)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    Ok(connected.iter().all(|u| answered.contains(u)))
}

/// Closes the current question: scores the answers, reveals, and schedules the next step.
async fn end_question<C: ConnectionTrait>(
    settings: &BattleSettings,
    db: &C,
    room: battle_room::Model,
    now: DateTime<Utc>,
) -> AppResult<Vec<EventView>> {
    let question_id = view::question_at(db, room.id, room.question_index).await?;
    let question = questions::find(db, question_id).await?;
    let correct_choice = questions::choices(db, question_id)
        .await?
        .into_iter()
        .find(|c| c.is_correct)
        .ok_or_else(|| {
            AppError::internal(format!("question {question_id} has no correct choice"))
        })?;
    let answers: HashMap<Uuid, battle_answer::Model> =
        view::answers_at(db, room.id, room.question_index)
            .await?
            .into_iter()
            .map(|a| (a.user_id, a))
            .collect();
    let limit_ms = i64::from(room.seconds_per_question) * 1000;
    let mut results = Vec::new();
    for player in view::present_players(db, room.id).await? {
        let answer = answers.get(&player.user_id);
        let correct = answer.is_some_and(|a| a.correct);
        let points = answer.map_or(0, |a| a.points);
        let elapsed = answer.map_or(limit_ms, |a| i64::from(a.elapsed_ms));
        results.push(RevealResultView {
            user_id: player.user_id,
            choice_id: answer.map(|a| a.choice_id),
            correct,
            points,
        });
        let (score, correct_count, streak, answer_ms) = (
            player.score + points,
            player.correct_count + i32::from(correct),
            if correct { player.streak + 1 } else { 0 },
            player.answer_ms + elapsed,
        );
        let mut active: battle_player::ActiveModel = player.into();
        active.score = Set(score);
        active.correct_count = Set(correct_count);
        active.streak = Set(streak);
        active.answer_ms = Set(answer_ms);
        active.update(db).await?;
    }
    let pause = settings.reveal_pause();
    let mut active = touched(room, now);
    active.phase = Set(Phase::Reveal);
    active.deadline = Set(Some(now + pause));
    let room = active.update(db).await?;
    Ok(vec![EventView {
        kind: BattleEventKind::QuestionEnded,
        room: view::load(db, &room).await?,
        reveal: Some(RevealView {
            question_id,
            correct_choice_id: correct_choice.id,
            explanation: question.explanation,
            results,
        }),
    }])
}

/// Opens question `index` now.
pub(crate) fn open_question(
    active: &mut battle_room::ActiveModel,
    index: i32,
    seconds: i32,
    now: DateTime<Utc>,
) {
    active.phase = Set(Phase::Question);
    active.question_index = Set(index);
    active.phase_started_at = Set(Some(now));
    active.deadline = Set(Some(now + chrono::Duration::seconds(i64::from(seconds))));
}

/// After a reveal: the next question, or the end.
async fn next_or_finish<C: ConnectionTrait>(
    db: &C,
    room: battle_room::Model,
    now: DateTime<Utc>,
) -> AppResult<Vec<EventView>> {
    if room.question_index + 1 < room.question_count {
        let (index, seconds) = (room.question_index + 1, room.seconds_per_question);
        let mut active = touched(room, now);
        open_question(&mut active, index, seconds, now);
        let room = active.update(db).await?;
        return Ok(vec![EventView {
            kind: BattleEventKind::QuestionStarted,
            room: view::load(db, &room).await?,
            reveal: None,
        }]);
    }
    finish(db, room, now).await
}

/// Final ranking: score, then the faster total answer time, then who joined first.
pub(crate) fn rank(players: &[battle_player::Model]) -> Vec<ResultView> {
    let mut ordered: Vec<&battle_player::Model> = players.iter().collect();
    ordered.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.answer_ms.cmp(&b.answer_ms))
            .then(a.joined_at.cmp(&b.joined_at))
    });
    ordered
        .into_iter()
        .enumerate()
        .map(|(i, p)| ResultView {
            rank: i as i32 + 1,
            user_id: p.user_id,
            score: p.score,
            correct_count: p.correct_count,
            answer_ms: p.answer_ms,
        })
        .collect()
}

/// Ends the battle: stores the results, updates question statistics, emits `BATTLE_FINISHED`.
async fn finish<C: ConnectionTrait>(
    db: &C,
    room: battle_room::Model,
    now: DateTime<Utc>,
) -> AppResult<Vec<EventView>> {
    let players = view::present_players(db, room.id).await?;
    let results = rank(&players);
    for position in 0..room.question_count {
        let question_id = view::question_at(db, room.id, position).await?;
        let answers = view::answers_at(db, room.id, position).await?;
        let correct = answers.iter().filter(|a| a.correct).count() as i64;
        questions::record_attempts(db, question_id, answers.len() as i64, correct).await?;
    }
    let finished = BattleFinished {
        room_id: room.id,
        topic_id: room.topic_id,
        question_count: room.question_count,
        players: results
            .iter()
            .map(|r| FinishedPlayer {
                user_id: r.user_id,
                rank: r.rank,
                score: r.score,
                correct_count: r.correct_count,
            })
            .collect(),
    };
    outbox::enqueue(db, now, NewEvent::of(room.id, &finished)?).await?;
    let mut active = touched(room, now);
    active.status = Set(BattleStatus::Finished.into());
    active.phase = Set(Phase::Done);
    active.deadline = Set(None);
    active.finished_at = Set(Some(now));
    active.results = Set(Some(
        serde_json::to_string(&results).map_err(AppError::internal)?,
    ));
    let room = active.update(db).await?;
    Ok(vec![EventView {
        kind: BattleEventKind::Finished,
        room: view::load(db, &room).await?,
        reveal: None,
    }])
}

/// Cancels the room (no players left, or an idle lobby).
pub(crate) async fn cancel<C: ConnectionTrait>(
    db: &C,
    room: battle_room::Model,
    now: DateTime<Utc>,
) -> AppResult<Vec<EventView>> {
    let mut active = touched(room, now);
    active.status = Set(BattleStatus::Cancelled.into());
    active.phase = Set(Phase::Done);
    active.deadline = Set(None);
    active.finished_at = Set(Some(now));
    let room = active.update(db).await?;
    Ok(vec![EventView {
        kind: BattleEventKind::Cancelled,
        room: view::load(db, &room).await?,
        reveal: None,
    }])
}

/// Does whatever is due for the room now (the driver calls this at each deadline); a no-op
/// when another replica already did it.
pub(crate) async fn advance(
    platform: &Platform,
    settings: &BattleSettings,
    room_id: Uuid,
) -> AppResult<()> {
    let txn = begin_write(&platform.db).await?;
    let room = lock_room(&txn, room_id).await?;
    let now = platform.clock.now();
    let due = room.deadline.is_some_and(|d| d <= now);
    let events = match (BattleStatus::from(room.status), room.phase) {
        (BattleStatus::InProgress, Phase::Question)
            if due || everyone_answered(&txn, &room).await? =>
        {
            end_question(settings, &txn, room, now).await?
        }
        (BattleStatus::InProgress, Phase::Reveal) if due => next_or_finish(&txn, room, now).await?,
        (BattleStatus::Lobby, _) if due => {
            super::rooms::lobby_due(settings, &txn, room, now).await?
        }
        _ => Vec::new(),
    };
    view::publish(platform, &events).await;
    txn.commit().await?;
    if !events.is_empty() {
        platform.wake_outbox();
    }
    Ok(())
}

/// Rooms whose next step is due at `now`, and the soonest later deadline.
pub(crate) async fn due_rooms(
    platform: &Platform,
    now: DateTime<Utc>,
) -> AppResult<(Vec<Uuid>, Option<DateTime<Utc>>)> {
    let due: Vec<Uuid> = battle_room::Entity::find()
        .select_only()
        .column(battle_room::Column::Id)
        .filter(battle_room::Column::Deadline.lte(now))
        .limit(200)
        .into_tuple()
        .all(&platform.db)
        .await?;
    let next: Option<DateTime<Utc>> = battle_room::Entity::find()
        .select_only()
        .column_as(battle_room::Column::Deadline.min(), "next")
        .filter(battle_room::Column::Deadline.gt(now))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(&platform.db)
        .await?
        .flatten();
    Ok((due, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn player(score: i32, answer_ms: i64, joined_secs: i64) -> battle_player::Model {
        battle_player::Model {
            room_id: Uuid::nil(),
            user_id: Uuid::now_v7(),
            joined_at: DateTime::<Utc>::from_timestamp(joined_secs, 0).expect("time"),
            left_at: None,
            score,
            correct_count: 0,
            streak: 0,
            answer_ms,
            connections: 0,
        }
    }

    #[test]
    fn ties_go_to_the_faster_total_answer_time() {
        let slow = player(1500, 30_000, 0);
        let fast = player(1500, 12_000, 5);
        let top = player(2000, 60_000, 9);
        let ranked = rank(&[slow.clone(), fast.clone(), top.clone()]);
        let order: Vec<(i32, Uuid)> = ranked.iter().map(|r| (r.rank, r.user_id)).collect();
        assert_eq!(
            order,
            [(1, top.user_id), (2, fast.user_id), (3, slow.user_id)]
        );
    }
}
