//! The Relay `Node` interface and `node(id:)`.

use agora_battle::{
    service::rooms,
    types::{BATTLE_ROOM_TYPE, BattleRoom},
};
use agora_community::{
    service::submissions,
    types::{SUBMISSION_TYPE, Submission},
};
use agora_identity::{
    api,
    types::{USER_TYPE, User},
};
use agora_knowledge::{
    service::{ContentStatus, articles, questions, topics},
    types::{ARTICLE_TYPE, Article, QUESTION_TYPE, Question, TOPIC_TYPE, Topic},
};
use agora_learning::types::{FLASHCARD_TYPE, Flashcard};
use agora_notifications::types::{NOTIFICATION_TYPE, Notification};
use agora_platform::{AppError, auth::Role, context::ContextExt, ids};
use agora_sensors::types::{STATION_TYPE, Station};
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
}

/// `node(id:)`.
#[derive(Default)]
pub(crate) struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; null when it does not exist.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let (type_name, uuid) = ids::decode_any(&id, "id")?;
        let platform = ctx.platform()?;
        let moderator = ctx.viewer().role().is_some_and(|r| r >= Role::Moderator);
        match type_name.as_str() {
            USER_TYPE => {
                ctx.viewer().require_user()?;
                let found = api::users_by_ids(platform, &[uuid]).await?;
                Ok(found.into_iter().next().map(|u| Node::User(User::new(u))))
            }
            TOPIC_TYPE => match topics::find(&platform.db, uuid).await {
                Ok(topic) => Ok(Some(Node::Topic(Topic(topic)))),
                Err(AppError::NotFound(_)) => Ok(None),
                Err(other) => Err(other.into()),
            },
            QUESTION_TYPE => {
                let found = questions::by_ids(&platform.db, &[uuid]).await?.pop();
                Ok(found
                    .filter(|q| q.status == ContentStatus::Published.as_str() || moderator)
                    .map(|q| Node::Question(Question::new(q))))
            }
            ARTICLE_TYPE => match articles::find(&platform.db, uuid).await {
                Ok(a) if a.status == ContentStatus::Published.as_str() || moderator => {
                    Ok(Some(Node::Article(Article(a))))
                }
                Ok(_) | Err(AppError::NotFound(_)) => Ok(None),
                Err(other) => Err(other.into()),
            },
            SUBMISSION_TYPE => Ok(submissions::find_visible(platform, ctx.viewer(), uuid)
                .await?
                .map(|s| Node::Submission(Submission(s)))),
            BATTLE_ROOM_TYPE => {
                let viewer = ctx.viewer().require_user()?;
                Ok(rooms::visible(platform, viewer, uuid)
                    .await?
                    .map(|room| Node::BattleRoom(BattleRoom(std::sync::Arc::new(room)))))
            }
            NOTIFICATION_TYPE => {
                let viewer = ctx.viewer().require_user()?;
                Ok(
                    agora_notifications::api::find_visible(platform, viewer, uuid)
                        .await?
                        .map(Node::Notification),
                )
            }
            STATION_TYPE => match agora_sensors::service::find_station(&platform.db, uuid).await {
                Ok(found) => Ok(Some(Node::Station(Station(found)))),
                Err(AppError::NotFound(_)) => Ok(None),
                Err(other) => Err(other.into()),
            },
            FLASHCARD_TYPE => {
                let viewer = ctx.viewer().require_user()?;
                match agora_learning::service::own_card(&platform.db, viewer, uuid).await {
                    Ok(card) => Ok(Some(Node::Flashcard(Flashcard(card)))),
                    Err(AppError::NotFound(_)) => Ok(None),
                    Err(other) => Err(other.into()),
                }
            }
            other => Err(AppError::bad_input(
                "id",
                format!("objects of type {other} cannot be fetched by id"),
            )
            .into()),
        }
    }
}
