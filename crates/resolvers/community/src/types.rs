//! GraphQL types of the contributor workflow.

use agora_entities::community::{reputation_event, submission, submission_review};
use agora_identity::api::{User, load_user};
use agora_knowledge::api::{ChoiceInput, Question, QuestionLoader, Topic, TopicLoader};
use agora_platform::{AppError, context::ContextExt, ids};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    loaders::ReviewsLoader,
    service::{ReputationReason, SubmissionStatus, Verdict, submissions},
};

/// Global-id type name of submissions.
pub use agora_events::community::SUBMISSION_TYPE;
/// Global-id type name of reviews.
pub(crate) const REVIEW_TYPE: &str = "SubmissionReview";
/// Global-id type name of reputation changes.
pub(crate) const REPUTATION_EVENT_TYPE: &str = "ReputationEvent";

/// A question submitted (or revised) for review: the same shape as `createQuestion`.
#[derive(InputObject)]
pub(crate) struct SubmitQuestionInput {
    /// Topic to file it under.
    pub topic_id: ID,
    /// Question text, 10–500 characters.
    pub prompt: String,
    /// 2–6 distinct choices, exactly one correct.
    pub choices: Vec<ChoiceInput>,
    /// Why the answer is right, 1–2000 characters.
    pub explanation: String,
    /// 1 (easy) to 5 (hard).
    pub difficulty: i32,
    /// Up to 10 tags; normalised to lower-case slugs.
    #[graphql(default)]
    pub tags: Vec<String>,
}

/// One choice of a submission. Its author and its reviewers see which one is correct.
#[derive(SimpleObject)]
pub(crate) struct SubmittedChoice {
    /// Answer text.
    pub text: String,
    /// The correct one.
    pub is_correct: bool,
}

/// A proposed question and its review.
pub struct Submission(pub submission::Model);

/// A proposed question and its review.
#[Object]
impl Submission {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(SUBMISSION_TYPE, self.0.id)
    }

    /// Where it stands.
    async fn status(&self) -> Result<SubmissionStatus> {
        Ok(self.0.status.into())
    }

    /// 1, then +1 on every revision; votes count for the current revision only.
    async fn revision(&self) -> i32 {
        self.0.revision
    }

    /// Who proposed it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        load_user(ctx, self.0.author_id).await
    }

    /// Target topic; null if it was deleted since (the author picks another on revision).
    async fn topic(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        let Some(id) = self.0.topic_id else {
            return Ok(None);
        };
        let found = ctx
            .loader::<TopicLoader>()?
            .load_one(id)
            .await
            .map_err(AppError::Internal)?;
        Ok(found.map(Topic))
    }

    /// The question text.
    async fn prompt(&self) -> &str {
        &self.0.prompt
    }

    /// The choices, in display order.
    async fn choices(&self) -> Result<Vec<SubmittedChoice>> {
        Ok(submissions::choices_of(&self.0)?
            .into_iter()
            .map(|c| SubmittedChoice {
                text: c.text,
                is_correct: c.is_correct,
            })
            .collect())
    }

    /// Why the answer is right.
    async fn explanation(&self) -> &str {
        &self.0.explanation
    }

    /// 1 (easy) to 5 (hard).
    async fn difficulty(&self) -> i32 {
        i32::from(self.0.difficulty)
    }

    /// Tag slugs.
    async fn tags(&self) -> Result<Vec<String>> {
        Ok(submissions::tags_of(&self.0)?)
    }

    /// APPROVE votes on the current revision.
    async fn approvals(&self, ctx: &Context<'_>) -> Result<i32> {
        let reviews = self.load_reviews(ctx).await?;
        Ok(reviews
            .iter()
            .filter(|r| {
                r.revision == self.0.revision && r.verdict == submission_review::Verdict::Approve
            })
            .count() as i32)
    }

    /// Every vote, on every revision, oldest first.
    async fn reviews(&self, ctx: &Context<'_>) -> Result<Vec<Review>> {
        Ok(self
            .load_reviews(ctx)
            .await?
            .into_iter()
            .map(Review)
            .collect())
    }

    /// The published question, once approved.
    async fn question(&self, ctx: &Context<'_>) -> Result<Option<Question>> {
        let Some(id) = self.0.question_id else {
            return Ok(None);
        };
        let found = ctx
            .loader::<QuestionLoader>()?
            .load_one(id)
            .await
            .map_err(AppError::Internal)?;
        Ok(found.map(Question::new))
    }

    /// First submitted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Last change.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Approved or rejected at.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
}

impl Submission {
    async fn load_reviews(&self, ctx: &Context<'_>) -> Result<Vec<submission_review::Model>> {
        Ok(ctx
            .loader::<ReviewsLoader>()?
            .load_one(self.0.id)
            .await
            .map_err(AppError::Internal)?
            .unwrap_or_default())
    }
}

/// One reviewer's vote.
pub(crate) struct Review(pub submission_review::Model);

/// One reviewer's vote.
#[Object]
impl Review {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(REVIEW_TYPE, self.0.id)
    }

    /// Who voted.
    async fn reviewer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        load_user(ctx, self.0.reviewer_id).await
    }

    /// The vote.
    async fn verdict(&self) -> Result<Verdict> {
        Ok(self.0.verdict.into())
    }

    /// Words to the author.
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }

    /// The revision voted on.
    async fn revision(&self) -> i32 {
        self.0.revision
    }

    /// Cast with moderator authority (decides alone).
    async fn by_moderator(&self) -> bool {
        self.0.by_moderator
    }

    /// When.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One change to a user's reputation.
pub(crate) struct ReputationEvent(pub reputation_event::Model);

/// One change to a user's reputation.
#[Object]
impl ReputationEvent {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(REPUTATION_EVENT_TYPE, self.0.id)
    }

    /// Points added (negative: taken); a penalty never takes the total below zero.
    async fn delta(&self) -> i32 {
        self.0.delta
    }

    /// The total after this change.
    async fn balance(&self) -> i32 {
        self.0.balance
    }

    /// Why.
    async fn reason(&self) -> Result<ReputationReason> {
        Ok(self.0.reason.into())
    }

    /// The submission behind it.
    async fn submission_id(&self) -> Option<ID> {
        self.0
            .submission_id
            .map(|id| ids::encode(SUBMISSION_TYPE, id))
    }

    /// When.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
