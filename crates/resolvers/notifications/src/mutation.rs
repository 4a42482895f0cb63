//! Notification mutations: thin wrappers over [`crate::service`].

use agora_platform::{context::ContextExt, ids};
use async_graphql::{Context, ID, Object, Result};

use crate::{
    service::{
        feed,
        preferences::{self, Preference},
    },
    types::{NOTIFICATION_TYPE, NotificationPreference, NotificationPreferenceInput},
};

/// Notifications' mutation root.
#[derive(Default)]
pub struct NotificationsMutation;

#[Object]
impl NotificationsMutation {
    /// Marks your notifications `ids` (at most 100) read; returns how many were unread and now
    /// are (`BAD_USER_INPUT` past 100). Ids that are not your notifications change nothing and are not counted.
    async fn mark_notifications_read(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<i32> {
        let user = ctx.viewer().require_user()?;
        // Checked before decoding, so an over-long list is refused whatever it holds.
        feed::check_batch(ids.len())?;
        let ids = ids
            .iter()
            .enumerate()
            .map(|(i, id)| ids::decode(id, NOTIFICATION_TYPE, &format!("ids[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let changed = feed::mark_read(ctx.platform()?, user, &ids).await?;
        Ok(i32::try_from(changed).unwrap_or(i32::MAX))
    }

    /// Marks all your notifications read; returns how many were unread.
    async fn mark_all_notifications_read(&self, ctx: &Context<'_>) -> Result<i32> {
        let user = ctx.viewer().require_user()?;
        let changed = feed::mark_all_read(ctx.platform()?, user).await?;
        Ok(i32::try_from(changed).unwrap_or(i32::MAX))
    }

    /// Chooses, per kind and channel, whether notifications reach you there (each pair at most
    /// once per call). Returns every preference after the change.
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
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
