//! `subscription literacyProgressChanged`: your progress, now and after each change.

use std::sync::Arc;

use agora_platform::context::ContextExt;
use async_graphql::{Context, Result, Subscription};
use futures::{Stream, StreamExt};

use crate::{
    loaders::Standing,
    service::{progress, progress_channel},
    types::LiteracyProgress,
};

/// Literacy's subscription root.
#[derive(Default)]
pub struct LiteracySubscription;

#[Subscription]
impl LiteracySubscription {
    /// Your literacy progress: first as it is, then after every practice, level choice and
    /// finished mock test (from any replica; re-read from the database each time, so a lost
    /// message only delays the next figure).
    async fn literacy_progress_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<LiteracyProgress>>> {
        let user = ctx.viewer().require_user()?;
        let platform = ctx.platform()?.clone();
        let mut messages = platform.bus.subscribe(&progress_channel(user)).await;
        Ok(async_stream::stream! {
            loop {
                match progress::all(&platform.db, user).await {
                    Ok((place, levels)) => {
                        yield Ok(LiteracyProgress(Arc::new(Standing { place, levels })));
                    }
                    Err(err) => yield Err(err.into()),
                }
                // Any message (or a gap) means "read again".
                if messages.next().await.is_none() {
                    break;
                }
            }
        })
    }
}
