//! Identity subscriptions.

use agora_platform::{bus::BusMessage, context::ContextExt};
use async_graphql::{Context, Result, Subscription};
use futures::{Stream, StreamExt};

use crate::{
    events::{UserChannelMessage, user_channel},
    service::find_user,
    types::User,
};

/// Identity's subscription root.
#[derive(Default)]
pub struct IdentitySubscription;

#[Subscription]
impl IdentitySubscription {
    /// Your own account, sent whenever your profile or role changes (from any replica).
    async fn viewer_updated(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Result<User>>> {
        let user_id = ctx.viewer().require_user()?;
        let platform = ctx.platform()?.clone();
        let messages = platform.bus.subscribe(&user_channel(user_id)).await;
        Ok(messages
            .filter(|message| {
                let relevant = match message {
                    BusMessage::Gap => true,
                    BusMessage::Event(body) => matches!(
                        serde_json::from_str::<UserChannelMessage>(body),
                        Ok(UserChannelMessage::UserUpdated)
                    ),
                };
                std::future::ready(relevant)
            })
            // Each event (or gap) re-reads the row, so the client always gets current state.
            .then(move |_| {
                let platform = platform.clone();
                async move { Ok(User::new(find_user(&platform.db, user_id).await?)) }
            }))
    }
}
