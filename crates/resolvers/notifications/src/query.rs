//! Notification queries: your feed, its unread count, your preferences.

use agora_platform::{
    context::ContextExt,
    pagination::{PageRequest, TimeCursor},
};
use async_graphql::{Context, Object, Result, connection::Connection};

use crate::{
    service::{feed, preferences},
    types::{Notification, NotificationPreference},
};

/// Notifications' query root.
#[derive(Default)]
pub struct NotificationsQuery;

/// Notifications' query root.
#[Object]
impl NotificationsQuery {
    /// Your notifications, newest first; only the unread ones with `unreadOnly` (null is false).
    #[graphql(
        complexity = "first.unwrap_or(20).max(last.unwrap_or(0)) as usize * child_complexity + 1"
    )]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
        #[graphql(
            default_with = "Some(false)",
            desc = "Only the unread ones (default false)."
        )]
        unread_only: Option<bool>,
    ) -> Result<Option<Connection<String, Notification>>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let user = ctx.viewer().require_user()?;
        let unread_only = unread_only.unwrap_or(false);
        let page = feed::page(ctx.platform()?, user, unread_only, &page).await?;
        Ok(Some(page.into_connection(Notification)))
    }

    /// How many of your notifications are unread (the badge).
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        let user = ctx.viewer().require_user()?;
        let count = feed::unread_count(&ctx.platform()?.db, user).await?;
        Ok(Some(i32::try_from(count).unwrap_or(i32::MAX)))
    }

    /// Every kind × channel with whether it reaches you: your choice, or the default.
    async fn notification_preferences(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<Vec<NotificationPreference>>> {
        let user = ctx.viewer().require_user()?;
        Ok(Some(
            preferences::all(&ctx.platform()?.db, user)
                .await?
                .into_iter()
                .map(NotificationPreference::from)
                .collect(),
        ))
    }
}
