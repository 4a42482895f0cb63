//! Identity mutations: thin wrappers over [`crate::service`].

use agora_platform::{
    AppError,
    auth::{Role, Viewer},
    context::ContextExt,
    ids,
};
use async_graphql::{Context, ID, Object, Result};

use crate::{
    service::{accounts, api_keys, one_time, sessions},
    types::{
        API_KEY_TYPE, ApiKey, AuthPayload, ChangePasswordInput, CreateApiKeyInput, CreatedApiKey,
        LoginInput, RegisterInput, USER_TYPE, UpdateProfileInput, User,
    },
};

/// Identity's mutation root.
#[derive(Default)]
pub struct IdentityMutation;

/// Identity's mutation root.
#[Object]
impl IdentityMutation {
    /// Creates an account and signs in. The first account of an empty database is an ADMIN.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account: its e-mail address, password and display name.")]
        input: RegisterInput,
    ) -> Result<AuthPayload> {
        let account = accounts::NewAccount {
            email: input.email,
            password: input.password,
            display_name: input.display_name,
        };
        Ok(AuthPayload(
            accounts::register(ctx.platform()?, account).await?,
        ))
    }

    /// Signs in. Five failures within 15 minutes lock the address for the rest of the window.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's e-mail address and password.")] input: LoginInput,
    ) -> Result<AuthPayload> {
        Ok(AuthPayload(
            sessions::login(ctx.platform()?, &input.email, &input.password).await?,
        ))
    }

    /// Exchanges a refresh token for a new pair; reusing a token revokes its whole session.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token to exchange; it works once.")] refresh_token: String,
    ) -> Result<AuthPayload> {
        Ok(AuthPayload(
            sessions::refresh(ctx.platform()?, &refresh_token).await?,
        ))
    }

    /// Ends the session of a refresh token (its access tokens stop working at once). False when
    /// the token is unknown or already ended.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A refresh token of the session to end.")] refresh_token: String,
    ) -> Result<bool> {
        Ok(sessions::logout(ctx.platform()?, &refresh_token).await?)
    }

    /// Changes your display name or time zone.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new display name and time zone; omitted fields stay as they are.")]
        input: UpdateProfileInput,
    ) -> Result<User> {
        let user_id = ctx.viewer().require_user()?;
        let changes = accounts::ProfileChanges {
            display_name: input.display_name,
            time_zone: input.time_zone,
        };
        Ok(User::new(
            accounts::update_profile(ctx.platform()?, user_id, changes).await?,
        ))
    }

    /// Changes your password; every other session ends.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The password in use now and the new one.")] input: ChangePasswordInput,
    ) -> Result<bool> {
        let Viewer::User(user) = ctx.viewer() else {
            return Err(AppError::Unauthenticated(
                "sign in with your password to change it".into(),
            )
            .into());
        };
        accounts::change_password(
            ctx.platform()?,
            user.user_id,
            Some(user.session_id),
            &input.current_password,
            &input.new_password,
        )
        .await?;
        Ok(true)
    }

    /// Sets a user's role (admins).
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id.")] user_id: ID,
        #[graphql(desc = "The user's new role.")] role: Role,
    ) -> Result<User> {
        let admin = ctx.viewer().require_role(Role::Admin)?;
        let target = ids::decode(&user_id, USER_TYPE, "userId")?;
        Ok(User::new(
            accounts::set_role(ctx.platform()?, admin, target, role).await?,
        ))
    }

    /// Creates an API key; its secret is in the answer and nowhere else, ever.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new key: its name and scopes.")] input: CreateApiKeyInput,
    ) -> Result<CreatedApiKey> {
        let Viewer::User(user) = ctx.viewer() else {
            return match ctx.viewer() {
                Viewer::Anonymous => Err(AppError::sign_in_required().into()),
                _ => Err(AppError::Forbidden("API keys cannot create API keys".into()).into()),
            };
        };
        let created = api_keys::create(
            ctx.platform()?,
            user.user_id,
            user.role,
            &input.name,
            &input.scopes,
            None,
        )
        .await?;
        Ok(CreatedApiKey {
            secret: created.secret,
            api_key: ApiKey(created.key),
        })
    }

    /// Revokes one of your keys (admins: anyone's). False if it was already revoked.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The API key's global id.")] id: ID,
    ) -> Result<bool> {
        ctx.viewer().require_user()?;
        let key_id = ids::decode(&id, API_KEY_TYPE, "id")?;
        Ok(api_keys::revoke(ctx.platform()?, ctx.viewer(), key_id).await?)
    }

    /// Sends a reset link if the address has an account. Always true: the answer does not tell
    /// whether it does.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's e-mail address.")] email: String,
    ) -> Result<bool> {
        one_time::request_password_reset(ctx.platform()?, &email).await?;
        Ok(true)
    }

    /// Sets a new password with the token from a reset link; every session ends.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token from the reset link; it works once, within 1 hour.")]
        token: String,
        #[graphql(desc = "The new password (same policy as registration).")] new_password: String,
    ) -> Result<bool> {
        one_time::reset_password(ctx.platform()?, &token, &new_password).await?;
        Ok(true)
    }

    /// Confirms an e-mail address with the token from the verification link.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token from the verification link; it works once, within 24 hours.")]
        token: String,
    ) -> Result<User> {
        Ok(User::new(
            one_time::verify_email(ctx.platform()?, &token).await?,
        ))
    }

    /// Sends a fresh verification link to your address.
    async fn resend_email_verification(&self, ctx: &Context<'_>) -> Result<bool> {
        let user_id = ctx.viewer().require_user()?;
        let platform = ctx.platform()?;
        let user = crate::service::find_user(&platform.db, user_id).await?;
        if user.email_verified_at.is_some() {
            return Err(AppError::Conflict("your address is already verified".into()).into());
        }
        one_time::send_email_verification(platform, &user).await?;
        Ok(true)
    }
}
