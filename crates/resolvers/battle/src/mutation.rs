//! Battle room mutations: thin wrappers over [`crate::service`].

use std::sync::Arc;

use agora_entities::battle::battle_room;
use agora_identity::api::USER_TYPE;
use agora_knowledge::api::{CHOICE_TYPE, QUESTION_TYPE, TOPIC_TYPE};
use agora_platform::{Platform, context::ContextExt, ids};
use async_graphql::{Context, ID, Object, Result};

use crate::{
    BattleSettings,
    service::{play, rooms, view},
    types::{AnswerReceipt, BATTLE_ROOM_TYPE, BattleRoom, CreateBattleRoomInput},
};

/// Battle rooms' mutation root.
#[derive(Default)]
pub struct BattleMutation;

async fn render(platform: &Platform, room: &battle_room::Model) -> Result<BattleRoom> {
    Ok(BattleRoom(Arc::new(view::load(&platform.db, room).await?)))
}

/// Battle rooms' mutation root.
#[Object]
impl BattleMutation {
    /// Opens a room; you are its host and first player.
    async fn create_battle_room(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The room's settings: topic, question count and time, player limit, privacy and solo play."
        )]
        input: CreateBattleRoomInput,
    ) -> Result<BattleRoom> {
        let host = ctx.viewer().require_user()?;
        let topic_id = input
            .topic_id
            .map(|t| ids::decode(&t, TOPIC_TYPE, "input.topicId"))
            .transpose()?;
        let platform = ctx.platform()?;
        let room = rooms::create(
            platform,
            BattleSettings::of(ctx)?,
            host,
            rooms::NewRoom {
                topic_id,
                question_count: input.question_count,
                seconds_per_question: input.seconds_per_question,
                max_players: input.max_players,
                is_private: input.is_private,
                allow_solo: input.allow_solo,
            },
            false,
        )
        .await?;
        render(platform, &room).await
    }

    /// Joins a lobby by its code (joining a room you are in is a no-op).
    async fn join_battle_room(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The room's code, 6 letters and digits like K7QW3N (any case).")]
        code: String,
    ) -> Result<BattleRoom> {
        let user = ctx.viewer().require_user()?;
        let platform = ctx.platform()?;
        let room = rooms::join(platform, BattleSettings::of(ctx)?, user, &code).await?;
        render(platform, &room).await
    }

    /// Leaves a room; a host's role passes to the longest-present player, and an empty room
    /// is cancelled.
    async fn leave_battle_room(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The room's global id.")] room_id: ID,
    ) -> Result<bool> {
        let user = ctx.viewer().require_user()?;
        let room_id = ids::decode(&room_id, BATTLE_ROOM_TYPE, "roomId")?;
        rooms::leave(ctx.platform()?, user, room_id).await?;
        Ok(true)
    }

    /// Removes a player (the host).
    async fn kick_player(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The room's global id.")] room_id: ID,
        #[graphql(desc = "The user's global id.")] user_id: ID,
    ) -> Result<BattleRoom> {
        let host = ctx.viewer().require_user()?;
        let room_id = ids::decode(&room_id, BATTLE_ROOM_TYPE, "roomId")?;
        let user_id = ids::decode(&user_id, USER_TYPE, "userId")?;
        let platform = ctx.platform()?;
        let room = rooms::kick(platform, host, room_id, user_id).await?;
        render(platform, &room).await
    }

    /// Starts the battle (the host; at least 2 players unless the room allows solo).
    async fn start_battle(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The room's global id.")] room_id: ID,
    ) -> Result<BattleRoom> {
        let user = ctx.viewer().require_user()?;
        let room_id = ids::decode(&room_id, BATTLE_ROOM_TYPE, "roomId")?;
        let platform = ctx.platform()?;
        let room = rooms::start(platform, user, room_id).await?;
        render(platform, &room).await
    }

    /// Matchmaking: joins the fullest open public quick-match lobby of the topic, or opens
    /// one. It starts when full, or 30 s after its second player joined.
    async fn quick_match(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id, if any.")] topic_id: Option<ID>,
    ) -> Result<BattleRoom> {
        let user = ctx.viewer().require_user()?;
        let topic_id = topic_id
            .map(|t| ids::decode(&t, TOPIC_TYPE, "topicId"))
            .transpose()?;
        let platform = ctx.platform()?;
        let room = rooms::quick_match(platform, BattleSettings::of(ctx)?, user, topic_id).await?;
        render(platform, &room).await
    }

    /// Answers the current question (players; once; before the deadline, else
    /// `BAD_USER_INPUT` with `detail: TOO_LATE`). Correctness is revealed at the question's end.
    async fn submit_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The room's global id.")] room_id: ID,
        #[graphql(desc = "The question's global id.")] question_id: ID,
        #[graphql(desc = "The choice's global id.")] choice_id: ID,
    ) -> Result<AnswerReceipt> {
        let user = ctx.viewer().require_user()?;
        let room_id = ids::decode(&room_id, BATTLE_ROOM_TYPE, "roomId")?;
        let question_id = ids::decode(&question_id, QUESTION_TYPE, "questionId")?;
        let choice_id = ids::decode(&choice_id, CHOICE_TYPE, "choiceId")?;
        let receipt = play::submit_answer(
            ctx.platform()?,
            BattleSettings::of(ctx)?,
            user,
            room_id,
            question_id,
            choice_id,
        )
        .await?;
        Ok(AnswerReceipt {
            accepted: true,
            elapsed_ms: receipt.elapsed_ms,
        })
    }
}
