//! Which questions a player must not see the answers of: those not yet revealed in a battle
//! they play. A player could otherwise read `question(id) { explanation }` (or, as a
//! moderator, `choices { isCorrect }`) for the open question and answer in half a second.

use std::collections::HashSet;

use agora_entities::battle::{battle_player, battle_question, battle_room};
use agora_platform::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Query};
use uuid::Uuid;

use agora_entities::battle::battle_room::{Phase, Status};

/// The questions drawn for rooms `user` plays that are open or still to come.
pub(crate) async fn sealed_questions<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
) -> AppResult<HashSet<Uuid>> {
    let playing = Query::select()
        .column(battle_player::Column::RoomId)
        .from(battle_player::Entity)
        .and_where(battle_player::Column::UserId.eq(user))
        .to_owned();
    let rooms = battle_room::Entity::find()
        .filter(battle_room::Column::Id.in_subquery(playing))
        .filter(battle_room::Column::Status.is_in([Status::Lobby, Status::InProgress]))
        .all(db)
        .await?;
    if rooms.is_empty() {
        return Ok(HashSet::new());
    }
    let drawn = battle_question::Entity::find()
        .filter(battle_question::Column::RoomId.is_in(rooms.iter().map(|r| r.id)))
        .all(db)
        .await?;
    Ok(drawn
        .into_iter()
        .filter(|q| {
            rooms
                .iter()
                .find(|r| r.id == q.room_id)
                .is_some_and(|room| unrevealed(room, q.position))
        })
        .map(|q| q.question_id)
        .collect())
}

/// Whether the question at `position` of `room` has not been revealed yet.
fn unrevealed(room: &battle_room::Model, position: i32) -> bool {
    if room.status == Status::Lobby {
        return true;
    }
    position > room.question_index
        || (position == room.question_index && room.phase != Phase::Reveal)
}
