//! GraphQL types of battle rooms, rendered from the shared [`RoomView`].

use std::sync::Arc;

use agora_identity::api::{User, load_user};
use agora_knowledge::api::{CHOICE_TYPE, QUESTION_TYPE, Topic, TopicLoader};
use agora_platform::{AppError, context::ContextExt, ids};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::service::{
    BattleEventKind, BattleStatus,
    view::{PlayerView, QuestionView, ResultView, RevealResultView, RevealView, RoomView},
};

/// Global-id type name of battle rooms.
pub const BATTLE_ROOM_TYPE: &str = "BattleRoom";

async fn user(ctx: &Context<'_>, id: uuid::Uuid) -> Result<User> {
    load_user(ctx, id)
        .await?
        .ok_or_else(|| AppError::internal(format!("user {id} vanished")).into())
}

/// Settings of a new room.
#[derive(InputObject)]
pub(crate) struct CreateBattleRoomInput {
    /// Draw questions from this topic and its subtopics (any topic when omitted).
    pub topic_id: Option<ID>,
    /// 1–50.
    #[graphql(default = 10)]
    pub question_count: i32,
    /// 5–120.
    #[graphql(default = 20)]
    pub seconds_per_question: i32,
    /// 2–50.
    #[graphql(default = 8)]
    pub max_players: i32,
    /// Hidden from `openBattleRooms` and quick match; join by code only.
    #[graphql(default = false)]
    pub is_private: bool,
    /// May start with the host alone (practice).
    #[graphql(default = false)]
    pub allow_solo: bool,
}

/// A battle room as its players see it.
#[derive(Clone)]
pub struct BattleRoom(pub Arc<RoomView>);

/// A battle room as its players see it.
#[Object]
impl BattleRoom {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(BATTLE_ROOM_TYPE, self.0.id)
    }

    /// Six-character join code.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Lifecycle.
    async fn status(&self) -> BattleStatus {
        self.0.status
    }

    /// The host (starts the battle, may remove players).
    async fn host(&self, ctx: &Context<'_>) -> Result<User> {
        user(ctx, self.0.host_id).await
    }

    /// Present players, longest present first.
    async fn players(&self) -> Vec<BattlePlayer> {
        self.0.players.iter().cloned().map(BattlePlayer).collect()
    }

    /// Current question, 0-based; -1 before the start.
    async fn question_index(&self) -> i32 {
        self.0.question_index
    }

    /// Questions in the battle.
    async fn question_count(&self) -> i32 {
        self.0.question_count
    }

    /// Time limit per question.
    async fn seconds_per_question(&self) -> i32 {
        self.0.seconds_per_question
    }

    /// Most players.
    async fn max_players(&self) -> i32 {
        self.0.max_players
    }

    /// Hidden from listings.
    async fn is_private(&self) -> bool {
        self.0.is_private
    }

    /// Opened by quick match (starts by itself).
    async fn quick_match(&self) -> bool {
        self.0.quick_match
    }

    /// The topic questions come from.
    async fn topic(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        let Some(id) = self.0.topic_id else {
            return Ok(None);
        };
        Ok(ctx
            .loader::<TopicLoader>()?
            .load_one(id)
            .await
            .map_err(AppError::Internal)?
            .map(Topic))
    }

    /// The open (or just revealed) question, without its answer; players only.
    async fn current_question(&self, ctx: &Context<'_>) -> Result<Option<BattleQuestion>> {
        let Some(question) = &self.0.current_question else {
            return Ok(None);
        };
        let viewer = ctx.viewer().require_user()?;
        if !self.0.has_player(viewer) {
            return Err(AppError::Forbidden("only players see the current question".into()).into());
        }
        Ok(Some(BattleQuestion(question.clone())))
    }

    /// Final ranking, once finished.
    async fn results(&self) -> Option<Vec<BattleResult>> {
        self.0
            .results
            .as_ref()
            .map(|r| r.iter().cloned().map(BattleResult).collect())
    }

    /// +1 on every change (events carry it, so clients can drop stale ones).
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Server time of the change this state shows (event delivery latency is measured from it).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A player in a room.
pub(crate) struct BattlePlayer(PlayerView);

/// A player in a room.
#[Object]
impl BattlePlayer {
    /// The user.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        user(ctx, self.0.user_id).await
    }

    /// Points so far (revealed questions only).
    async fn score(&self) -> i32 {
        self.0.score
    }

    /// Correct answers so far.
    async fn correct_count(&self) -> i32 {
        self.0.correct_count
    }

    /// Consecutive correct answers.
    async fn streak(&self) -> i32 {
        self.0.streak
    }

    /// Subscribed to the room right now.
    async fn connected(&self) -> bool {
        self.0.connected
    }

    /// Has answered the current question (never what).
    async fn answered(&self) -> bool {
        self.0.answered
    }
}

/// The open question of a battle.
pub(crate) struct BattleQuestion(QuestionView);

/// One choice of a battle question.
#[derive(SimpleObject)]
pub(crate) struct BattleChoice {
    /// Choice id, for `submitAnswer`.
    pub id: ID,
    /// Text.
    pub text: String,
}

/// The open question of a battle.
#[Object]
impl BattleQuestion {
    /// Question id, for `submitAnswer`.
    async fn id(&self) -> ID {
        ids::encode(QUESTION_TYPE, self.0.id)
    }

    /// 0-based position in the battle.
    async fn index(&self) -> i32 {
        self.0.index
    }

    /// Text.
    async fn prompt(&self) -> &str {
        &self.0.prompt
    }

    /// Choices in display order (which one is right is revealed at the question's end).
    async fn choices(&self) -> Vec<BattleChoice> {
        self.0
            .choices
            .iter()
            .map(|c| BattleChoice {
                id: ids::encode(CHOICE_TYPE, c.id),
                text: c.text.clone(),
            })
            .collect()
    }

    /// Opened at.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }

    /// Answers are refused after this.
    async fn deadline(&self) -> DateTime<Utc> {
        self.0.deadline
    }
}

/// One line of the final ranking.
pub(crate) struct BattleResult(ResultView);

/// One line of the final ranking.
#[Object]
impl BattleResult {
    /// 1 for the winner.
    async fn rank(&self) -> i32 {
        self.0.rank
    }

    /// The player.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        user(ctx, self.0.user_id).await
    }

    /// Final score.
    async fn score(&self) -> i32 {
        self.0.score
    }

    /// Correct answers.
    async fn correct_count(&self) -> i32 {
        self.0.correct_count
    }

    /// Total answer time in ms (unanswered questions count the full limit); breaks ties.
    async fn total_answer_ms(&self) -> i64 {
        self.0.answer_ms
    }
}

/// The answer to a question that just closed, and what each player got.
pub(crate) struct QuestionReveal(RevealView);

/// The answer to a question that just closed, and what each player got.
#[Object]
impl QuestionReveal {
    /// The question.
    async fn question_id(&self) -> ID {
        ids::encode(QUESTION_TYPE, self.0.question_id)
    }

    /// The right choice.
    async fn correct_choice_id(&self) -> ID {
        ids::encode(CHOICE_TYPE, self.0.correct_choice_id)
    }

    /// Why.
    async fn explanation(&self) -> &str {
        &self.0.explanation
    }

    /// Every present player's outcome.
    async fn results(&self) -> Vec<RevealResult> {
        self.0.results.iter().cloned().map(RevealResult).collect()
    }
}

/// What one player did on a revealed question.
pub(crate) struct RevealResult(RevealResultView);

/// What one player did on a revealed question.
#[Object]
impl RevealResult {
    /// The player.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        user(ctx, self.0.user_id).await
    }

    /// Their choice; null when they did not answer.
    async fn choice_id(&self) -> Option<ID> {
        self.0.choice_id.map(|c| ids::encode(CHOICE_TYPE, c))
    }

    /// Whether it was right.
    async fn correct(&self) -> bool {
        self.0.correct
    }

    /// Points earned, streak bonus included.
    async fn points(&self) -> i32 {
        self.0.points
    }
}

/// A live event of a room: what happened and the full room state after it.
pub(crate) struct BattleEvent {
    /// What happened.
    pub kind: BattleEventKind,
    /// The room afterwards.
    pub room: BattleRoom,
    /// The answer, on `QUESTION_ENDED`.
    pub reveal: Option<Arc<RevealView>>,
}

/// A live event of a room: what happened and the full room state after it.
#[Object]
impl BattleEvent {
    /// What happened.
    async fn kind(&self) -> BattleEventKind {
        self.kind
    }

    /// The room afterwards.
    async fn room(&self) -> &BattleRoom {
        &self.room
    }

    /// The answer, on `QUESTION_ENDED`.
    async fn reveal(&self) -> Option<QuestionReveal> {
        self.reveal.as_deref().cloned().map(QuestionReveal)
    }
}

/// The answer was taken; correctness comes with the reveal.
#[derive(SimpleObject)]
pub(crate) struct AnswerReceipt {
    /// Always true (a refused answer is an error).
    pub accepted: bool,
    /// Time from the question's start to the answer.
    pub elapsed_ms: i64,
}
