//! A learner's own topics and their syllabus.
//!
//! - Topics form a private hierarchy (at most [`MAX_DEPTH`] levels, [`MAX_TOPICS`] per
//!   learner), each optionally linked to a public topic; moving a topic under its own
//!   descendant is refused. Deleting a topic deletes its subtopics and their syllabus items.
//! - A syllabus is the ordered list of items of one of the learner's topics (at most
//!   [`MAX_ITEMS`]); an item may link an article and a public topic, and is done or not.
//!   Progress is done items over items.
//! - Evidence for `completeTopic`: a done item counts for a public topic when it links that
//!   topic (or its own topic links it) and was marked done on a later local day than it was
//!   made (so making an item and ticking it at once proves nothing, as with cards).

use agora_entities::learning::{personal_topic, syllabus_item};
use agora_platform::{AppError, AppResult, Platform, db::begin_write, error::Violations};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// Deepest nesting of a learner's topics.
pub(crate) const MAX_DEPTH: usize = 5;
/// Most topics one learner keeps.
pub(crate) const MAX_TOPICS: u64 = 500;
/// Most items one syllabus holds.
pub(crate) const MAX_ITEMS: u64 = 200;
/// Longest topic name.
pub(crate) const MAX_NAME: usize = 120;
/// Longest item title.
pub(crate) const MAX_TITLE: usize = 200;

fn text(value: &str, field: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!(
                "`{}` is 1 to {max} characters",
                field.rsplit('.').next().unwrap_or(field)
            ),
        ));
    }
    Ok(value.to_owned())
}

/// `user`'s topic `id`; `NOT_FOUND` for anyone else's.
pub(crate) async fn own_topic<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    id: Uuid,
) -> AppResult<personal_topic::Model> {
    personal_topic::Entity::find_by_id(id)
        .filter(personal_topic::Column::OwnerId.eq(user))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such topic of yours".into()))
}

/// `user`'s syllabus item `id`; `NOT_FOUND` for anyone else's.
pub(crate) async fn own_item<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    id: Uuid,
) -> AppResult<syllabus_item::Model> {
    syllabus_item::Entity::find_by_id(id)
        .filter(syllabus_item::Column::OwnerId.eq(user))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such syllabus item".into()))
}

async fn public_topic<C: ConnectionTrait>(db: &C, id: Uuid, field: &str) -> AppResult<()> {
    agora_knowledge::api::topics::find(db, id)
        .await
        .map(|_| ())
        .map_err(|err| match err {
            AppError::NotFound(_) => AppError::bad_input(field, "no such topic"),
            other => other,
        })
}

/// The chain of `id`'s ancestors among `user`'s topics, nearest first (`id` itself first).
async fn ancestry<C: ConnectionTrait>(db: &C, user: Uuid, id: Uuid) -> AppResult<Vec<Uuid>> {
    let mut chain = vec![id];
    let mut at = own_topic(db, user, id).await?;
    while let Some(parent) = at.parent_id {
        if chain.contains(&parent) || chain.len() > MAX_DEPTH + 1 {
            break;
        }
        chain.push(parent);
        at = own_topic(db, user, parent).await?;
    }
    Ok(chain)
}

/// What a topic is made or changed with; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub(crate) struct TopicInput {
    /// 1–120 characters.
    pub name: Option<String>,
    /// A parent among the learner's topics (`Some(None)`: to the top).
    pub parent: Option<Option<Uuid>>,
    /// A public topic to follow (`Some(None)`: unlink).
    pub linked: Option<Option<Uuid>>,
}

async fn check_parent<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    parent: Uuid,
    moving: Option<Uuid>,
) -> AppResult<()> {
    let chain = ancestry(db, user, parent).await.map_err(|err| match err {
        AppError::NotFound(_) => AppError::bad_input("input.parentId", "no such topic of yours"),
        other => other,
    })?;
    if moving.is_some_and(|id| chain.contains(&id)) {
        return Err(AppError::bad_input(
            "input.parentId",
            "a topic cannot move under itself or its own subtopics",
        ));
    }
    if chain.len() >= MAX_DEPTH {
        return Err(AppError::bad_input(
            "input.parentId",
            format!("topics nest at most {MAX_DEPTH} deep"),
        ));
    }
    Ok(())
}

/// Creates one of `user`'s topics.
pub(crate) async fn create_topic(
    platform: &Platform,
    user: Uuid,
    input: TopicInput,
) -> AppResult<personal_topic::Model> {
    let db = &platform.db;
    let mut problems = Violations::default();
    let name = problems.check(text(
        input.name.as_deref().unwrap_or_default(),
        "input.name",
        MAX_NAME,
    ));
    let parent = input.parent.flatten();
    if let Some(parent) = parent {
        problems.check(check_parent(db, user, parent, None).await);
    }
    let linked = input.linked.flatten();
    if let Some(linked) = linked {
        problems.check(public_topic(db, linked, "input.linkedTopicId").await);
    }
    problems.finish()?;
    let held = personal_topic::Entity::find()
        .filter(personal_topic::Column::OwnerId.eq(user))
        .count(db)
        .await?;
    if held >= MAX_TOPICS {
        return Err(AppError::Conflict(format!(
            "you keep {MAX_TOPICS} topics, the most one learner may; delete some first"
        )));
    }
    let now = platform.clock.now();
    let model = personal_topic::Model {
        id: Uuid::now_v7(),
        owner_id: user,
        parent_id: parent,
        name: name.unwrap_or_default(),
        linked_topic_id: linked,
        created_at: now,
        updated_at: now,
    };
    personal_topic::Entity::insert(model.clone().into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(model)
}

/// Changes one of `user`'s topics.
pub(crate) async fn update_topic(
    platform: &Platform,
    user: Uuid,
    id: Uuid,
    input: TopicInput,
) -> AppResult<personal_topic::Model> {
    let db = &platform.db;
    let topic = own_topic(db, user, id).await?;
    let mut problems = Violations::default();
    let name = input
        .name
        .as_deref()
        .and_then(|name| problems.check(text(name, "input.name", MAX_NAME)));
    if let Some(Some(parent)) = input.parent {
        problems.check(check_parent(db, user, parent, Some(id)).await);
    }
    if let Some(Some(linked)) = input.linked {
        problems.check(public_topic(db, linked, "input.linkedTopicId").await);
    }
    problems.finish()?;
    let mut active = topic.into_active_model();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(parent) = input.parent {
        active.parent_id = Set(parent);
    }
    if let Some(linked) = input.linked {
        active.linked_topic_id = Set(linked);
    }
    active.updated_at = Set(platform.clock.now());
    Ok(active.update(db).await?)
}

/// Deletes one of `user`'s topics with its subtopics and their items.
pub(crate) async fn delete_topic(platform: &Platform, user: Uuid, id: Uuid) -> AppResult<()> {
    let deleted = personal_topic::Entity::delete_many()
        .filter(personal_topic::Column::Id.eq(id))
        .filter(personal_topic::Column::OwnerId.eq(user))
        .exec(&platform.db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound("no such topic of yours".into()));
    }
    Ok(())
}

/// `user`'s topics under `parent` (the top ones with `None`), by name.
pub(crate) async fn topics<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    parent: Option<Uuid>,
) -> AppResult<Vec<personal_topic::Model>> {
    let select = personal_topic::Entity::find().filter(personal_topic::Column::OwnerId.eq(user));
    let select = match parent {
        Some(parent) => select.filter(personal_topic::Column::ParentId.eq(parent)),
        None => select.filter(personal_topic::Column::ParentId.is_null()),
    };
    Ok(select
        .order_by_asc(personal_topic::Column::Name)
        .order_by_asc(personal_topic::Column::Id)
        .all(db)
        .await?)
}

/// The items of topic `id`, in order.
pub(crate) async fn items<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> AppResult<Vec<syllabus_item::Model>> {
    Ok(syllabus_item::Entity::find()
        .filter(syllabus_item::Column::PersonalTopicId.eq(id))
        .order_by_asc(syllabus_item::Column::Position)
        .order_by_asc(syllabus_item::Column::Id)
        .all(db)
        .await?)
}

/// What an item is made or changed with; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub(crate) struct ItemInput {
    /// 1–200 characters.
    pub title: Option<String>,
    /// Its place (0 = first); beyond the end goes last.
    pub position: Option<i32>,
    /// Done or not.
    pub done: Option<bool>,
    /// An article to read for it (`Some(None)`: unlink).
    pub article: Option<Option<Uuid>>,
    /// A public topic it covers (`Some(None)`: unlink).
    pub linked: Option<Option<Uuid>>,
}

async fn check_item_links<C: ConnectionTrait>(
    db: &C,
    input: &ItemInput,
    problems: &mut Violations,
) {
    if let Some(Some(article)) = input.article {
        let found = agora_knowledge::api::article_reads::exists(db, article).await;
        match found {
            Ok(true) => {}
            Ok(false) => problems.add(AppError::bad_input(
                "input.linkedArticleId",
                "no such article",
            )),
            Err(err) => problems.add(err),
        }
    }
    if let Some(Some(linked)) = input.linked {
        problems.check(public_topic(db, linked, "input.linkedTopicId").await);
    }
}

/// Puts `item` at `position` among `siblings` (which do not hold it) and renumbers them all
/// from 0; writes the positions that changed.
async fn place<C: ConnectionTrait>(
    db: &C,
    mut siblings: Vec<syllabus_item::Model>,
    item: Uuid,
    position: Option<i32>,
) -> AppResult<i32> {
    siblings.retain(|s| s.id != item);
    let at = position
        .map_or(siblings.len(), |p| usize::try_from(p.max(0)).unwrap_or(0))
        .min(siblings.len());
    let mut order: Vec<Uuid> = siblings.iter().map(|s| s.id).collect();
    order.insert(at.min(order.len()), item);
    for (index, id) in order.iter().enumerate() {
        let index = i32::try_from(index).unwrap_or(i32::MAX);
        let unchanged = siblings.iter().any(|s| s.id == *id && s.position == index);
        if *id != item && !unchanged {
            syllabus_item::Entity::update_many()
                .col_expr(
                    syllabus_item::Column::Position,
                    sea_orm::sea_query::Expr::value(index),
                )
                .filter(syllabus_item::Column::Id.eq(*id))
                .exec(db)
                .await?;
        }
    }
    Ok(i32::try_from(at).unwrap_or(i32::MAX))
}

/// Adds an item to the syllabus of `user`'s topic `topic`.
pub(crate) async fn add_item(
    platform: &Platform,
    user: Uuid,
    topic: Uuid,
    input: ItemInput,
) -> AppResult<syllabus_item::Model> {
    let db = &platform.db;
    own_topic(db, user, topic).await.map_err(|err| match err {
        AppError::NotFound(_) => AppError::bad_input("input.topicId", "no such topic of yours"),
        other => other,
    })?;
    let mut problems = Violations::default();
    let title = problems.check(text(
        input.title.as_deref().unwrap_or_default(),
        "input.title",
        MAX_TITLE,
    ));
    check_item_links(db, &input, &mut problems).await;
    problems.finish()?;
    let txn = begin_write(db).await?;
    let siblings = items(&txn, topic).await?;
    if siblings.len() as u64 >= MAX_ITEMS {
        return Err(AppError::Conflict(format!(
            "a syllabus holds at most {MAX_ITEMS} items"
        )));
    }
    let now = platform.clock.now();
    let id = Uuid::now_v7();
    let position = place(&txn, siblings, id, input.position).await?;
    let model = syllabus_item::Model {
        id,
        personal_topic_id: topic,
        owner_id: user,
        title: title.unwrap_or_default(),
        position,
        done_at: input.done.unwrap_or(false).then_some(now),
        linked_article_id: input.article.flatten(),
        linked_topic_id: input.linked.flatten(),
        created_at: now,
        updated_at: now,
    };
    syllabus_item::Entity::insert(model.clone().into_active_model())
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(model)
}

/// Changes one of `user`'s items.
pub(crate) async fn update_item(
    platform: &Platform,
    user: Uuid,
    id: Uuid,
    input: ItemInput,
) -> AppResult<syllabus_item::Model> {
    let db = &platform.db;
    let item = own_item(db, user, id).await?;
    let mut problems = Violations::default();
    let title = input
        .title
        .as_deref()
        .and_then(|title| problems.check(text(title, "input.title", MAX_TITLE)));
    check_item_links(db, &input, &mut problems).await;
    problems.finish()?;
    let now = platform.clock.now();
    let txn = begin_write(db).await?;
    let mut active = item.clone().into_active_model();
    if let Some(position) = input.position {
        let siblings = items(&txn, item.personal_topic_id).await?;
        active.position = Set(place(&txn, siblings, id, Some(position)).await?);
    }
    if let Some(title) = title {
        active.title = Set(title);
    }
    match input.done {
        Some(true) if item.done_at.is_none() => active.done_at = Set(Some(now)),
        Some(false) => active.done_at = Set(None),
        _ => {}
    }
    if let Some(article) = input.article {
        active.linked_article_id = Set(article);
    }
    if let Some(linked) = input.linked {
        active.linked_topic_id = Set(linked);
    }
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes one of `user`'s items; the rest close up.
pub(crate) async fn delete_item(platform: &Platform, user: Uuid, id: Uuid) -> AppResult<()> {
    let item = own_item(&platform.db, user, id).await?;
    let txn = begin_write(&platform.db).await?;
    syllabus_item::Entity::delete_by_id(id).exec(&txn).await?;
    let rest = items(&txn, item.personal_topic_id).await?;
    for (index, sibling) in rest.iter().enumerate() {
        let index = i32::try_from(index).unwrap_or(i32::MAX);
        if sibling.position != index {
            syllabus_item::Entity::update_many()
                .col_expr(
                    syllabus_item::Column::Position,
                    sea_orm::sea_query::Expr::value(index),
                )
                .filter(syllabus_item::Column::Id.eq(sibling.id))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// `user`'s done items that count as evidence for public topic `topic`: linked to it
/// directly or through their own topic, done on a later local day than made (`later` says
/// whether two instants fall on different local days, in order).
pub(crate) async fn evidence<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    topic: Uuid,
    later: impl Fn(DateTime<Utc>, DateTime<Utc>) -> bool,
) -> AppResult<usize> {
    let own: Vec<Uuid> = personal_topic::Entity::find()
        .select_only()
        .column(personal_topic::Column::Id)
        .filter(personal_topic::Column::OwnerId.eq(user))
        .filter(personal_topic::Column::LinkedTopicId.eq(topic))
        .into_tuple()
        .all(db)
        .await?;
    let mut linked = sea_orm::Condition::any().add(syllabus_item::Column::LinkedTopicId.eq(topic));
    if !own.is_empty() {
        linked = linked.add(syllabus_item::Column::PersonalTopicId.is_in(own));
    }
    let done = syllabus_item::Entity::find()
        .filter(syllabus_item::Column::OwnerId.eq(user))
        .filter(syllabus_item::Column::DoneAt.is_not_null())
        .filter(linked)
        .all(db)
        .await?;
    Ok(done
        .iter()
        .filter(|item| item.done_at.is_some_and(|at| later(item.created_at, at)))
        .count())
}
