//! `subscription leaderboardChanged`: the board at once, then again whenever its top changes.

use std::time::Duration;

use agora_platform::context::ContextExt;
use async_graphql::{Context, ID, Result, Subscription};
use futures::{FutureExt, Stream, StreamExt};
use tokio::time::Instant;

use crate::{
    query::{board_page, page_size, resolve_scope},
    types::{Leaderboard, LeaderboardScope},
};

/// At most one update per this interval per subscriber: 4 per second.
pub(crate) const COALESCE: Duration = Duration::from_millis(250);
/// Re-read at least this often without news (a new week starts a new WEEKLY board).
const RECHECK: Duration = Duration::from_secs(60);

/// Gamification's subscription root.
#[derive(Default)]
pub struct GamificationSubscription;

#[Subscription]
impl GamificationSubscription {
    /// The top `first` of a board now, then a new board each time that top changes (order,
    /// players or points), at most 4 times a second however many awards arrive. Same
    /// arguments as `leaderboard`.
    async fn leaderboard_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which board: GLOBAL, WEEKLY, MONTHLY or TOPIC.")] scope: LeaderboardScope,
        #[graphql(desc = "The topic's global id, if any.")] topic_id: Option<ID>,
        #[graphql(default = 10, desc = "At most this many entries, 1 to 100.")] first: Option<i32>,
    ) -> Result<impl Stream<Item = Result<Leaderboard>>> {
        let platform = ctx.platform()?.clone();
        let limit = page_size(first)?;
        let board = resolve_scope(&platform, scope, topic_id.as_ref()).await?;
        let viewer = ctx.viewer().user_id();
        // Subscribe before the first read, so no change falls between the two.
        let mut messages = platform.bus.subscribe(&board.channel()).await;
        Ok(async_stream::stream! {
            let mut shown = None;
            let mut sent_at: Option<Instant> = None;
            loop {
                match board_page(&platform, scope, board, limit, 0, viewer).await {
                    Ok(page) => {
                        let top = (page.period.clone(), page.page.entries.clone());
                        if shown.as_ref() != Some(&top) {
                            shown = Some(top);
                            sent_at = Some(Instant::now());
                            yield Ok(page);
                        }
                    }
                    Err(err) => {
                        yield Err(err.into());
                        return;
                    }
                }
                // A message, or a quiet minute: read again. The bus closing ends the stream.
                if let Ok(None) = tokio::time::timeout(RECHECK, messages.next()).await {
                    return;
                }
                if let Some(at) = sent_at {
                    tokio::time::sleep_until(at + COALESCE).await;
                }
                // Everything that arrived while waiting is covered by the next read.
                while let Some(Some(_)) = messages.next().now_or_never() {}
            }
        })
    }
}
