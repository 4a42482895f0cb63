//! GraphQL types of the identity domain.

use agora_entities::identity::{api_key, user};
use agora_platform::{
    auth::{ApiScope, Role},
    context::ContextExt,
    ids,
};
use async_graphql::{ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::service::{self, sessions::IssuedSession};

/// Global-id type name of users.
pub const USER_TYPE: &str = "User";
/// Global-id type name of API keys.
pub(crate) const API_KEY_TYPE: &str = "ApiKey";

/// A registered account.
pub struct User {
    model: user::Model,
    /// The viewer is known to be this user (e.g. the answer to their own sign-in).
    as_owner: bool,
}

impl User {
    /// A user as any viewer sees it; private fields check the viewer.
    pub fn new(model: user::Model) -> Self {
        Self {
            model,
            as_owner: false,
        }
    }

    /// A user returned to that same user before their credentials are in the request
    /// (register, login, refresh), so private fields show.
    pub fn owned(model: user::Model) -> Self {
        Self {
            model,
            as_owner: true,
        }
    }

    fn private_visible(&self, ctx: &async_graphql::Context<'_>) -> bool {
        self.as_owner || ctx.viewer().is_self_or_admin(self.model.id)
    }
}

/// A registered account.
#[Object]
impl User {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(USER_TYPE, self.model.id)
    }

    /// E-mail address; null unless you are this user or an admin.
    async fn email(&self, ctx: &async_graphql::Context<'_>) -> Option<&str> {
        self.private_visible(ctx)
            .then_some(self.model.email.as_str())
    }

    /// Whether the address is confirmed; null unless you are this user or an admin.
    async fn email_verified(&self, ctx: &async_graphql::Context<'_>) -> Option<bool> {
        self.private_visible(ctx)
            .then_some(self.model.email_verified_at.is_some())
    }

    /// Name shown to others.
    async fn display_name(&self) -> &str {
        &self.model.display_name
    }

    /// Role.
    async fn role(&self) -> async_graphql::Result<Role> {
        Ok(service::role_of(&self.model)?)
    }

    /// IANA time zone used for daily activity; null unless you are this user or an admin.
    async fn time_zone(&self, ctx: &async_graphql::Context<'_>) -> Option<&str> {
        self.private_visible(ctx)
            .then_some(self.model.time_zone.as_str())
    }

    /// Community reputation, earned by published submissions and agreeing reviews; public.
    async fn reputation(&self) -> i32 {
        self.model.reputation
    }

    /// Registration time.
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
}

/// A signed-in session's tokens.
pub(crate) struct AuthPayload(pub IssuedSession);

/// A signed-in session's tokens.
#[Object]
impl AuthPayload {
    /// JWT to send as `Authorization: Bearer <token>`.
    async fn access_token(&self) -> &str {
        &self.0.access_token
    }

    /// Opaque token for `refreshSession`; single use, rotates on every refresh.
    async fn refresh_token(&self) -> &str {
        &self.0.refresh_token
    }

    /// Seconds until the access token expires.
    async fn expires_in(&self) -> i64 {
        self.0.expires_in
    }

    /// The signed-in user.
    async fn user(&self) -> User {
        User::owned(self.0.user.clone())
    }
}

/// An API key (never its secret).
pub struct ApiKey(pub api_key::Model);

/// An API key (never its secret).
#[Object]
impl ApiKey {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(API_KEY_TYPE, self.0.id)
    }

    /// Owner's label.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the key may do.
    async fn scopes(&self) -> Vec<ApiScope> {
        service::api_keys::scopes_of(&self.0)
    }

    /// The key's visible start, to tell keys apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }

    /// Creation time.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Last authenticated use (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    /// When it was revoked; a revoked key authenticates nothing.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// What the key has been used for (counted in memory and written every few seconds).
    async fn usage(&self) -> ApiKeyUsage {
        ApiKeyUsage {
            operations: self.0.operation_count,
            errors: self.0.error_count,
            last_used_at: self.0.last_used_at,
        }
    }
}

/// An API key's usage, visible to its owner and admins.
#[derive(SimpleObject)]
pub(crate) struct ApiKeyUsage {
    /// GraphQL operations run with the key.
    pub operations: i64,
    /// Of those, the ones answered with at least one error (refusals included).
    pub errors: i64,
    /// Last authenticated use (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A key just created. The secret is shown this once; store it now.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    /// The whole key, for the `X-Api-Key` header.
    pub secret: String,
    /// The key's record.
    pub api_key: ApiKey,
}

/// `register` input.
#[derive(InputObject)]
pub(crate) struct RegisterInput {
    /// E-mail address; normalised to lower case and unique.
    pub email: String,
    /// At least 10 characters, not a common password.
    pub password: String,
    /// 1 to 40 visible characters.
    pub display_name: String,
}

/// `login` input.
#[derive(InputObject)]
pub(crate) struct LoginInput {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// `updateProfile` input; omitted fields stay as they are.
#[derive(InputObject)]
pub(crate) struct UpdateProfileInput {
    /// New display name.
    pub display_name: Option<String>,
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub time_zone: Option<String>,
}

/// `changePassword` input.
#[derive(InputObject)]
pub(crate) struct ChangePasswordInput {
    /// The password in use now.
    pub current_password: String,
    /// The new password (same policy as registration).
    pub new_password: String,
}

/// `createApiKey` input.
#[derive(InputObject)]
pub(crate) struct CreateApiKeyInput {
    /// A label, 1 to 100 characters. For a PARTNER key, the client it serves: it runs the
    /// trusted documents imported with that `clientName` and no others.
    pub name: String,
    /// What the key may do. READ: any user; WRITE: contributors and up; PARTNER and
    /// SENSORS_WRITE: admins.
    pub scopes: Vec<ApiScope>,
}
