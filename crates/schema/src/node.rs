//! The Relay `Node` interface and `node(id:)`.

use agora_battle::api::{BATTLE_ROOM_TYPE, BattleRoom};
use agora_community::api::{SUBMISSION_TYPE, Submission};
use agora_identity::api::{self, USER_TYPE, User};
use agora_knowledge::api::{ARTICLE_TYPE, Article, QUESTION_TYPE, Question, TOPIC_TYPE, Topic};
use agora_learning::api::{
    CAPTURE_TYPE, Capture, FLASHCARD_TYPE, Flashcard, PERSONAL_TOPIC_TYPE, PersonalTopic,
    SCHEDULER_OPTIMIZATION_TYPE, SYLLABUS_ITEM_TYPE, SchedulerOptimization, SyllabusItem,
};
use agora_literacy::api::{LEVEL_TYPE, Level, MOCK_TEST_TYPE, MockTest, WORD_TYPE, Word};
use agora_notifications::api::{NOTIFICATION_TYPE, Notification};
use agora_platform::{AppError, auth::Role, context::ContextExt, ids};
use agora_sensors::api::{STATION_TYPE, Station};
use async_graphql::{Context, ID, Interface, Object, Result};

/// An object with a global id that `node(id:)` can refetch.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id."))]
pub enum Node {
    /// A user.
    User(User),
    /// A topic.
    Topic(Topic),
    /// A question.
    Question(Question),
    /// An article.
    Article(Article),
    /// A community submission (its author and reviewers only).
    Submission(Submission),
    /// A battle room (private rooms for their players only).
    BattleRoom(BattleRoom),
    /// A notification (its recipient only).
    Notification(Notification),
    /// An air-quality station.
    Station(Station),
    /// A flashcard (its owner only).
    Flashcard(Flashcard),
    /// A learner's own topic (its owner only).
    PersonalTopic(PersonalTopic),
    /// An item of a learner's syllabus (its owner only).
    SyllabusItem(SyllabusItem),
    /// A run of a learner's scheduler optimiser (its learner only).
    SchedulerOptimization(SchedulerOptimization),
    /// A capture of yours.
    Capture(Capture),
    /// A word level.
    Level(Level),
    /// A word to practise.
    Word(Word),
    /// A mock test (its learner only).
    MockTest(MockTest),
}

/// `node(id:)`.
#[derive(Default)]
pub(crate) struct NodeQuery;

/// `node(id:)`.
#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; null when it does not exist.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The object's global id.")] id: ID,
    ) -> Result<Option<Node>> {
        let (type_name, uuid) = ids::decode_any(&id, "id")?;
        let platform = ctx.platform()?;
        let moderator = ctx.viewer().role().is_some_and(|r| r >= Role::Moderator);
        match type_name.as_str() {
            USER_TYPE => {
                ctx.viewer().require_user()?;
                let found = api::users_by_ids(platform, &[uuid]).await?;
                Ok(found.into_iter().next().map(|u| Node::User(User::new(u))))
            }
            TOPIC_TYPE => Ok(agora_knowledge::api::topic_node(platform, uuid)
                .await?
                .map(Node::Topic)),
            QUESTION_TYPE => Ok(
                agora_knowledge::api::question_node(platform, moderator, uuid)
                    .await?
                    .map(Node::Question),
            ),
            ARTICLE_TYPE => Ok(
                agora_knowledge::api::article_node(platform, moderator, uuid)
                    .await?
                    .map(Node::Article),
            ),
            SUBMISSION_TYPE => {
                Ok(
                    agora_community::api::submission_node(platform, ctx.viewer(), uuid)
                        .await?
                        .map(Node::Submission),
                )
            }
            BATTLE_ROOM_TYPE => {
                let viewer = ctx.viewer().require_user()?;
                Ok(agora_battle::api::room_node(platform, viewer, uuid)
                    .await?
                    .map(Node::BattleRoom))
            }
            NOTIFICATION_TYPE => {
                let viewer = ctx.viewer().require_user()?;
                Ok(
                    agora_notifications::api::find_visible(platform, viewer, uuid)
                        .await?
                        .map(Node::Notification),
                )
            }
            STATION_TYPE => Ok(agora_sensors::api::station_node(platform, uuid)
                .await?
                .map(Node::Station)),
            FLASHCARD_TYPE => {
                let viewer = ctx.viewer().require_user()?;
                Ok(agora_learning::api::flashcard_node(platform, viewer, uuid)
                    .await?
                    .map(Node::Flashcard))
            }
            PERSONAL_TOPIC_TYPE => {
                let viewer = ctx.viewer().require_user()?;
                Ok(
                    agora_learning::api::personal_topic_node(platform, viewer, uuid)
                        .await?
                        .map(Node::PersonalTopic),
                )
            }
            SYLLABUS_ITEM_TYPE => {
                let viewer = ctx.viewer().require_user()?;
                Ok(
                    agora_learning::api::syllabus_item_node(platform, viewer, uuid)
                        .await?
                        .map(Node::SyllabusItem),
                )
            }
            CAPTURE_TYPE => {
                let viewer = ctx.viewer().require_user()?;
                Ok(agora_learning::api::capture_node(platform, viewer, uuid)
                    .await?
                    .map(Node::Capture))
            }
            SCHEDULER_OPTIMIZATION_TYPE => {
                let viewer = ctx.viewer().require_user()?;
                Ok(
                    agora_learning::api::scheduler_optimization_node(platform, viewer, uuid)
                        .await?
                        .map(Node::SchedulerOptimization),
                )
            }
            LEVEL_TYPE => Ok(agora_literacy::api::level_node(platform, uuid)
                .await?
                .map(Node::Level)),
            WORD_TYPE => Ok(agora_literacy::api::word_node(platform, uuid)
                .await?
                .map(Node::Word)),
            MOCK_TEST_TYPE => {
                let viewer = ctx.viewer().require_user()?;
                Ok(agora_literacy::api::mock_test_node(platform, viewer, uuid)
                    .await?
                    .map(Node::MockTest))
            }
            other => Err(AppError::bad_input(
                "id",
                format!("objects of type {other} cannot be fetched by id"),
            )
            .into()),
        }
    }
}
