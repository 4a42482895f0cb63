//! The topic tree: create, rename, move (never under its own descendant), delete with content
//! reassignment.

use agora_entities::knowledge::{article, question, topic};
use agora_platform::{AppError, AppResult, Platform, db::begin_write, error::on_unique_violation};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use super::validation::normalize_slug;

const SLUG_TAKEN: &str = "a sibling topic already uses this slug";

/// Fields of a new topic.
#[derive(Debug, Clone)]
pub(crate) struct NewTopic {
    /// Display name, 1–120 characters.
    pub name: String,
    /// URL name; derived from the name when absent.
    pub slug: Option<String>,
    /// Parent; None for a root.
    pub parent_id: Option<Uuid>,
    /// One-sentence description.
    pub description: Option<String>,
}

/// Changes to a topic; `None` leaves a field as it is. `parent_id: Some(None)` makes it a root.
#[derive(Debug, Clone, Default)]
pub(crate) struct TopicChanges {
    /// New name.
    pub name: Option<String>,
    /// New slug.
    pub slug: Option<String>,
    /// New parent.
    pub parent_id: Option<Option<Uuid>>,
    /// New description.
    pub description: Option<String>,
}

fn check_name(name: &str, field: &str) -> AppResult<String> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > 120 {
        return Err(AppError::bad_input(
            field,
            "name must be 1 to 120 characters",
        ));
    }
    Ok(name.to_owned())
}

/// Loads a topic or fails with `NOT_FOUND`.
pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<topic::Model> {
    topic::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such topic".into()))
}

async fn parent_for<C: ConnectionTrait>(
    db: &C,
    parent_id: Option<Uuid>,
    field: &str,
) -> AppResult<Option<topic::Model>> {
    match parent_id {
        None => Ok(None),
        Some(id) => topic::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(Some)
            .ok_or_else(|| AppError::bad_input(field, "the parent topic does not exist")),
    }
}

fn path_under(parent: Option<&topic::Model>, slug: &str) -> String {
    match parent {
        Some(parent) => format!("{}/{slug}", parent.path),
        None => slug.to_owned(),
    }
}

/// Creates a topic.
pub(crate) async fn create(platform: &Platform, input: NewTopic) -> AppResult<topic::Model> {
    let name = check_name(&input.name, "input.name")?;
    let slug = normalize_slug(input.slug.as_deref().unwrap_or(&name), "input.slug")?;
    let parent = parent_for(&platform.db, input.parent_id, "input.parentId").await?;
    let now = platform.clock.now();
    topic::ActiveModel {
        id: Set(Uuid::now_v7()),
        parent_id: Set(parent.as_ref().map(|p| p.id)),
        path: Set(path_under(parent.as_ref(), &slug)),
        slug: Set(slug),
        name: Set(name),
        description: Set(input
            .description
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())),
        position: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&platform.db)
    .await
    .map_err(|e| on_unique_violation(e, SLUG_TAKEN))
}

/// Renames or moves a topic; its descendants' paths follow.
pub(crate) async fn update(
    platform: &Platform,
    id: Uuid,
    changes: TopicChanges,
) -> AppResult<topic::Model> {
    let txn = begin_write(&platform.db).await?;
    let current = find(&txn, id).await?;
    let old_path = current.path.clone();
    let parent = match changes.parent_id {
        Some(parent_id) => {
            if parent_id == Some(id) {
                return Err(AppError::bad_input(
                    "input.parentId",
                    "a topic cannot be its own parent",
                ));
            }
            let parent = parent_for(&txn, parent_id, "input.parentId").await?;
            if parent
                .as_ref()
                .is_some_and(|p| p.path.starts_with(&format!("{old_path}/")))
            {
                return Err(AppError::bad_input(
                    "input.parentId",
                    "a topic cannot move under one of its own descendants",
                ));
            }
            parent
        }
        None => parent_for(&txn, current.parent_id, "input.parentId").await?,
    };
    let slug = match &changes.slug {
        Some(slug) => normalize_slug(slug, "input.slug")?,
        None => current.slug.clone(),
    };
    let new_path = path_under(parent.as_ref(), &slug);
    let now = platform.clock.now();
    let mut active: topic::ActiveModel = current.into();
    if let Some(name) = &changes.name {
        active.name = Set(check_name(name, "input.name")?);
    }
    if let Some(description) = changes.description {
        active.description = Set(Some(description.trim().to_owned()).filter(|d| !d.is_empty()));
    }
    active.parent_id = Set(parent.as_ref().map(|p| p.id));
    active.slug = Set(slug);
    active.path = Set(new_path.clone());
    active.updated_at = Set(now);
    let updated = active
        .update(&txn)
        .await
        .map_err(|e| on_unique_violation(e, SLUG_TAKEN))?;
    if new_path != old_path {
        let descendants = topic::Entity::find()
            .filter(topic::Column::Path.starts_with(format!("{old_path}/")))
            .all(&txn)
            .await?;
        for descendant in descendants {
            let moved = format!("{new_path}{}", &descendant.path[old_path.len()..]);
            let mut active: topic::ActiveModel = descendant.into();
            active.path = Set(moved);
            active.updated_at = Set(now);
            active
                .update(&txn)
                .await
                .map_err(|e| on_unique_violation(e, SLUG_TAKEN))?;
        }
    }
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a topic. A topic with subtopics is refused; one with questions or articles is
/// refused unless `reassign_to` names another topic (not a descendant) to move them to.
pub(crate) async fn delete(
    platform: &Platform,
    id: Uuid,
    reassign_to: Option<Uuid>,
) -> AppResult<()> {
    let txn = begin_write(&platform.db).await?;
    let current = find(&txn, id).await?;
    let children = topic::Entity::find()
        .filter(topic::Column::ParentId.eq(id))
        .count(&txn)
        .await?;
    if children > 0 {
        return Err(AppError::Conflict(format!(
            "the topic has {children} subtopic(s); move or delete them first"
        )));
    }
    let questions = question::Entity::find()
        .filter(question::Column::TopicId.eq(id))
        .count(&txn)
        .await?;
    let articles = article::Entity::find()
        .filter(article::Column::TopicId.eq(id))
        .count(&txn)
        .await?;
    if questions + articles > 0 {
        let Some(target) = reassign_to else {
            return Err(AppError::Conflict(format!(
                "the topic still has {questions} question(s) and {articles} article(s); pass reassignTo to move them"
            )));
        };
        if target == id {
            return Err(AppError::bad_input(
                "reassignTo",
                "reassign to another topic",
            ));
        }
        let target = parent_for(&txn, Some(target), "reassignTo")
            .await?
            .ok_or_else(|| {
                AppError::bad_input("reassignTo", "the topic to reassign to does not exist")
            })?;
        question::Entity::update_many()
            .col_expr(question::Column::TopicId, Expr::value(target.id))
            .filter(question::Column::TopicId.eq(id))
            .exec(&txn)
            .await?;
        article::Entity::update_many()
            .col_expr(article::Column::TopicId, Expr::value(target.id))
            .filter(article::Column::TopicId.eq(id))
            .exec(&txn)
            .await?;
    }
    topic::Entity::delete_by_id(current.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Children of `parent_id` (roots when None), in display order.
pub(crate) async fn children(
    platform: &Platform,
    parent_id: Option<Uuid>,
) -> AppResult<Vec<topic::Model>> {
    let select = match parent_id {
        Some(parent) => topic::Entity::find().filter(topic::Column::ParentId.eq(parent)),
        None => topic::Entity::find().filter(topic::Column::ParentId.is_null()),
    };
    Ok(select
        .order_by_asc(topic::Column::Position)
        .order_by_asc(topic::Column::Name)
        .all(&platform.db)
        .await?)
}

/// A topic by path (`science/physics`) or, failing that, by a slug that only one topic has.
pub async fn by_slug(platform: &Platform, slug: &str) -> AppResult<Option<topic::Model>> {
    let slug = slug.trim().to_lowercase();
    if let Some(found) = topic::Entity::find()
        .filter(topic::Column::Path.eq(slug.as_str()))
        .one(&platform.db)
        .await?
    {
        return Ok(Some(found));
    }
    let mut matches = topic::Entity::find()
        .filter(topic::Column::Slug.eq(slug.as_str()))
        .all(&platform.db)
        .await?;
    match matches.len() {
        0 => Ok(None),
        1 => Ok(matches.pop()),
        _ => Err(AppError::bad_input(
            "slug",
            "several topics use this slug; give the full path, e.g. parent/child",
        )),
    }
}

/// Ids of `topic` and every topic below it.
pub async fn subtree_ids<C: ConnectionTrait>(db: &C, root: &topic::Model) -> AppResult<Vec<Uuid>> {
    let below = topic::Entity::find()
        .filter(topic::Column::Path.starts_with(format!("{}/", root.path)))
        .all(db)
        .await?;
    Ok(std::iter::once(root.id)
        .chain(below.into_iter().map(|t| t.id))
        .collect())
}
