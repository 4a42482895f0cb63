//! Identity queries.

use agora_platform::{
    AppError,
    auth::Role,
    context::ContextExt,
    ids,
    pagination::{PageRequest, TimeCursor},
};
use async_graphql::{Context, ID, Object, Result, connection::Connection};

use crate::{
    service::{accounts, api_keys, find_user},
    types::{ApiKey, USER_TYPE, User},
};

/// Identity's query root.
#[derive(Default)]
pub struct IdentityQuery;

/// Identity's query root.
#[Object]
impl IdentityQuery {
    /// The signed-in user; null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(user_id) = ctx.viewer().user_id() else {
            return Ok(None);
        };
        Ok(Some(User::new(
            find_user(&ctx.platform()?.db, user_id).await?,
        )))
    }

    /// Users, newest first (admins).
    #[allow(clippy::too_many_arguments)]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
        #[graphql(desc = "Only users with this role, if any.")] role: Option<Role>,
        #[graphql(desc = "Case-insensitive part of an e-mail or display name.")] search: Option<
            String,
        >,
    ) -> Result<Option<Connection<String, User>>> {
        ctx.viewer().require_role(Role::Admin)?;
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let filter = accounts::UserFilter { role, search };
        let page = accounts::list_users(ctx.platform()?, filter, &page).await?;
        Ok(Some(page.into_connection(User::new)))
    }

    /// Your API keys, newest first, with their usage; admins may name another `ownerId`.
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The owner's global id, if any.")] owner_id: Option<ID>,
    ) -> Result<Option<Vec<ApiKey>>> {
        let viewer = ctx.viewer();
        let mut owner = viewer.require_user()?;
        if let Some(id) = owner_id {
            let id = ids::decode(&id, USER_TYPE, "ownerId")?;
            if id != owner && !viewer.is_admin() {
                return Err(AppError::Forbidden("only admins see other users' keys".into()).into());
            }
            owner = id;
        }
        let keys = api_keys::list(ctx.platform()?, owner).await?;
        Ok(Some(keys.into_iter().map(ApiKey).collect()))
    }
}
