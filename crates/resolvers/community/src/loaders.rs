//! The contributor workflow's DataLoaders.

use std::collections::HashMap;

use agora_entities::community::submission_review;
use agora_platform::{Platform, loader::LoadError};
use async_graphql::{Data, dataloader::Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// Every vote on a submission, oldest first, by submission id.
pub(crate) struct ReviewsLoader(DatabaseConnection);

impl Loader<Uuid> for ReviewsLoader {
    type Value = Vec<submission_review::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = submission_review::Entity::find()
            .filter(submission_review::Column::SubmissionId.is_in(keys.iter().copied()))
            .order_by_asc(submission_review::Column::CreatedAt)
            .order_by_asc(submission_review::Column::Id)
            .all(&self.0)
            .await
            .map_err(|e| format!("loading reviews: {e}"))?;
        let mut map: HashMap<Uuid, Self::Value> = HashMap::new();
        for row in rows {
            map.entry(row.submission_id).or_default().push(row);
        }
        Ok(map)
    }
}

/// Adds the contributor workflow's per-request DataLoaders to `data`.
pub fn insert_loaders(data: &mut Data, platform: &Platform) {
    data.insert(agora_platform::loader::batched(ReviewsLoader(
        platform.db.clone(),
    )));
}
