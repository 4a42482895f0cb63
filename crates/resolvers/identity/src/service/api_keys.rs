//! API keys: creation with role-checked scopes, listing, revocation, authentication.

use agora_entities::identity::{api_key, user};
use agora_platform::{
    AppError, AppResult, Platform,
    auth::{ApiScope, KeyViewer, Role, Viewer, secret},
};
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

use super::role_of;
use crate::events::{Revocation, announce};

/// Start of every key, so leaked keys are easy to spot (and to scan for).
pub(crate) const KEY_PREFIX: &str = "agk_";
const PREFIX_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// Most keys one user may hold (live ones).
pub(crate) const MAX_KEYS_PER_USER: usize = 50;

/// A key just created: the secret (shown once) and its record.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// The whole key, e.g. `agk_3f9a1c2b_...`.
    pub secret: String,
    /// The stored record.
    pub key: api_key::Model,
}

/// The scopes stored on a key.
pub(crate) fn scopes_of(key: &api_key::Model) -> Vec<ApiScope> {
    key.scopes
        .as_array()
        .map(|values| {
            values
                .iter()
                .filter_map(|v| v.as_str().and_then(ApiScope::parse))
                .collect()
        })
        .unwrap_or_default()
}

/// Creates a key for `owner` with `scopes`; each scope needs the role [`ApiScope::min_role`]
/// names. `station_id` binds a device key to one station.
pub async fn create(
    platform: &Platform,
    owner: Uuid,
    owner_role: Role,
    name: &str,
    scopes: &[ApiScope],
    station_id: Option<Uuid>,
) -> AppResult<CreatedKey> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_input(
            "input.name",
            "name must be 1 to 100 characters",
        ));
    }
    if scopes.is_empty() {
        return Err(AppError::bad_input(
            "input.scopes",
            "give the key at least one scope",
        ));
    }
    // A device key is bound to a station and may only push its readings: held together with
    // any other scope it would carry its creator's (admin) rights to wherever it leaks.
    if scopes.contains(&ApiScope::SensorsWrite)
        && scopes.iter().any(|s| *s != ApiScope::SensorsWrite)
    {
        return Err(AppError::bad_input(
            "input.scopes",
            "SENSORS_WRITE cannot be combined with another scope: create a separate key",
        ));
    }
    if let Some(scope) = scopes.iter().find(|s| owner_role < s.min_role()) {
        return Err(AppError::Forbidden(format!(
            "creating {} keys needs the {} role",
            scope.as_str(),
            scope.min_role().as_str()
        )));
    }
    let live = api_key::Entity::find()
        .filter(api_key::Column::OwnerId.eq(owner))
        .filter(api_key::Column::RevokedAt.is_null())
        .all(&platform.db)
        .await?;
    if live.len() >= MAX_KEYS_PER_USER {
        return Err(AppError::Conflict(format!(
            "you already hold {MAX_KEYS_PER_USER} live keys; revoke one first"
        )));
    }
    let mut unique: Vec<ApiScope> = Vec::new();
    for scope in scopes {
        if !unique.contains(scope) {
            unique.push(*scope);
        }
    }
    let visible = format!("{KEY_PREFIX}{}", secret::random_code(8, PREFIX_ALPHABET));
    let full = format!("{visible}_{}", secret::random_token());
    let key = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_id: Set(owner),
        name: Set(name.to_owned()),
        prefix: Set(visible),
        secret_hash: Set(secret::digest(&full)),
        scopes: Set(serde_json::json!(
            unique.iter().map(|s| s.as_str()).collect::<Vec<_>>()
        )),
        station_id: Set(station_id),
        created_at: Set(platform.clock.now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        operation_count: Set(0),
        error_count: Set(0),
    }
    .insert(&platform.db)
    .await?;
    Ok(CreatedKey { secret: full, key })
}

/// The viewer's own keys, newest first (revoked ones included, marked).
pub(crate) async fn list(platform: &Platform, owner: Uuid) -> AppResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::OwnerId.eq(owner))
        .order_by_desc(api_key::Column::CreatedAt)
        .all(&platform.db)
        .await?)
}

/// Revokes a key; its owner or an admin may. False if it was already revoked.
pub(crate) async fn revoke(platform: &Platform, viewer: &Viewer, key_id: Uuid) -> AppResult<bool> {
    let key = api_key::Entity::find_by_id(key_id)
        .one(&platform.db)
        .await?
        .filter(|k| viewer.is_self_or_admin(k.owner_id))
        .ok_or_else(|| AppError::NotFound("no such API key".into()))?;
    let result = api_key::Entity::update_many()
        .col_expr(
            api_key::Column::RevokedAt,
            Expr::value(platform.clock.now()),
        )
        .filter(api_key::Column::Id.eq(key.id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(&platform.db)
        .await?;
    let revoked = result.rows_affected > 0;
    if revoked {
        announce(platform, Revocation::ApiKey { key_id: key.id }).await;
    }
    Ok(revoked)
}

/// Turns an `X-Api-Key` value into a viewer; unknown or revoked keys are `UNAUTHENTICATED`.
pub(crate) async fn authenticate(platform: &Platform, presented: &str) -> AppResult<Viewer> {
    let invalid = || AppError::Unauthenticated("API key is invalid".into());
    if !presented.starts_with(KEY_PREFIX) || presented.len() > 200 {
        return Err(invalid());
    }
    let Some((key, Some(owner))) = api_key::Entity::find()
        .filter(api_key::Column::SecretHash.eq(secret::digest(presented)))
        .find_also_related(user::Entity)
        .one(&platform.db)
        .await?
    else {
        return Err(invalid());
    };
    if key.revoked_at.is_some() {
        return Err(AppError::Unauthenticated("API key has been revoked".into()));
    }
    let now = platform.clock.now();
    // Touch last_used_at at most once a minute: a write per request would cost more than the
    // request itself.
    if key
        .last_used_at
        .is_none_or(|at| now - at > Duration::minutes(1))
    {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(key.id))
            .exec(&platform.db)
            .await?;
    }
    let scopes = scopes_of(&key);
    // Only admins create PARTNER keys, but a partner must not read with an admin's rights: such
    // a key acts for nobody (see `Viewer::is_partner`), and its owner's role is capped as well.
    let partner = scopes.contains(&ApiScope::Partner);
    let owner_role = match role_of(&owner)? {
        role if partner => role.min(Role::Learner),
        role => role,
    };
    Ok(Viewer::ApiKey(KeyViewer {
        key_id: key.id,
        owner_id: owner.id,
        owner_role,
        scopes,
        station_id: key.station_id,
        client: partner.then(|| key.name.clone()),
    }))
}
