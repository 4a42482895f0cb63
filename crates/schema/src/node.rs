//! The Relay `Node` interface and `node(id:)`.

use agora_identity::{
    api,
    types::{USER_TYPE, User},
};
use agora_platform::{AppError, context::ContextExt, ids};
use async_graphql::{Context, ID, Interface, Object, Result};

/// An object with a global id that `node(id:)` can refetch.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id."))]
pub enum Node {
    /// A user.
    User(User),
}

/// `node(id:)`.
#[derive(Default)]
pub(crate) struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; null when it does not exist.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let (type_name, uuid) = ids::decode_any(&id, "id")?;
        let platform = ctx.platform()?;
        match type_name.as_str() {
            USER_TYPE => {
                ctx.viewer().require_user()?;
                let found = api::users_by_ids(platform, &[uuid]).await?;
                Ok(found.into_iter().next().map(|u| Node::User(User::new(u))))
            }
            other => Err(AppError::bad_input(
                "id",
                format!("objects of type {other} cannot be fetched by id"),
            )
            .into()),
        }
    }
}
