//! Contributor workflow mutations: thin wrappers over [`crate::service`].

use agora_knowledge::api::{QuestionDraft, TOPIC_TYPE};
use agora_platform::{context::ContextExt, ids};
use async_graphql::{Context, ID, Object, Result};
use uuid::Uuid;

use crate::{
    service::{
        Verdict,
        reviews::{self, Vote},
        submissions,
    },
    types::{SUBMISSION_TYPE, Submission, SubmitQuestionInput},
};

/// The contributor workflow's mutation root.
#[derive(Default)]
pub struct CommunityMutation;

fn draft(input: SubmitQuestionInput) -> Result<(Uuid, QuestionDraft)> {
    let topic_id = ids::decode(&input.topic_id, TOPIC_TYPE, "input.topicId")?;
    Ok((
        topic_id,
        QuestionDraft {
            prompt: input.prompt,
            choices: input
                .choices
                .into_iter()
                .map(|c| (c.text, c.is_correct))
                .collect(),
            explanation: input.explanation,
            difficulty: input.difficulty,
            tags: input.tags,
        },
    ))
}

/// The contributor workflow's mutation root.
#[Object]
impl CommunityMutation {
    /// Proposes a question (any signed-in user). It passes the quality checks (the question
    /// rules and no near-duplicate in the bank) and enters the review queue as PENDING.
    async fn submit_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The proposed question: its topic, prompt, choices, explanation, difficulty and tags."
        )]
        input: SubmitQuestionInput,
    ) -> Result<Submission> {
        let author = ctx.viewer().require_user()?;
        let (topic_id, draft) = draft(input)?;
        let created = submissions::submit(ctx.platform()?, author, topic_id, draft).await?;
        Ok(Submission(created))
    }

    /// Revises a submission returned with REQUEST_CHANGES (its author): the same checks, a
    /// new revision, back in the queue.
    async fn revise_submission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The submission's global id.")] id: ID,
        #[graphql(
            desc = "The whole revised question: its topic, prompt, choices, explanation, difficulty and tags."
        )]
        input: SubmitQuestionInput,
    ) -> Result<Submission> {
        let author = ctx.viewer().require_user()?;
        let id = ids::decode(&id, SUBMISSION_TYPE, "id")?;
        let (topic_id, draft) = draft(input)?;
        let revised = submissions::revise(ctx.platform()?, author, id, topic_id, draft).await?;
        Ok(Submission(revised))
    }

    /// Votes on a pending submission (reviewers; never your own; once per revision). Two
    /// approvals publish, a moderator's approval publishes alone, a moderator's rejection is
    /// final, two rejections reject, REQUEST_CHANGES returns it to the author. A comment is
    /// required to reject or request changes.
    async fn review_submission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The submission's global id.")] id: ID,
        #[graphql(desc = "Your vote: approve, reject or request changes.")] verdict: Verdict,
        #[graphql(desc = "Why, at most 1,000 characters; required to reject or request changes.")]
        comment: Option<String>,
    ) -> Result<Submission> {
        let submission_id = ids::decode(&id, SUBMISSION_TYPE, "id")?;
        let updated = reviews::review(
            ctx.platform()?,
            ctx.viewer(),
            Vote {
                submission_id,
                verdict,
                comment,
            },
        )
        .await?;
        Ok(Submission(updated))
    }
}
