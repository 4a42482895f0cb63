//! Single-use, expiring, hashed tokens sent by mail: password reset and e-mail verification.

use agora_entities::identity::{
    one_time_token::{self, Purpose},
    user,
};
use agora_platform::{AppError, AppResult, Platform, auth::secret, db::begin_write, mail::Mail};
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use super::{accounts, find_user, policy};

/// How long a token of `purpose` is valid.
fn lifetime(purpose: Purpose) -> Duration {
    match purpose {
        Purpose::PasswordReset => Duration::hours(1),
        Purpose::EmailVerification => Duration::hours(24),
    }
}

async fn issue(platform: &Platform, user_id: Uuid, purpose: Purpose) -> AppResult<String> {
    let now = platform.clock.now();
    let token = secret::random_token();
    one_time_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        purpose: Set(purpose),
        token_hash: Set(secret::digest(&token)),
        created_at: Set(now),
        expires_at: Set(now + lifetime(purpose)),
        used_at: Set(None),
    }
    .insert(&platform.db)
    .await?;
    Ok(token)
}

/// Sends `user` a link to confirm their address.
pub(crate) async fn send_email_verification(
    platform: &Platform,
    user: &user::Model,
) -> AppResult<()> {
    let token = issue(platform, user.id, Purpose::EmailVerification).await?;
    platform
        .mail
        .send(Mail {
            to: user.email.clone(),
            subject: "Confirm your Agora e-mail address".into(),
            body: format!(
                "Hello {},\n\nconfirm your address within 24 hours:\n{}/verify-email?token={token}\n",
                user.display_name, platform.config.server.public_url
            ),
        })
        .await
}

/// Sends a reset link if the address has an account; says nothing either way.
pub(crate) async fn request_password_reset(platform: &Platform, email: &str) -> AppResult<()> {
    let Ok(email) = policy::normalize_email(email, "email") else {
        return Ok(());
    };
    let Some(user) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&platform.db)
        .await?
    else {
        return Ok(());
    };
    let token = issue(platform, user.id, Purpose::PasswordReset).await?;
    platform
        .mail
        .send(Mail {
            to: user.email.clone(),
            subject: "Reset your Agora password".into(),
            body: format!(
                "Hello {},\n\nset a new password within 1 hour:\n{}/reset-password?token={token}\n\nIf you did not ask for this, ignore this message.\n",
                user.display_name, platform.config.server.public_url
            ),
        })
        .await
}

/// Uses a token of `purpose` once; returns its user id, or `BAD_USER_INPUT` on `field` when it
/// is unknown, used, or expired.
async fn consume(
    platform: &Platform,
    token: &str,
    purpose: Purpose,
    field: &str,
) -> AppResult<Uuid> {
    let now = platform.clock.now();
    let invalid = || AppError::bad_input(field, "this link is invalid, used or expired");
    let txn = begin_write(&platform.db).await?;
    let stored = one_time_token::Entity::find()
        .filter(one_time_token::Column::TokenHash.eq(secret::digest(token)))
        .filter(one_time_token::Column::Purpose.eq(purpose))
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    if stored.expires_at <= now {
        return Err(invalid());
    }
    let claimed = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::Id.eq(stored.id))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(invalid());
    }
    txn.commit().await?;
    Ok(stored.user_id)
}

/// Sets a new password with a reset token; ends every session of the account.
pub(crate) async fn reset_password(
    platform: &Platform,
    token: &str,
    new_password: &str,
) -> AppResult<()> {
    // Check the policy first so a weak password does not burn the token.
    policy::check_password(new_password, None, "newPassword")?;
    let user_id = consume(platform, token, Purpose::PasswordReset, "token").await?;
    let user = find_user(&platform.db, user_id).await?;
    policy::check_password(new_password, Some(&user.email), "newPassword")?;
    accounts::set_password(platform, user, new_password, None).await
}

/// Marks the address of the token's user as verified.
pub(crate) async fn verify_email(platform: &Platform, token: &str) -> AppResult<user::Model> {
    let user_id = consume(platform, token, Purpose::EmailVerification, "token").await?;
    let user = find_user(&platform.db, user_id).await?;
    if user.email_verified_at.is_some() {
        return Ok(user);
    }
    let mut active: user::ActiveModel = user.into();
    active.email_verified_at = Set(Some(platform.clock.now()));
    Ok(active.update(&platform.db).await?)
}
