//! Notification mutations: thin wrappers over [`crate::service`].

use agora_platform::{context::ContextExt, ids};
use async_graphql::{Context, ID, Object, Result};

use crate::{
    service::{
        feed,
        preferences::{self, Preference},
    },
    types::{
        MarkAllNotificationsReadPayload, MarkNotificationsReadPayload, NOTIFICATION_TYPE,
        Notification, NotificationPreference, NotificationPreferenceInput,
    },
};

/// A count as GraphQL's `Int`.
fn count(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Notifications' mutation root.
#[derive(Default)]
pub struct NotificationsMutation;

/// Notifications' mutation root.
#[Object]
impl NotificationsMutation {
    /// Marks your notifications `ids` (at most 100) read (`BAD_USER_INPUT` past 100); returns
    /// those that were unread and now are, for a client's cache, with your unread count after.
    /// Ids that are not your notifications change nothing and are not returned.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Notifications to mark read, at most 100.")] ids: Vec<ID>,
    ) -> Result<MarkNotificationsReadPayload> {
        let user = ctx.viewer().require_user()?;
        // Checked before decoding, so an over-long list is refused whatever it holds.
        feed::check_batch(ids.len())?;
        let ids = ids
            .iter()
            .enumerate()
            .map(|(i, id)| ids::decode(id, NOTIFICATION_TYPE, &format!("ids[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let marked = feed::mark_read(ctx.platform()?, user, &ids).await?;
        Ok(MarkNotificationsReadPayload {
            count: count(marked.count),
            unread_count: count(marked.unread),
            notifications: marked.changed.into_iter().map(Notification).collect(),
        })
    }

    /// Marks all your notifications read; returns how many were unread and the read time
    /// written (a client sets it on the unread notifications it holds).
    async fn mark_all_notifications_read(
        &self,
        ctx: &Context<'_>,
    ) -> Result<MarkAllNotificationsReadPayload> {
        let user = ctx.viewer().require_user()?;
        let marked = feed::mark_all_read(ctx.platform()?, user).await?;
        Ok(MarkAllNotificationsReadPayload {
            count: count(marked.count),
            unread_count: count(marked.unread),
            read_at: marked.at,
        })
    }

    /// Chooses, per kind and channel, whether notifications reach you there (each pair at most
    /// once per call). Returns every preference after the change.
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The choices: each a kind, a channel and whether to deliver it there, each pair at most once."
        )]
        input: Vec<NotificationPreferenceInput>,
    ) -> Result<Vec<NotificationPreference>> {
        let user = ctx.viewer().require_user()?;
        let changes: Vec<Preference> = input
            .into_iter()
            .map(|p| Preference {
                kind: p.kind,
                channel: p.channel,
                enabled: p.enabled,
            })
            .collect();
        Ok(preferences::update(ctx.platform()?, user, &changes)
            .await?
            .into_iter()
            .map(NotificationPreference::from)
            .collect())
    }
}
