//! Levels, their words, and a learner's place: the level chosen and the highest unlocked.

use std::collections::HashMap;

use agora_entities::literacy::{learner, level, word, word_progress};
use agora_platform::{AppError, AppResult, Platform, db::begin_write};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

/// Every level, in order.
pub(crate) async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<level::Model>> {
    Ok(level::Entity::find()
        .order_by_asc(level::Column::Number)
        .all(db)
        .await?)
}

/// Level `id`, or `NOT_FOUND`.
pub(crate) async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<level::Model> {
    level::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such level".into()))
}

/// Word `id`, or `NOT_FOUND`.
pub(crate) async fn word<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<word::Model> {
    word::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such word".into()))
}

/// Words of `level` after position `after`, at most `limit`, in order.
pub(crate) async fn words_page<C: ConnectionTrait>(
    db: &C,
    level: Uuid,
    after: Option<i32>,
    limit: u64,
) -> AppResult<Vec<word::Model>> {
    let mut select = word::Entity::find().filter(word::Column::LevelId.eq(level));
    if let Some(after) = after {
        select = select.filter(word::Column::Position.gt(after));
    }
    Ok(select
        .order_by_asc(word::Column::Position)
        .limit(limit)
        .all(db)
        .await?)
}

/// Words in each of `only` levels (every level with `None`), one grouped read.
pub(crate) async fn word_counts<C: ConnectionTrait>(
    db: &C,
    only: Option<&[Uuid]>,
) -> AppResult<HashMap<Uuid, i64>> {
    #[derive(Debug, FromQueryResult)]
    struct CountRow {
        level_id: Uuid,
        words: Option<i64>,
    }
    let mut select = word::Entity::find()
        .select_only()
        .column(word::Column::LevelId)
        .column_as(Expr::col(word::Column::Id).count(), "words")
        .group_by(word::Column::LevelId);
    if let Some(ids) = only {
        select = select.filter(word::Column::LevelId.is_in(ids.iter().copied()));
    }
    Ok(select
        .into_model::<CountRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.level_id, r.words.unwrap_or(0)))
        .collect())
}

/// Words in `level`.
pub(crate) async fn word_count<C: ConnectionTrait>(db: &C, level: Uuid) -> AppResult<u64> {
    Ok(word::Entity::find()
        .filter(word::Column::LevelId.eq(level))
        .count(db)
        .await?)
}

/// Words of `level` that `user` mastered.
pub(crate) async fn mastered_count<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    level: Uuid,
) -> AppResult<u64> {
    Ok(word_progress::Entity::find()
        .filter(word_progress::Column::UserId.eq(user))
        .filter(word_progress::Column::LevelId.eq(level))
        .filter(word_progress::Column::MasteredAt.is_not_null())
        .count(db)
        .await?)
}

/// `user`'s place, created at level 1 on first use (a learner starts at level 1).
pub(crate) async fn learner<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<learner::Model> {
    learner::Entity::insert(learner::ActiveModel {
        user_id: Set(user),
        current_level: Set(1),
        unlocked_level: Set(1),
        streak_days: Set(0),
        longest_streak: Set(0),
        last_practice_date: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict_do_nothing_on([learner::Column::UserId])
    .exec(db)
    .await?;
    learner::Entity::find_by_id(user)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("learner row vanished"))
}

/// `user`'s place if they have one (read-only callers: no row means level 1, nothing yet).
pub(crate) async fn learner_if_any<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
) -> AppResult<Option<learner::Model>> {
    Ok(learner::Entity::find_by_id(user).one(db).await?)
}

/// `FORBIDDEN` unless `level` is unlocked for `place`.
pub(crate) fn require_unlocked(place: &learner::Model, level: &level::Model) -> AppResult<()> {
    if level.number > place.unlocked_level {
        return Err(AppError::Forbidden(format!(
            "level {} is locked: pass the mock test of level {} first",
            level.number, place.unlocked_level
        )));
    }
    Ok(())
}

/// `chooseLevel`: practise `level_id` from now on; it must be unlocked.
pub(crate) async fn choose(
    platform: &Platform,
    user: Uuid,
    level_id: Uuid,
) -> AppResult<learner::Model> {
    let txn = begin_write(&platform.db).await?;
    let now = platform.clock.now();
    let level = find(&txn, level_id).await?;
    let place = learner(&txn, user, now).await?;
    require_unlocked(&place, &level)?;
    learner::Entity::update_many()
        .col_expr(learner::Column::CurrentLevel, level.number.into())
        .col_expr(learner::Column::UpdatedAt, now.into())
        .filter(learner::Column::UserId.eq(user))
        .exec(&txn)
        .await?;
    let place = learner(&txn, user, now).await?;
    txn.commit().await?;
    Ok(place)
}

/// Level number `number`, or `NOT_FOUND`.
pub(crate) async fn by_number<C: ConnectionTrait>(db: &C, number: i32) -> AppResult<level::Model> {
    level::Entity::find()
        .filter(level::Column::Number.eq(number))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no level {number}")))
}
