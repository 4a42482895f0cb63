//! The achievement catalog and each user's progress toward it.

use std::collections::HashMap;

use agora_entities::gamification::{achievement, user_achievement, user_progress};
use agora_platform::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::metric;

/// The catalog, in display order.
pub(crate) async fn catalog<C: ConnectionTrait>(db: &C) -> AppResult<Vec<achievement::Model>> {
    Ok(achievement::Entity::find()
        .order_by_asc(achievement::Column::Position)
        .all(db)
        .await?)
}

/// One achievement as one user stands toward it.
#[derive(Debug, Clone)]
pub(crate) struct Standing {
    /// The achievement.
    pub achievement: achievement::Model,
    /// When it was unlocked, if it was.
    pub unlocked_at: Option<DateTime<Utc>>,
    /// The watched counter's value, capped at the target.
    pub progress: i64,
}

/// Every achievement of the catalog with `user`'s progress.
pub(crate) async fn standings<C: ConnectionTrait>(db: &C, user: Uuid) -> AppResult<Vec<Standing>> {
    let catalog = catalog(db).await?;
    let unlocked: HashMap<String, DateTime<Utc>> = user_achievement::Entity::find()
        .filter(user_achievement::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.achievement_key, u.unlocked_at))
        .collect();
    let progress = user_progress::Entity::find_by_id(user).one(db).await?;
    let mut values: HashMap<String, i64> = progress
        .as_ref()
        .map(|p| p.stats.0.clone().into_iter().collect())
        .unwrap_or_default();
    values.insert(
        metric::LEVEL.into(),
        progress.as_ref().map_or(1, |p| i64::from(p.level)),
    );
    values.insert(
        metric::LONGEST_STREAK.into(),
        progress.as_ref().map_or(0, |p| i64::from(p.longest_streak)),
    );
    Ok(catalog
        .into_iter()
        .map(|a| {
            let unlocked_at = unlocked.get(&a.key).copied();
            let value = values.get(&a.metric).copied().unwrap_or(0);
            let progress = if unlocked_at.is_some() {
                a.target
            } else {
                value.min(a.target)
            };
            Standing {
                achievement: a,
                unlocked_at,
                progress,
            }
        })
        .collect())
}
