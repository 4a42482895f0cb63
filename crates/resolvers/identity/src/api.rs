//! What the server and other domains may ask of identity.

use agora_entities::identity::user;
use agora_platform::{AppError, AppResult, Platform, auth::Viewer};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

pub use crate::events::{REVOCATIONS_CHANNEL, Revocation};
pub use crate::service::accounts::{create_or_promote_admin, ensure_account};
pub use crate::service::api_keys::{CreatedKey, create as create_api_key};
pub use crate::service::key_usage::KeyUsage;
use crate::service::{api_keys, sessions};
pub use crate::types::{ApiKey, CreatedApiKey};

/// Credentials as they arrived with a request.
#[derive(Debug, Clone, Default)]
pub struct Credentials<'a> {
    /// The `Authorization` header (or `authorization` of a WebSocket `connection_init`).
    pub authorization: Option<&'a str>,
    /// The `X-Api-Key` header (or `apiKey` of a `connection_init`).
    pub api_key: Option<&'a str>,
}

/// Resolves credentials into a viewer. No credentials is anonymous; any invalid, expired or
/// revoked credential is `UNAUTHENTICATED`, never silently anonymous.
pub async fn authenticate(platform: &Platform, credentials: Credentials<'_>) -> AppResult<Viewer> {
    match (credentials.authorization, credentials.api_key) {
        (Some(_), Some(_)) => Err(AppError::Unauthenticated(
            "send either a bearer token or an API key, not both".into(),
        )),
        (Some(header), None) => {
            let token = header
                .strip_prefix("Bearer ")
                .or_else(|| header.strip_prefix("bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    AppError::Unauthenticated("Authorization must be `Bearer <token>`".into())
                })?;
            sessions::authenticate_bearer(platform, token).await
        }
        (None, Some(key)) => api_keys::authenticate(platform, key.trim()).await,
        (None, None) => Ok(Viewer::Anonymous),
    }
}

/// When the bearer token in `authorization` expires, if it is a valid one.
pub fn access_token_expiry(
    platform: &Platform,
    authorization: &str,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let token = authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))?
        .trim();
    let claims = platform.jwt.verify(token, platform.clock.now()).ok()?;
    chrono::DateTime::from_timestamp(claims.exp, 0)
}

pub use crate::{
    events::{UserChannelMessage, user_channel},
    loaders::UserLoader,
    types::{USER_TYPE, User},
};

/// Adds identity's per-request DataLoaders to `data`.
pub fn insert_loaders(data: &mut async_graphql::Data, platform: &Platform) {
    data.insert(agora_platform::loader::batched(
        crate::loaders::user_loader(platform.db.clone()),
    ));
}

/// A user by id through the request's [`UserLoader`] (batched with every other user field of
/// the response); for other domains' `author`, `reviewer`, `player` fields.
pub async fn load_user(
    ctx: &async_graphql::Context<'_>,
    id: Uuid,
) -> async_graphql::Result<Option<User>> {
    use agora_platform::context::ContextExt;
    let found = ctx
        .loader::<UserLoader>()?
        .load_one(id)
        .await
        .map_err(AppError::Internal)?;
    Ok(found.map(User::new))
}

/// Loads users by id (for DataLoaders and `node`).
pub async fn users_by_ids(platform: &Platform, ids: &[Uuid]) -> AppResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(&platform.db)
        .await?)
}

/// The IANA time zone of each user in `ids` that exists (gamification counts days in it).
pub async fn time_zones<C: sea_orm::ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    use sea_orm::{DbBackend, FromQueryResult, QuerySelect, Statement};
    let mut zones = std::collections::HashMap::with_capacity(ids.len());
    if db.get_database_backend() == DbBackend::Postgres {
        #[derive(FromQueryResult)]
        struct Zone {
            id: Uuid,
            time_zone: String,
        }
        let rows = Zone::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id, time_zone FROM users WHERE id = ANY($1)",
            [ids.to_vec().into()],
        ))
        .all(db)
        .await?;
        zones.extend(rows.into_iter().map(|z| (z.id, z.time_zone)));
        return Ok(zones);
    }
    // A thousand ids per statement: far below every backend's parameter limit.
    for chunk in ids.chunks(1_000) {
        let rows: Vec<(Uuid, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::TimeZone)
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        zones.extend(rows);
    }
    Ok(zones)
}

/// Where and how to address a user: what notifications need to write to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserContact {
    /// The user.
    pub id: Uuid,
    /// Normalised e-mail address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Whether the address is confirmed.
    pub email_verified: bool,
}

/// The addresses and names of `ids`, read on `db` (a transaction of the caller's, if it has
/// one) a thousand per statement; users that do not exist are absent.
pub async fn user_contacts<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, UserContact>> {
    let mut contacts = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1_000) {
        for u in user::Entity::find()
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            contacts.insert(
                u.id,
                UserContact {
                    id: u.id,
                    email: u.email,
                    display_name: u.display_name,
                    email_verified: u.email_verified_at.is_some(),
                },
            );
        }
    }
    Ok(contacts)
}

/// The outbox handlers identity contributes.
pub fn outbox_handlers() -> Vec<std::sync::Arc<dyn agora_platform::outbox::OutboxHandler>> {
    vec![std::sync::Arc::new(crate::events::UserChannelPublisher)]
}
