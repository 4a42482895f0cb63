//! What the server asks of battle rooms: the driver.

pub use crate::driver::run as run_driver;

/// The questions whose answers `user` must not see now: every question drawn for a room they
/// play that has not been revealed yet (all of a lobby's, and from the open one on in a
/// running battle). The knowledge hub hides their explanations and correctness from them.
pub fn sealed_questions(
    platform: agora_platform::Platform,
    user: uuid::Uuid,
) -> futures::future::BoxFuture<
    'static,
    agora_platform::AppResult<std::collections::HashSet<uuid::Uuid>>,
> {
    Box::pin(async move { crate::service::seal::sealed_questions(&platform.db, user).await })
}

pub use crate::types::{BATTLE_ROOM_TYPE, BattleRoom};

/// Room `id` for `node(id:)`: public rooms, and private ones for their players.
pub async fn room_node(
    platform: &agora_platform::Platform,
    viewer: uuid::Uuid,
    id: uuid::Uuid,
) -> agora_platform::AppResult<Option<BattleRoom>> {
    Ok(crate::service::rooms::visible(platform, viewer, id)
        .await?
        .map(|room| BattleRoom(std::sync::Arc::new(room))))
}

/// What the dashboard reads of a player's battles.
pub mod history {
    use agora_entities::{
        battle::{battle_answer, battle_player, battle_question, battle_room},
        knowledge::question,
    };
    use agora_platform::AppResult;
    use chrono::{DateTime, Utc};
    use sea_orm::{
        ConnectionTrait, FromQueryResult, JoinType,
        sea_query::{Alias, Expr, ExprTrait as _, Query},
    };
    use uuid::Uuid;

    use crate::service::view::ResultView;

    /// A finished battle a user played, with their result.
    #[derive(Debug, Clone, PartialEq)]
    pub struct PlayedBattle {
        /// The room.
        pub room_id: Uuid,
        /// Its join code.
        pub code: String,
        /// Its topic, if it had one.
        pub topic_id: Option<Uuid>,
        /// When it ended.
        pub finished_at: DateTime<Utc>,
        /// Questions played.
        pub question_count: i32,
        /// Their final score.
        pub score: i32,
        /// Their correct answers.
        pub correct_count: i32,
        /// Their final rank (1 for the winner).
        pub rank: Option<i32>,
        /// Players ranked.
        pub players: i32,
    }

    #[derive(FromQueryResult)]
    struct PlayedRow {
        id: Uuid,
        code: String,
        topic_id: Option<Uuid>,
        finished_at: Option<DateTime<Utc>>,
        updated_at: DateTime<Utc>,
        question_count: i32,
        results: Option<String>,
        score: i32,
        correct_count: i32,
    }

    /// `user`'s newest `limit` finished battles, newest first; one statement.
    pub async fn recent<C: ConnectionTrait>(
        db: &C,
        user: Uuid,
        limit: u64,
    ) -> AppResult<Vec<PlayedBattle>> {
        let (r, p) = (Alias::new("r"), Alias::new("p"));
        let statement = Query::select()
            .columns([
                (r.clone(), battle_room::Column::Id),
                (r.clone(), battle_room::Column::Code),
                (r.clone(), battle_room::Column::TopicId),
                (r.clone(), battle_room::Column::FinishedAt),
                (r.clone(), battle_room::Column::UpdatedAt),
                (r.clone(), battle_room::Column::QuestionCount),
                (r.clone(), battle_room::Column::Results),
            ])
            .columns([
                (p.clone(), battle_player::Column::Score),
                (p.clone(), battle_player::Column::CorrectCount),
            ])
            .from_as(battle_player::Entity, p.clone())
            .join_as(
                JoinType::InnerJoin,
                battle_room::Entity,
                r.clone(),
                Expr::col((r.clone(), battle_room::Column::Id))
                    .equals((p.clone(), battle_player::Column::RoomId)),
            )
            .and_where(Expr::col((p, battle_player::Column::UserId)).eq(user))
            .and_where(Expr::col((r.clone(), battle_room::Column::Status)).eq(
                sea_orm::ActiveEnum::to_value(&battle_room::Status::Finished),
            ))
            .order_by(
                (r.clone(), battle_room::Column::FinishedAt),
                sea_orm::Order::Desc,
            )
            .order_by((r, battle_room::Column::Id), sea_orm::Order::Desc)
            .limit(limit)
            .to_owned();
        let rows = PlayedRow::find_by_statement(db.get_database_backend().build(&statement))
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|room| {
                let results: Vec<ResultView> = room
                    .results
                    .as_deref()
                    .and_then(|json| serde_json::from_str(json).ok())
                    .unwrap_or_default();
                PlayedBattle {
                    room_id: room.id,
                    code: room.code,
                    topic_id: room.topic_id,
                    finished_at: room.finished_at.unwrap_or(room.updated_at),
                    question_count: room.question_count,
                    score: room.score,
                    correct_count: room.correct_count,
                    rank: results.iter().find(|r| r.user_id == user).map(|r| r.rank),
                    players: i32::try_from(results.len()).unwrap_or(i32::MAX),
                }
            })
            .collect())
    }

    /// Answers of one user in one topic at one question difficulty.
    #[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
    pub struct AnswerTally {
        /// The question's topic.
        pub topic_id: Uuid,
        /// The question's difficulty (1–5).
        pub difficulty: i16,
        /// Answers given.
        pub attempts: i64,
        /// Of which correct.
        pub correct: i64,
    }

    /// `user`'s battle answers counted by the question's topic and difficulty; one statement.
    pub async fn answers_by_topic<C: ConnectionTrait>(
        db: &C,
        user: Uuid,
    ) -> AppResult<Vec<AnswerTally>> {
        let (a, q, bq) = (Alias::new("a"), Alias::new("q"), Alias::new("bq"));
        let correct = Expr::case(
            Expr::col((a.clone(), battle_answer::Column::Correct)).eq(true),
            1,
        )
        .finally(0);
        let statement = Query::select()
            .expr_as(
                Expr::col((q.clone(), question::Column::TopicId)),
                Alias::new("topic_id"),
            )
            .expr_as(
                Expr::col((q.clone(), question::Column::Difficulty)),
                Alias::new("difficulty"),
            )
            .expr_as(
                Expr::col((a.clone(), battle_answer::Column::UserId)).count(),
                Alias::new("attempts"),
            )
            .expr_as(Expr::expr(correct).sum(), Alias::new("correct"))
            .from_as(battle_answer::Entity, a.clone())
            .join_as(
                JoinType::InnerJoin,
                battle_question::Entity,
                bq.clone(),
                Expr::col((bq.clone(), battle_question::Column::RoomId))
                    .equals((a.clone(), battle_answer::Column::RoomId))
                    .and(
                        Expr::col((bq.clone(), battle_question::Column::Position))
                            .equals((a.clone(), battle_answer::Column::Position)),
                    ),
            )
            .join_as(
                JoinType::InnerJoin,
                question::Entity,
                q.clone(),
                Expr::col((q.clone(), question::Column::Id))
                    .equals((bq.clone(), battle_question::Column::QuestionId)),
            )
            .and_where(Expr::col((a.clone(), battle_answer::Column::UserId)).eq(user))
            .group_by_col((q.clone(), question::Column::TopicId))
            .group_by_col((q, question::Column::Difficulty))
            .to_owned();
        Ok(
            AnswerTally::find_by_statement(db.get_database_backend().build(&statement))
                .all(db)
                .await?,
        )
    }
}
