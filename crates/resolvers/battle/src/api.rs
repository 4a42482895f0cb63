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
