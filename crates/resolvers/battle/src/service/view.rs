//! A room's full state as every player sees it, built once per change and shared: the writer
//! publishes it on `battle:{roomId}` and each subscriber only renders it.

use std::collections::{HashMap, HashSet};

use agora_entities::{
    battle::{battle_answer, battle_player, battle_question, battle_room},
    knowledge::{question, question_choice},
};
use agora_knowledge::api::questions;
use agora_platform::{AppError, AppResult, Platform};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait as _},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{BattleEventKind, BattleStatus, Phase};

/// A player as shown in the room.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PlayerView {
    /// The user.
    pub user_id: Uuid,
    /// Points so far (revealed questions only).
    pub score: i32,
    /// Correct answers so far.
    pub correct_count: i32,
    /// Consecutive correct answers.
    pub streak: i32,
    /// Has a live subscription to the room.
    pub connected: bool,
    /// Has answered the current question.
    pub answered: bool,
    /// Total answer time, ms.
    pub answer_ms: i64,
    /// Joined at.
    pub joined_at: DateTime<Utc>,
}

/// One choice, without the answer key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChoiceView {
    /// Choice id.
    pub id: Uuid,
    /// Text.
    pub text: String,
}

/// The current question, without its answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct QuestionView {
    /// Question id.
    pub id: Uuid,
    /// 0-based position in the battle.
    pub index: i32,
    /// Text.
    pub prompt: String,
    /// Choices in display order.
    pub choices: Vec<ChoiceView>,
    /// Opened at.
    pub started_at: DateTime<Utc>,
    /// Answers are refused after this.
    pub deadline: DateTime<Utc>,
}

/// One line of the final ranking.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResultView {
    /// 1 for the winner.
    pub rank: i32,
    /// The player.
    pub user_id: Uuid,
    /// Final score.
    pub score: i32,
    /// Correct answers.
    pub correct_count: i32,
    /// Total answer time, ms (the tie-breaker).
    pub answer_ms: i64,
}

/// What one player did on a revealed question.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RevealResultView {
    /// The player.
    pub user_id: Uuid,
    /// Their choice; null when they did not answer.
    pub choice_id: Option<Uuid>,
    /// Whether it was right.
    pub correct: bool,
    /// Points earned.
    pub points: i32,
}

/// The answer to a question that just closed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RevealView {
    /// The question.
    pub question_id: Uuid,
    /// The right choice.
    pub correct_choice_id: Uuid,
    /// Why.
    pub explanation: String,
    /// Every player's outcome.
    pub results: Vec<RevealResultView>,
}

/// A room as players see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RoomView {
    /// Room id.
    pub id: Uuid,
    /// Join code.
    pub code: String,
    /// Lifecycle.
    pub status: BattleStatus,
    /// Step within the current question.
    pub phase: Phase,
    /// Topic, if any.
    pub topic_id: Option<Uuid>,
    /// Host.
    pub host_id: Uuid,
    /// Hidden from listings.
    pub is_private: bool,
    /// Opened by quick match.
    pub quick_match: bool,
    /// Current question, 0-based; -1 in the lobby.
    pub question_index: i32,
    /// Questions in the battle.
    pub question_count: i32,
    /// Time limit per question.
    pub seconds_per_question: i32,
    /// Most players.
    pub max_players: i32,
    /// Present players, longest present first.
    pub players: Vec<PlayerView>,
    /// The open (or just revealed) question.
    pub current_question: Option<QuestionView>,
    /// Final ranking, once finished.
    pub results: Option<Vec<ResultView>>,
    /// +1 on every change.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Server time of the change this view shows.
    pub updated_at: DateTime<Utc>,
}

impl RoomView {
    /// Whether `user` is a present player.
    pub fn has_player(&self, user: Uuid) -> bool {
        self.players.iter().any(|p| p.user_id == user)
    }
}

/// A live event as published on the bus.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventView {
    /// What happened.
    pub kind: BattleEventKind,
    /// The room afterwards.
    pub room: RoomView,
    /// The answer, on `QUESTION_ENDED`.
    pub reveal: Option<RevealView>,
}

/// The bus channel of a room.
pub(crate) fn channel(room_id: Uuid) -> String {
    format!("battle:{room_id}")
}

/// Present players (not left) of a room, longest present first.
pub(crate) async fn present_players<C: ConnectionTrait>(
    db: &C,
    room_id: Uuid,
) -> AppResult<Vec<battle_player::Model>> {
    Ok(battle_player::Entity::find()
        .filter(battle_player::Column::RoomId.eq(room_id))
        .filter(battle_player::Column::LeftAt.is_null())
        .order_by_asc(battle_player::Column::JoinedAt)
        .order_by_asc(battle_player::Column::UserId)
        .all(db)
        .await?)
}

/// The question drawn at `position`.
pub(crate) async fn question_at<C: ConnectionTrait>(
    db: &C,
    room_id: Uuid,
    position: i32,
) -> AppResult<Uuid> {
    battle_question::Entity::find_by_id((room_id, position))
        .one(db)
        .await?
        .map(|q| q.question_id)
        .ok_or_else(|| AppError::internal(format!("room {room_id} has no question {position}")))
}

/// Answers to the question at `position`.
pub(crate) async fn answers_at<C: ConnectionTrait>(
    db: &C,
    room_id: Uuid,
    position: i32,
) -> AppResult<Vec<battle_answer::Model>> {
    Ok(battle_answer::Entity::find()
        .filter(battle_answer::Column::RoomId.eq(room_id))
        .filter(battle_answer::Column::Position.eq(position))
        .all(db)
        .await?)
}

/// Builds the view of `room` from the database.
pub(crate) async fn load<C: ConnectionTrait>(
    db: &C,
    room: &battle_room::Model,
) -> AppResult<RoomView> {
    let players = present_players(db, room.id).await?;
    let mut open = None;
    if has_open_question(room) {
        let question_id = question_at(db, room.id, room.question_index).await?;
        let question = questions::find(db, question_id).await?;
        let choices = questions::choices(db, question_id).await?;
        let answered = answers_at(db, room.id, room.question_index)
            .await?
            .into_iter()
            .map(|a| a.user_id)
            .collect();
        open = Some(OpenQuestion {
            question,
            choices,
            answered,
        });
    }
    assemble(room, players, open)
}

/// Builds the views of a page of rooms with one statement per table whatever the page's size
/// (players; then, if any room has an open question, the drawn questions, their text, their
/// choices and the answers), in the page's order. For lists: [`load`] per room would cost up
/// to five statements a room.
pub(crate) async fn load_many<C: ConnectionTrait>(
    db: &C,
    rooms: &[battle_room::Model],
) -> AppResult<Vec<RoomView>> {
    if rooms.is_empty() {
        return Ok(Vec::new());
    }
    let mut players: HashMap<Uuid, Vec<battle_player::Model>> = HashMap::new();
    for player in battle_player::Entity::find()
        .filter(battle_player::Column::RoomId.is_in(rooms.iter().map(|r| r.id)))
        .filter(battle_player::Column::LeftAt.is_null())
        .order_by_asc(battle_player::Column::JoinedAt)
        .order_by_asc(battle_player::Column::UserId)
        .all(db)
        .await?
    {
        players.entry(player.room_id).or_default().push(player);
    }
    let open: Vec<&battle_room::Model> = rooms
        .iter()
        .filter(|room| has_open_question(room))
        .collect();
    let mut current = open_questions(db, &open).await?;
    rooms
        .iter()
        .map(|room| {
            assemble(
                room,
                players.remove(&room.id).unwrap_or_default(),
                current.remove(&room.id),
            )
        })
        .collect()
}

/// The open questions of `rooms` (each has one), by room: four statements for them all.
async fn open_questions<C: ConnectionTrait>(
    db: &C,
    rooms: &[&battle_room::Model],
) -> AppResult<HashMap<Uuid, OpenQuestion>> {
    if rooms.is_empty() {
        return Ok(HashMap::new());
    }
    let at_current = |room_id: Expr, position: Expr| {
        rooms.iter().fold(Condition::any(), |any, room| {
            any.add(
                Condition::all()
                    .add(room_id.clone().eq(room.id))
                    .add(position.clone().eq(room.question_index)),
            )
        })
    };
    let drawn: HashMap<Uuid, Uuid> = battle_question::Entity::find()
        .filter(at_current(
            Expr::col(battle_question::Column::RoomId),
            Expr::col(battle_question::Column::Position),
        ))
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.room_id, q.question_id))
        .collect();
    let ids: Vec<Uuid> = drawn
        .values()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let texts: HashMap<Uuid, question::Model> = questions::by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|q| (q.id, q))
        .collect();
    let choices = questions::choices_of(db, &ids).await?;
    let mut answered: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for answer in battle_answer::Entity::find()
        .filter(at_current(
            Expr::col(battle_answer::Column::RoomId),
            Expr::col(battle_answer::Column::Position),
        ))
        .all(db)
        .await?
    {
        answered
            .entry(answer.room_id)
            .or_default()
            .insert(answer.user_id);
    }
    let mut open = HashMap::with_capacity(rooms.len());
    for room in rooms {
        let question_id = drawn.get(&room.id).copied().ok_or_else(|| {
            AppError::internal(format!(
                "room {} has no question {}",
                room.id, room.question_index
            ))
        })?;
        // Two rooms may have drawn the same question, so each takes a copy.
        let question = texts
            .get(&question_id)
            .cloned()
            .ok_or_else(|| AppError::NotFound("no such question".into()))?;
        let choices = choices.get(&question_id).cloned().unwrap_or_default();
        open.insert(
            room.id,
            OpenQuestion {
                question,
                choices,
                answered: answered.remove(&room.id).unwrap_or_default(),
            },
        );
    }
    Ok(open)
}

/// The question a room has open, with what the view shows of it.
struct OpenQuestion {
    question: question::Model,
    choices: Vec<question_choice::Model>,
    answered: HashSet<Uuid>,
}

/// Whether `room` shows a current question.
fn has_open_question(room: &battle_room::Model) -> bool {
    matches!(room.phase, Phase::Question | Phase::Reveal) && room.question_index >= 0
}

/// The view of `room` from its rows.
fn assemble(
    room: &battle_room::Model,
    players: Vec<battle_player::Model>,
    open: Option<OpenQuestion>,
) -> AppResult<RoomView> {
    let status = BattleStatus::from(room.status);
    let mut answered = HashSet::new();
    let current_question = open.map(|open| {
        answered = open.answered;
        QuestionView {
            id: open.question.id,
            index: room.question_index,
            prompt: open.question.prompt,
            choices: open
                .choices
                .into_iter()
                .map(|c| ChoiceView {
                    id: c.id,
                    text: c.text,
                })
                .collect(),
            started_at: room.phase_started_at.unwrap_or(room.updated_at),
            deadline: question_deadline(room),
        }
    });
    let results = room
        .results
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| AppError::internal(format!("room {} results: {e}", room.id)))?;
    Ok(RoomView {
        id: room.id,
        code: room.code.clone(),
        status,
        phase: room.phase,
        topic_id: room.topic_id,
        host_id: room.host_id,
        is_private: room.is_private,
        quick_match: room.quick_match,
        question_index: room.question_index,
        question_count: room.question_count,
        seconds_per_question: room.seconds_per_question,
        max_players: room.max_players,
        players: players
            .into_iter()
            .map(|p| PlayerView {
                answered: answered.contains(&p.user_id),
                user_id: p.user_id,
                score: p.score,
                correct_count: p.correct_count,
                streak: p.streak,
                connected: p.connections > 0,
                answer_ms: p.answer_ms,
                joined_at: p.joined_at,
            })
            .collect(),
        current_question,
        results,
        version: room.version,
        created_at: room.created_at,
        updated_at: room.updated_at,
    })
}

/// The current question's answer deadline (phase start + the time limit).
pub(crate) fn question_deadline(room: &battle_room::Model) -> DateTime<Utc> {
    room.phase_started_at.unwrap_or(room.updated_at)
        + chrono::Duration::seconds(i64::from(room.seconds_per_question))
}

/// Publishes events on the room's channel; called just before the commit of the transaction
/// that made them, with the room row locked, so a room's events go out in version order.
pub(crate) async fn publish(platform: &Platform, events: &[EventView]) {
    for event in events {
        match serde_json::to_string(event) {
            Ok(text) => {
                if let Err(e) = platform.bus.publish(&channel(event.room.id), &text).await {
                    tracing::warn!(room = %event.room.id, error = e.log_message(), "battle event not published");
                }
            }
            Err(e) => tracing::error!(error = %e, "battle event not serialised"),
        }
    }
}
