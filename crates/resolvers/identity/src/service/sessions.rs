//! Sign-in: login with lockout, rotating refresh tokens with reuse detection, logout, and
//! turning credentials back into a [`Viewer`].

use agora_entities::identity::{login_attempt, refresh_token, session, user};
use agora_events::UserSignedIn;
use agora_platform::{
    AppError, AppResult, Platform,
    auth::{UserViewer, Viewer, password, secret},
    db::begin_write,
    outbox::{self, NewEvent},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::{policy, role_of};
use crate::events::{Revocation, announce};

/// Failed logins within [`LOCKOUT_WINDOW_MINUTES`] that lock an address.
pub(crate) const LOCKOUT_FAILURES: usize = 5;
/// The lockout window.
pub(crate) const LOCKOUT_WINDOW_MINUTES: i64 = 15;

/// Why a session ended.
pub(crate) use agora_entities::identity::session::RevokeReason;

/// What a successful sign-in or refresh hands back.
#[derive(Debug, Clone)]
pub(crate) struct IssuedSession {
    /// JWT access token.
    pub access_token: String,
    /// Opaque refresh token (shown once).
    pub refresh_token: String,
    /// Access-token lifetime in seconds.
    pub expires_in: i64,
    /// The user.
    pub user: user::Model,
}

fn invalid_credentials() -> AppError {
    // One message for unknown e-mail and wrong password: no user enumeration.
    AppError::Unauthenticated("e-mail or password is incorrect".into())
}

/// Signs in with e-mail and password.
pub(crate) async fn login(
    platform: &Platform,
    email: &str,
    password_attempt: &str,
) -> AppResult<IssuedSession> {
    let db = &platform.db;
    let now = platform.clock.now();
    // A malformed address cannot match an account; treat it like an unknown one.
    let email = policy::normalize_email(email, "input.email")
        .unwrap_or_else(|_| email.trim().to_lowercase());
    check_lockout(db, &email, now).await?;

    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let verified = match &found {
        Some(user) => {
            password::verify(password_attempt.to_owned(), user.password_hash.clone()).await?
        }
        None => password::verify_decoy(password_attempt.to_owned()).await?,
    };
    record_attempt(db, &email, verified, now).await?;
    match found {
        Some(user) if verified => start_session(platform, user).await,
        _ => {
            metrics::counter!("agora_login_failures_total").increment(1);
            Err(invalid_credentials())
        }
    }
}

/// Records a password check against `email` for the lockout: sign-ins and password changes.
pub(crate) async fn record_attempt<C: ConnectionTrait>(
    db: &C,
    email: &str,
    succeeded: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    login_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.to_owned()),
        succeeded: Set(succeeded),
        attempted_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Refuses sign-in while the address has [`LOCKOUT_FAILURES`] failures in the window since its
/// last success; says when to retry.
pub(crate) async fn check_lockout<C: ConnectionTrait>(
    db: &C,
    email: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let window_start = now - Duration::minutes(LOCKOUT_WINDOW_MINUTES);
    let recent = login_attempt::Entity::find()
        .filter(login_attempt::Column::Email.eq(email))
        .filter(login_attempt::Column::AttemptedAt.gt(window_start))
        .order_by_desc(login_attempt::Column::AttemptedAt)
        .limit(LOCKOUT_FAILURES as u64 + 1)
        .all(db)
        .await?;
    let failures: Vec<_> = recent.iter().take_while(|a| !a.succeeded).collect();
    if failures.len() >= LOCKOUT_FAILURES {
        // Unlocks when the fifth most recent failure leaves the window.
        let unlock_at =
            failures[LOCKOUT_FAILURES - 1].attempted_at + Duration::minutes(LOCKOUT_WINDOW_MINUTES);
        let retry_after_secs = (unlock_at - now).num_seconds().max(1) as u64;
        return Err(AppError::RateLimited {
            message: format!(
                "too many failed sign-ins for this address; try again in {} minute(s)",
                retry_after_secs.div_ceil(60)
            ),
            retry_after_secs,
        });
    }
    Ok(())
}

/// Opens a session for `user` and issues its first token pair.
pub(crate) async fn start_session(
    platform: &Platform,
    user: user::Model,
) -> AppResult<IssuedSession> {
    let now = platform.clock.now();
    let txn = begin_write(&platform.db).await?;
    let session_id = Uuid::now_v7();
    session::ActiveModel {
        id: Set(session_id),
        user_id: Set(user.id),
        created_at: Set(now),
        revoked_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    let refresh = insert_refresh_token(platform, &txn, session_id, now).await?;
    let signed_in = UserSignedIn { user_id: user.id };
    outbox::enqueue(&txn, now, NewEvent::of(user.id, &signed_in)?).await?;
    txn.commit().await?;
    platform.wake_outbox();
    issue(platform, user, session_id, refresh, now)
}

async fn insert_refresh_token<C: ConnectionTrait>(
    platform: &Platform,
    db: &C,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let token = secret::random_token();
    let ttl =
        Duration::from_std(platform.config.auth.refresh_token_ttl).map_err(AppError::internal)?;
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(secret::digest(&token)),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

fn issue(
    platform: &Platform,
    user: user::Model,
    session_id: Uuid,
    refresh_token: String,
    now: DateTime<Utc>,
) -> AppResult<IssuedSession> {
    Ok(IssuedSession {
        access_token: platform.jwt.issue(user.id, session_id, now)?,
        refresh_token,
        expires_in: platform.jwt.ttl().as_secs() as i64,
        user,
    })
}

/// Exchanges a refresh token for a new pair. A token used twice revokes its whole session.
pub(crate) async fn refresh(platform: &Platform, token: &str) -> AppResult<IssuedSession> {
    let now = platform.clock.now();
    let invalid = || AppError::Unauthenticated("refresh token is invalid".into());
    let txn = begin_write(&platform.db).await?;
    let Some((stored, Some(session))) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(secret::digest(token)))
        .find_also_related(session::Entity)
        .one(&txn)
        .await?
    else {
        return Err(invalid());
    };
    if session.revoked_at.is_some() {
        return Err(AppError::Unauthenticated(
            "this session has been revoked; sign in again".into(),
        ));
    }
    // Claim the token atomically: of two concurrent uses, exactly one wins.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(stored.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        revoke(&txn, session.id, RevokeReason::RefreshTokenReuse, now).await?;
        txn.commit().await?;
        announce(
            platform,
            Revocation::Session {
                session_id: session.id,
            },
        )
        .await;
        tracing::warn!(session_id = %session.id, user_id = %session.user_id, "refresh token reuse; session revoked");
        return Err(AppError::Unauthenticated(
            "refresh token was already used; the session has been revoked for safety".into(),
        ));
    }
    if stored.expires_at <= now {
        return Err(AppError::Unauthenticated(
            "refresh token has expired; sign in again".into(),
        ));
    }
    let user = super::find_user(&txn, session.user_id)
        .await
        .map_err(|_| invalid())?;
    let refresh = insert_refresh_token(platform, &txn, session.id, now).await?;
    txn.commit().await?;
    issue(platform, user, session.id, refresh, now)
}

/// Ends the session of `token`; false when the token is unknown or its session already ended.
pub(crate) async fn logout(platform: &Platform, token: &str) -> AppResult<bool> {
    let now = platform.clock.now();
    let Some(stored) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(secret::digest(token)))
        .one(&platform.db)
        .await?
    else {
        return Ok(false);
    };
    let revoked = revoke(&platform.db, stored.session_id, RevokeReason::Logout, now).await?;
    if revoked {
        announce(
            platform,
            Revocation::Session {
                session_id: stored.session_id,
            },
        )
        .await;
    }
    Ok(revoked)
}

/// Revokes one session; true if it was live.
pub(crate) async fn revoke<C: ConnectionTrait>(
    db: &C,
    session_id: Uuid,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let result = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Revokes every live session of `user_id` except `keep`.
pub(crate) async fn revoke_all<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    keep: Option<Uuid>,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(session::Column::Id.ne(keep));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Turns a bearer access token into a viewer: signature and expiry, then the session must be
/// live and the role is read fresh from the user row.
pub(crate) async fn authenticate_bearer(platform: &Platform, token: &str) -> AppResult<Viewer> {
    let claims = platform.jwt.verify(token, platform.clock.now())?;
    let Some((session, Some(user))) = session::Entity::find_by_id(claims.sid)
        .find_also_related(user::Entity)
        .one(&platform.db)
        .await?
    else {
        return Err(AppError::Unauthenticated(
            "access token names no live session".into(),
        ));
    };
    if session.revoked_at.is_some() {
        return Err(AppError::Unauthenticated(
            "this session has been revoked; sign in again".into(),
        ));
    }
    if user.id != claims.sub {
        return Err(AppError::Unauthenticated("access token is invalid".into()));
    }
    Ok(Viewer::User(UserViewer {
        user_id: user.id,
        role: role_of(&user)?,
        session_id: session.id,
    }))
}
