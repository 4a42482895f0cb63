//! What the server asks of battle rooms: the driver.

pub use crate::driver::run as run_driver;

/// The questions whose answers `user` must not see now: every question drawn for a room they
/// play that has not been revealed yet (all of a lobby's, and from the open one on in a
/// running battle). The knowledge hub hides their explanations and correctness from them.
pub fn sealed_questions(
    platform: agora_platform::Platform,
    user: uuid::Uuid,
) -> futures::future::BoxFuture<
    'static,
    agora_platform::AppResult<std::collections::HashSet<uuid::Uuid>>,
> {
    Box::pin(async move { crate::service::seal::sealed_questions(&platform.db, user).await })
}

pub use crate::types::{BATTLE_ROOM_TYPE, BattleRoom};

/// Room `id` for `node(id:)`: public rooms, and private ones for their players.
pub async fn room_node(
    platform: &agora_platform::Platform,
    viewer: uuid::Uuid,
    id: uuid::Uuid,
) -> agora_platform::AppResult<Option<BattleRoom>> {
    Ok(crate::service::rooms::visible(platform, viewer, id)
        .await?
        .map(|room| BattleRoom(std::sync::Arc::new(room))))
}
