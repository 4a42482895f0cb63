//! Rooms: create, join, leave, kick, start, quick match, listings, presence.

use std::collections::BTreeMap;

use agora_entities::{
    battle::{battle_player, battle_question, battle_room},
    knowledge::{ContentStatus, question, topic},
};
use agora_knowledge::api::topics;
use agora_platform::{
    AppError, AppResult, Platform,
    db::begin_write,
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};
use chrono::{DateTime, Utc};

use crate::BattleSettings;
use rand::seq::SliceRandom;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{
    BattleEventKind, BattleStatus, PLAYERS, Phase, QUESTIONS, SECONDS, new_code, normalize_code,
    play::{self, cancel, lock_room, open_question, touched},
    view::{self, EventView},
};

/// Settings of a new room.
#[derive(Debug, Clone)]
pub(crate) struct NewRoom {
    /// Questions come from this topic and its subtopics (any published question when None).
    pub topic_id: Option<Uuid>,
    /// 1–50.
    pub question_count: i32,
    /// 5–120.
    pub seconds_per_question: i32,
    /// 2–50.
    pub max_players: i32,
    /// Hidden from listings and quick match.
    pub is_private: bool,
    /// May start with one player.
    pub allow_solo: bool,
}

impl Default for NewRoom {
    fn default() -> Self {
        Self {
            topic_id: None,
            question_count: 10,
            seconds_per_question: 20,
            max_players: 8,
            is_private: false,
            allow_solo: false,
        }
    }
}

fn within(value: i32, range: &std::ops::RangeInclusive<i32>, field: &str) -> AppResult<()> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(AppError::bad_input(
            field,
            format!("{field} must be {} to {}", range.start(), range.end()),
        ))
    }
}

/// Published questions (id, difficulty) a room on `topic_id` draws from.
async fn pool<C: ConnectionTrait>(db: &C, topic_id: Option<Uuid>) -> AppResult<Vec<(Uuid, i16)>> {
    let mut select = question::Entity::find()
        .select_only()
        .column(question::Column::Id)
        .column(question::Column::Difficulty)
        .filter(question::Column::Status.eq(ContentStatus::Published));
    if let Some(topic_id) = topic_id {
        let root = topic::Entity::find_by_id(topic_id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::bad_input("input.topicId", "no such topic"))?;
        select =
            select.filter(question::Column::TopicId.is_in(topics::subtree_ids(db, &root).await?));
    }
    Ok(select.into_tuple().all(db).await?)
}

/// Draws `count` distinct questions, fair across difficulty: shuffled within each difficulty,
/// then taken round-robin over the difficulties, so every level is as present as the pool
/// allows; the order is shuffled once more.
pub(crate) fn draw(pool: &[(Uuid, i16)], count: usize) -> Vec<Uuid> {
    let mut rng = rand::rng();
    let mut by_level: BTreeMap<i16, Vec<Uuid>> = BTreeMap::new();
    for (id, level) in pool {
        by_level.entry(*level).or_default().push(*id);
    }
    for ids in by_level.values_mut() {
        ids.shuffle(&mut rng);
    }
    let mut drawn = Vec::with_capacity(count);
    while drawn.len() < count && by_level.values().any(|ids| !ids.is_empty()) {
        for ids in by_level.values_mut() {
            if drawn.len() < count
                && let Some(id) = ids.pop()
            {
                drawn.push(id);
            }
        }
    }
    drawn.shuffle(&mut rng);
    drawn
}

async fn add_player<C: ConnectionTrait>(
    db: &C,
    room_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    match battle_player::Entity::find_by_id((room_id, user_id))
        .one(db)
        .await?
    {
        Some(existing) => {
            let mut active: battle_player::ActiveModel = existing.into();
            active.left_at = Set(None);
            active.joined_at = Set(now);
            active.update(db).await?;
        }
        None => {
            battle_player::ActiveModel {
                room_id: Set(room_id),
                user_id: Set(user_id),
                joined_at: Set(now),
                left_at: Set(None),
                score: Set(0),
                correct_count: Set(0),
                streak: Set(0),
                answer_ms: Set(0),
                connections: Set(0),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

fn idle_deadline(settings: &BattleSettings, since: DateTime<Utc>) -> DateTime<Utc> {
    since + settings.lobby_idle()
}

/// Opens a room with `host` as its first player.
pub(crate) async fn create(
    platform: &Platform,
    settings: &BattleSettings,
    host: Uuid,
    input: NewRoom,
    quick_match: bool,
) -> AppResult<battle_room::Model> {
    within(input.question_count, &QUESTIONS, "input.questionCount")?;
    within(
        input.seconds_per_question,
        &SECONDS,
        "input.secondsPerQuestion",
    )?;
    within(input.max_players, &PLAYERS, "input.maxPlayers")?;
    let txn = begin_write(&platform.db).await?;
    let available = pool(&txn, input.topic_id).await?.len();
    if available < input.question_count as usize {
        return Err(AppError::bad_input(
            "input.questionCount",
            format!("the topic has {available} published question(s); ask for at most that many"),
        ));
    }
    let now = platform.clock.now();
    let mut room = None;
    for _ in 0..5 {
        let code = new_code();
        let taken = battle_room::Entity::find()
            .filter(battle_room::Column::Code.eq(code.as_str()))
            .count(&txn)
            .await?;
        if taken > 0 {
            continue;
        }
        room = Some(
            battle_room::ActiveModel {
                id: Set(Uuid::now_v7()),
                code: Set(code),
                topic_id: Set(input.topic_id),
                host_id: Set(host),
                status: Set(BattleStatus::Lobby.into()),
                phase: Set(Phase::Lobby),
                is_private: Set(input.is_private),
                quick_match: Set(quick_match),
                allow_solo: Set(input.allow_solo),
                question_count: Set(input.question_count),
                seconds_per_question: Set(input.seconds_per_question),
                max_players: Set(input.max_players),
                question_index: Set(-1),
                phase_started_at: Set(None),
                deadline: Set(Some(idle_deadline(settings, now))),
                version: Set(1),
                results: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                started_at: Set(None),
                finished_at: Set(None),
            }
            .insert(&txn)
            .await?,
        );
        break;
    }
    let room = room.ok_or_else(|| AppError::internal("no free room code after 5 tries"))?;
    add_player(&txn, room.id, host, now).await?;
    txn.commit().await?;
    Ok(room)
}

/// Joins `room` (locked) inside `txn`; starts a quick-match lobby when it fills, and arms its
/// start timer when its second player arrives.
async fn join_locked<C: ConnectionTrait>(
    settings: &BattleSettings,
    db: &C,
    room: battle_room::Model,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<(battle_room::Model, Vec<EventView>)> {
    let present = view::present_players(db, room.id).await?;
    if present.iter().any(|p| p.user_id == user_id) {
        return Ok((room, Vec::new()));
    }
    if BattleStatus::from(room.status) != BattleStatus::Lobby {
        return Err(AppError::Conflict("the battle has already started".into()));
    }
    if present.len() as i32 >= room.max_players {
        return Err(AppError::Conflict("the room is full".into()));
    }
    add_player(db, room.id, user_id, now).await?;
    let players = present.len() as i32 + 1;
    let quick = room.quick_match;
    let full = players >= room.max_players;
    let mut active = touched(room, now);
    active.deadline = Set(Some(if quick && players >= 2 {
        now + settings.quick_match_wait()
    } else {
        idle_deadline(settings, now)
    }));
    let room = active.update(db).await?;
    let mut events = vec![EventView {
        kind: BattleEventKind::PlayerJoined,
        room: view::load(db, &room).await?,
        reveal: None,
    }];
    if quick && full {
        let (room, started) = begin(db, room, now).await?;
        events.extend(started);
        return Ok((room, events));
    }
    Ok((room, events))
}

/// Joins the room with `code`.
pub(crate) async fn join(
    platform: &Platform,
    settings: &BattleSettings,
    user_id: Uuid,
    code: &str,
) -> AppResult<battle_room::Model> {
    let code = normalize_code(code)?;
    let txn = begin_write(&platform.db).await?;
    let found = battle_room::Entity::find()
        .filter(battle_room::Column::Code.eq(code))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("no room has that code".into()))?;
    let room = lock_room(&txn, found.id).await?;
    let (room, events) = join_locked(settings, &txn, room, user_id, platform.clock.now()).await?;
    view::publish(platform, &events).await;
    txn.commit().await?;
    Ok(room)
}

/// Draws the questions and opens the first one.
async fn begin<C: ConnectionTrait>(
    db: &C,
    room: battle_room::Model,
    now: DateTime<Utc>,
) -> AppResult<(battle_room::Model, Vec<EventView>)> {
    let available = pool(db, room.topic_id).await?;
    let drawn = draw(&available, room.question_count as usize);
    if drawn.len() < room.question_count as usize {
        return Err(AppError::Conflict(format!(
            "the topic has only {} published question(s) left",
            drawn.len()
        )));
    }
    battle_question::Entity::insert_many(drawn.iter().enumerate().map(|(position, id)| {
        battle_question::ActiveModel {
            room_id: Set(room.id),
            position: Set(position as i32),
            question_id: Set(*id),
        }
    }))
    .exec(db)
    .await?;
    let seconds = room.seconds_per_question;
    let mut active = touched(room, now);
    active.status = Set(BattleStatus::InProgress.into());
    active.started_at = Set(Some(now));
    open_question(&mut active, 0, seconds, now);
    let room = active.update(db).await?;
    let view = view::load(db, &room).await?;
    let events = vec![
        EventView {
            kind: BattleEventKind::Started,
            room: view.clone(),
            reveal: None,
        },
        EventView {
            kind: BattleEventKind::QuestionStarted,
            room: view,
            reveal: None,
        },
    ];
    Ok((room, events))
}

/// Starts the battle (the host; two players unless the room allows solo).
pub(crate) async fn start(
    platform: &Platform,
    user_id: Uuid,
    room_id: Uuid,
) -> AppResult<battle_room::Model> {
    let txn = begin_write(&platform.db).await?;
    let room = lock_room(&txn, room_id).await?;
    play::require_player(&txn, room_id, user_id).await?;
    if room.host_id != user_id {
        return Err(AppError::Forbidden(
            "only the host starts the battle".into(),
        ));
    }
    if BattleStatus::from(room.status) != BattleStatus::Lobby {
        return Err(AppError::Conflict(
            "the battle has already started or ended".into(),
        ));
    }
    let players = view::present_players(&txn, room_id).await?.len();
    if players < 2 && !room.allow_solo {
        return Err(AppError::Conflict(
            "at least 2 players are needed (or create the room with allowSolo)".into(),
        ));
    }
    let (room, events) = begin(&txn, room, platform.clock.now()).await?;
    view::publish(platform, &events).await;
    txn.commit().await?;
    Ok(room)
}

/// Removes `user_id` from the room: the host's role passes to the longest-present player; a
/// room left empty is cancelled.
async fn remove<C: ConnectionTrait>(
    db: &C,
    room: battle_room::Model,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Vec<EventView>> {
    let player = play::require_player(db, room.id, user_id).await?;
    let mut active: battle_player::ActiveModel = player.into();
    active.left_at = Set(Some(now));
    active.connections = Set(0);
    active.update(db).await?;
    let remaining = view::present_players(db, room.id).await?;
    let status = BattleStatus::from(room.status);
    if remaining.is_empty() && matches!(status, BattleStatus::Lobby | BattleStatus::InProgress) {
        return cancel(db, room, now).await;
    }
    let host_left = room.host_id == user_id;
    let mut active = touched(room, now);
    if host_left && let Some(next) = remaining.first() {
        active.host_id = Set(next.user_id);
    }
    let room = active.update(db).await?;
    Ok(vec![EventView {
        kind: BattleEventKind::PlayerLeft,
        room: view::load(db, &room).await?,
        reveal: None,
    }])
}

/// Leaves a room.
pub(crate) async fn leave(platform: &Platform, user_id: Uuid, room_id: Uuid) -> AppResult<()> {
    let txn = begin_write(&platform.db).await?;
    let room = lock_room(&txn, room_id).await?;
    let events = remove(&txn, room, user_id, platform.clock.now()).await?;
    view::publish(platform, &events).await;
    txn.commit().await?;
    Ok(())
}

/// Removes another player (the host only).
pub(crate) async fn kick(
    platform: &Platform,
    host: Uuid,
    room_id: Uuid,
    user_id: Uuid,
) -> AppResult<battle_room::Model> {
    let txn = begin_write(&platform.db).await?;
    let room = lock_room(&txn, room_id).await?;
    if room.host_id != host {
        return Err(AppError::Forbidden("only the host removes players".into()));
    }
    if user_id == host {
        return Err(AppError::bad_input(
            "userId",
            "the host leaves with leaveBattleRoom",
        ));
    }
    battle_player::Entity::find_by_id((room_id, user_id))
        .one(&txn)
        .await?
        .filter(|p| p.left_at.is_none())
        .ok_or_else(|| AppError::bad_input("userId", "that user is not in the room"))?;
    let events = remove(&txn, room, user_id, platform.clock.now()).await?;
    let room = battle_room::Entity::find_by_id(room_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal("room vanished"))?;
    view::publish(platform, &events).await;
    txn.commit().await?;
    Ok(room)
}

/// Joins the fullest open public quick-match lobby for the topic, or opens one.
pub(crate) async fn quick_match(
    platform: &Platform,
    settings: &BattleSettings,
    user_id: Uuid,
    topic_id: Option<Uuid>,
) -> AppResult<battle_room::Model> {
    let txn = begin_write(&platform.db).await?;
    let now = platform.clock.now();
    let mut select = battle_room::Entity::find()
        .filter(battle_room::Column::Status.eq(battle_room::Status::Lobby))
        .filter(battle_room::Column::QuickMatch.eq(true))
        .filter(battle_room::Column::IsPrivate.eq(false));
    select = match topic_id {
        Some(t) => select.filter(battle_room::Column::TopicId.eq(t)),
        None => select.filter(battle_room::Column::TopicId.is_null()),
    };
    let lobbies = select.all(&txn).await?;
    let mut best: Option<(usize, battle_room::Model)> = None;
    for lobby in lobbies {
        let players = view::present_players(&txn, lobby.id).await?;
        if players.iter().any(|p| p.user_id == user_id) {
            txn.commit().await?;
            return Ok(lobby);
        }
        let n = players.len();
        if (n as i32) < lobby.max_players && best.as_ref().is_none_or(|(m, _)| n > *m) {
            best = Some((n, lobby));
        }
    }
    if let Some((_, lobby)) = best {
        let room = lock_room(&txn, lobby.id).await?;
        let (room, events) = join_locked(settings, &txn, room, user_id, now).await?;
        view::publish(platform, &events).await;
        txn.commit().await?;
        return Ok(room);
    }
    drop(txn);
    create(
        platform,
        settings,
        user_id,
        NewRoom {
            topic_id,
            ..NewRoom::default()
        },
        true,
    )
    .await
}

/// A lobby's deadline passed: a quick-match lobby with two or more players starts; any other
/// lobby was idle too long and is cancelled.
pub(crate) async fn lobby_due<C: ConnectionTrait>(
    settings: &BattleSettings,
    db: &C,
    room: battle_room::Model,
    now: DateTime<Utc>,
) -> AppResult<Vec<EventView>> {
    let players = view::present_players(db, room.id).await?.len();
    let idle_since = room.updated_at;
    if room.quick_match && players >= 2 {
        match begin(db, room.clone(), now).await {
            Ok((_, events)) => return Ok(events),
            Err(e) => {
                tracing::warn!(room = %room.id, error = e.log_message(), "quick match could not start")
            }
        }
    }
    if now - idle_since >= settings.lobby_idle() || players == 0 {
        return cancel(db, room, now).await;
    }
    // Not idle yet (activity moved the clock): look again at the idle deadline.
    let mut active: battle_room::ActiveModel = room.into();
    active.deadline = Set(Some(idle_deadline(settings, idle_since)));
    active.update(db).await?;
    Ok(Vec::new())
}

/// A room by id.
pub(crate) async fn find<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> AppResult<Option<battle_room::Model>> {
    Ok(battle_room::Entity::find_by_id(id).one(db).await?)
}

/// A room as `viewer` may see it: any room to a signed-in user, a private one only to its
/// players; None when unknown or hidden.
pub(crate) async fn visible(
    platform: &Platform,
    viewer: Uuid,
    id: Uuid,
) -> AppResult<Option<view::RoomView>> {
    let Some(room) = find(&platform.db, id).await? else {
        return Ok(None);
    };
    let room = view::load(&platform.db, &room).await?;
    Ok((!room.is_private || room.has_player(viewer)).then_some(room))
}

/// Public lobbies, newest first (at most 50), optionally of one topic.
pub(crate) async fn open_rooms(
    platform: &Platform,
    topic_id: Option<Uuid>,
) -> AppResult<Vec<battle_room::Model>> {
    let mut select = battle_room::Entity::find()
        .filter(battle_room::Column::Status.eq(battle_room::Status::Lobby))
        .filter(battle_room::Column::IsPrivate.eq(false));
    if let Some(t) = topic_id {
        select = select.filter(battle_room::Column::TopicId.eq(t));
    }
    Ok(select
        .order_by_desc(battle_room::Column::CreatedAt)
        .limit(50)
        .all(&platform.db)
        .await?)
}

/// Rooms the user played in (or is in), newest first.
pub(crate) async fn mine(
    platform: &Platform,
    user_id: Uuid,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<battle_room::Model>> {
    let rooms = sea_orm::sea_query::Query::select()
        .column(battle_player::Column::RoomId)
        .from(battle_player::Entity)
        .and_where(Expr::col(battle_player::Column::UserId).eq(user_id))
        .to_owned();
    fetch_time_page(
        &platform.db,
        battle_room::Entity::find().filter(battle_room::Column::Id.in_subquery(rooms)),
        (battle_room::Column::CreatedAt, battle_room::Column::Id),
        Order::Desc,
        page,
        |r| TimeCursor {
            t: r.created_at,
            id: r.id,
        },
    )
    .await
}

/// A subscription of `user_id` to the room opened (+1) or closed (−1). Closing may let a
/// question end early (everyone still connected has answered).
pub(crate) async fn presence(
    platform: &Platform,
    settings: &BattleSettings,
    room_id: Uuid,
    user_id: Uuid,
    delta: i32,
) -> AppResult<()> {
    battle_player::Entity::update_many()
        .col_expr(
            battle_player::Column::Connections,
            Expr::col(battle_player::Column::Connections).add(delta),
        )
        .filter(battle_player::Column::RoomId.eq(room_id))
        .filter(battle_player::Column::UserId.eq(user_id))
        .filter(battle_player::Column::Connections.gte(if delta < 0 { 1 } else { 0 }))
        .exec(&platform.db)
        .await?;
    if delta < 0 {
        play::advance(platform, settings, room_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draw_is_distinct_and_even_across_difficulty() {
        let pool: Vec<(Uuid, i16)> = (0..30)
            .map(|i| (Uuid::now_v7(), (i % 3 + 1) as i16))
            .chain((0..2).map(|_| (Uuid::now_v7(), 5)))
            .collect();
        let level = |id: &Uuid| pool.iter().find(|(q, _)| q == id).expect("in pool").1;
        for _ in 0..20 {
            let drawn = draw(&pool, 8);
            assert_eq!(drawn.len(), 8);
            let distinct: std::collections::HashSet<_> = drawn.iter().collect();
            assert_eq!(distinct.len(), 8, "never repeated");
            let mut per_level = BTreeMap::new();
            for id in &drawn {
                *per_level.entry(level(id)).or_insert(0) += 1;
            }
            // Four levels, eight questions: two of each, the scarce level included.
            assert_eq!(per_level.into_values().collect::<Vec<_>>(), [2, 2, 2, 2]);
        }
        // A pool smaller than asked gives all it has.
        assert_eq!(draw(&pool[..3], 8).len(), 3);
    }
}
