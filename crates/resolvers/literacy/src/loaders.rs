//! Literacy's DataLoaders: levels by id, and the viewer's standing on every level (read once
//! per request however many levels a response shows).

use std::{collections::HashMap, sync::Arc};

use agora_entities::literacy::{learner, level, word, word_progress};
use agora_platform::{
    Platform,
    loader::{ByIdLoader, LoadError},
};
use async_graphql::{Data, dataloader::Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::service::progress::{self, LevelProgress};

/// Levels by id.
pub(crate) type LevelLoader = ByIdLoader<level::Entity>;

/// One learner's place and standing on every level.
#[derive(Debug, Clone)]
pub(crate) struct Standing {
    /// Their place, if they practised or chose a level.
    pub place: Option<learner::Model>,
    /// Every level with their standing, in order.
    pub levels: Vec<(level::Model, LevelProgress)>,
}

/// [`Standing`] by user id.
pub(crate) struct StandingLoader(DatabaseConnection);

impl Loader<Uuid> for StandingLoader {
    type Value = Arc<Standing>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let mut map = HashMap::with_capacity(keys.len());
        for user in keys {
            let (place, levels) = progress::all(&self.0, *user)
                .await
                .map_err(|e| format!("loading literacy standing: {}", e.log_message()))?;
            map.insert(*user, Arc::new(Standing { place, levels }));
        }
        Ok(map)
    }
}

/// One learner's record on each word, by (user, word).
pub(crate) struct WordProgressLoader(DatabaseConnection);

impl Loader<(Uuid, Uuid)> for WordProgressLoader {
    type Value = word_progress::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, Uuid)],
    ) -> Result<HashMap<(Uuid, Uuid), Self::Value>, LoadError> {
        let mut by_user: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (user, word) in keys {
            by_user.entry(*user).or_default().push(*word);
        }
        let mut map = HashMap::with_capacity(keys.len());
        for (user, words) in by_user {
            let rows = word_progress::Entity::find()
                .filter(word_progress::Column::UserId.eq(user))
                .filter(word_progress::Column::WordId.is_in(words))
                .all(&self.0)
                .await
                .map_err(|e| format!("loading word progress: {e}"))?;
            map.extend(rows.into_iter().map(|r| ((r.user_id, r.word_id), r)));
        }
        Ok(map)
    }
}

/// Words in a level, by level id: one grouped count for every level a response shows.
pub(crate) struct WordCountLoader(DatabaseConnection);

impl Loader<Uuid> for WordCountLoader {
    type Value = i64;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, i64>, LoadError> {
        crate::service::levels::word_counts(&self.0, Some(keys))
            .await
            .map_err(|e| format!("counting level words: {}", e.log_message()))
    }
}

/// Words by id.
pub(crate) type WordLoader = ByIdLoader<word::Entity>;

/// Adds literacy's per-request DataLoaders to `data`.
pub(crate) fn insert(data: &mut Data, platform: &Platform) {
    let db = platform.db.clone();
    data.insert(agora_platform::loader::batched(LevelLoader::new(
        db.clone(),
        level::Column::Id,
        |l: &level::Model| l.id,
    )));
    data.insert(agora_platform::loader::batched(WordLoader::new(
        db.clone(),
        word::Column::Id,
        |w: &word::Model| w.id,
    )));
    data.insert(agora_platform::loader::batched(StandingLoader(db.clone())));
    data.insert(agora_platform::loader::batched(WordCountLoader(db.clone())));
    data.insert(agora_platform::loader::batched(WordProgressLoader(db)));
}
