//! Gamification queries.

use std::sync::Arc;

use agora_identity::api::USER_TYPE;
use agora_knowledge::api::{TOPIC_TYPE, topics};
use agora_platform::{
    AppError, AppResult, Platform, context::ContextExt, ids, pagination::decode_cursor,
};
use async_graphql::{Context, ID, Object, Result};
use uuid::Uuid;

use crate::{
    service::{
        achievements,
        leaderboard::{self, Scope},
        progress,
    },
    types::{Achievement, Leaderboard, LeaderboardScope, MyProgress, ShareCard, UserProfile},
};

/// Largest leaderboard page.
pub(crate) const MAX_BOARD_PAGE: i32 = 100;

/// Gamification's query root.
#[derive(Default)]
pub struct GamificationQuery;

/// Checks the board arguments: TOPIC needs an existing `topicId`, the others take none.
pub(crate) async fn resolve_scope(
    platform: &Platform,
    scope: LeaderboardScope,
    topic_id: Option<&ID>,
) -> AppResult<Scope> {
    match (scope, topic_id) {
        (LeaderboardScope::Topic, Some(id)) => {
            let topic = ids::decode(id, TOPIC_TYPE, "topicId")?;
            topics::find(&platform.db, topic).await?;
            Ok(Scope::Topic(topic))
        }
        (LeaderboardScope::Topic, None) => Err(AppError::bad_input(
            "topicId",
            "a TOPIC leaderboard needs topicId",
        )),
        (_, Some(_)) => Err(AppError::bad_input(
            "topicId",
            "topicId is only for TOPIC leaderboards",
        )),
        (LeaderboardScope::Global, None) => Ok(Scope::Global),
        (LeaderboardScope::Weekly, None) => Ok(Scope::Weekly),
        (LeaderboardScope::Monthly, None) => Ok(Scope::Monthly),
    }
}

/// Checks a page size (null: 10).
pub(crate) fn page_size(first: Option<i32>) -> AppResult<i64> {
    let first = first.unwrap_or(10);
    if !(1..=MAX_BOARD_PAGE).contains(&first) {
        return Err(AppError::bad_input(
            "first",
            format!("first must be between 1 and {MAX_BOARD_PAGE}"),
        ));
    }
    Ok(i64::from(first))
}

/// Reads a page of a board as the API returns it.
pub(crate) async fn board_page(
    platform: &Platform,
    scope: LeaderboardScope,
    board: Scope,
    first: i64,
    offset: i64,
    viewer: Option<Uuid>,
) -> AppResult<Leaderboard> {
    let now = platform.clock.now();
    let key = board.board(now);
    let page = leaderboard::read(platform, &key, offset, first, viewer).await?;
    Ok(Leaderboard {
        scope,
        board,
        period: match board {
            Scope::Weekly => Some(leaderboard::iso_week(now)),
            Scope::Monthly => Some(leaderboard::month(now)),
            _ => None,
        },
        offset,
        page: Arc::new(page),
    })
}

/// Gamification's query root.
#[Object]
impl GamificationQuery {
    /// Your points, level, streak, achievements and recent awards.
    async fn my_progress(&self, ctx: &Context<'_>) -> Result<Option<MyProgress>> {
        let user = ctx.viewer().require_user()?;
        Ok(Some(crate::api::my_progress(ctx.platform()?, user).await?))
    }

    /// The achievement catalog, in display order.
    async fn achievements(&self, ctx: &Context<'_>) -> Result<Vec<Achievement>> {
        let platform = ctx.platform()?;
        Ok(achievements::catalog(&platform.db)
            .await?
            .into_iter()
            .map(Achievement)
            .collect())
    }

    /// Someone's public progress; null when there is no such user.
    async fn user_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id.")] id: ID,
    ) -> Result<Option<UserProfile>> {
        let user = ids::decode(&id, USER_TYPE, "id")?;
        let platform = ctx.platform()?;
        let Some(model) = agora_identity::api::users_by_ids(platform, &[user])
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let now = platform.clock.now();
        Ok(Some(UserProfile {
            user_id: user,
            display_name: model.display_name,
            progress: progress::load(&platform.db, user, now).await?,
            unlocked: achievements::standings(&platform.db, user)
                .await?
                .into_iter()
                .filter(|s| s.unlocked_at.is_some())
                .collect(),
        }))
    }

    /// Text and links to share someone's progress (`NOT_FOUND` for no such user).
    async fn share_card(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id.")] user_id: ID,
    ) -> Result<Option<ShareCard>> {
        let user = ids::decode(&user_id, USER_TYPE, "userId")?;
        let platform = ctx.platform()?;
        let model = agora_identity::api::users_by_ids(platform, &[user])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::NotFound("no such user".into()))?;
        let now = platform.clock.now();
        let progress = progress::load(&platform.db, user, now).await?;
        let unlocked = achievements::standings(&platform.db, user)
            .await?
            .iter()
            .filter(|s| s.unlocked_at.is_some())
            .count();
        let url = format!(
            "{}/users/{}",
            platform.config.server.public_url.trim_end_matches('/'),
            user_id.as_str()
        );
        let card = progress::share_card(&model.display_name, &progress, unlocked, &url);
        Ok(Some(ShareCard {
            text: card.text,
            url: card.url,
            twitter_url: card.twitter_url,
            linkedin_url: card.linkedin_url,
        }))
    }

    /// A page of a leaderboard, best first, with your own entry wherever you rank. GLOBAL is
    /// all time, WEEKLY this ISO week (from Monday 00:00 UTC), MONTHLY this calendar month
    /// (from the 1st, 00:00 UTC), TOPIC the points of battles of `topicId`. Equal points rank by who reached them first.
    async fn leaderboard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which board: GLOBAL, WEEKLY, MONTHLY or TOPIC.")] scope: LeaderboardScope,
        #[graphql(desc = "The topic's global id, if any.")] topic_id: Option<ID>,
        #[graphql(default = 10, desc = "At most this many entries, 1 to 100.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
    ) -> Result<Leaderboard> {
        let platform = ctx.platform()?;
        let limit = page_size(first)?;
        let offset = match after {
            Some(cursor) => decode_cursor::<i64>(&cursor, "after")?.max(0),
            None => 0,
        };
        let board = resolve_scope(platform, scope, topic_id.as_ref()).await?;
        let viewer = ctx.viewer().user_id();
        Ok(board_page(platform, scope, board, limit, offset, viewer).await?)
    }
}
