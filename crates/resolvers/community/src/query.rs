//! Contributor workflow queries.

use agora_identity::api::USER_TYPE;
use agora_platform::{
    AppError,
    auth::Role,
    context::ContextExt,
    ids,
    pagination::{PageRequest, TimeCursor},
};
use async_graphql::{Context, ID, Object, Result, connection::Connection};

use crate::{
    service::{SubmissionStatus, reputation, submissions},
    types::{ReputationEvent, SUBMISSION_TYPE, Submission},
};

/// The contributor workflow's query root.
#[derive(Default)]
pub struct CommunityQuery;

/// The contributor workflow's query root.
#[Object]
impl CommunityQuery {
    /// Submissions waiting for your vote, oldest first: never your own, never a revision you
    /// already voted on. For reviewers: CONTRIBUTOR and up, or 200 reputation.
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
    ) -> Result<Option<Connection<String, Submission>>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let platform = ctx.platform()?;
        let reviewer = submissions::require_reviewer(&platform.db, ctx.viewer()).await?;
        let page = submissions::queue(platform, reviewer, &page).await?;
        Ok(Some(page.into_connection(Submission)))
    }

    /// Your submissions, newest first, optionally of one status.
    async fn my_submissions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
        #[graphql(desc = "Only submissions with this status, if any.")] status: Option<
            SubmissionStatus,
        >,
    ) -> Result<Option<Connection<String, Submission>>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let author = ctx.viewer().require_user()?;
        let page = submissions::mine(ctx.platform()?, author, status, &page).await?;
        Ok(Some(page.into_connection(Submission)))
    }

    /// One submission with its reviews, for its author and for reviewers; null when it does
    /// not exist.
    async fn submission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The submission's global id.")] id: ID,
    ) -> Result<Option<Submission>> {
        let id = ids::decode(&id, SUBMISSION_TYPE, "id")?;
        Ok(submissions::find_visible(ctx.platform()?, ctx.viewer(), id)
            .await?
            .map(Submission))
    }

    /// Every change to a user's reputation with its reason, newest first. Your own by
    /// default; moderators and admins may read anyone's.
    async fn reputation_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id, if any.")] user_id: Option<ID>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
    ) -> Result<Option<Connection<String, ReputationEvent>>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let viewer = ctx.viewer();
        let me = viewer.require_user()?;
        let user = match user_id {
            Some(id) => ids::decode(&id, USER_TYPE, "userId")?,
            None => me,
        };
        if user != me && viewer.role().is_none_or(|r| r < Role::Moderator) {
            return Err(AppError::Forbidden(
                "only moderators read another user's reputation history".into(),
            )
            .into());
        }
        let page = reputation::history(ctx.platform()?, user, &page).await?;
        Ok(Some(page.into_connection(ReputationEvent)))
    }
}
