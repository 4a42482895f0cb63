//! [`Platform`]: the shared handle every resolver and worker receives.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{
    auth::{Viewer, jwt::JwtKeys},
    bus::EventBus,
    clock::Clock,
    config::Config,
    error::{AppError, AppResult},
    mail::MailSender,
    push::PushSender,
};

/// Everything a domain needs at run time; cheap to clone.
#[derive(Clone)]
pub struct Platform {
    /// The configuration in force.
    pub config: Arc<Config>,
    /// The database pool.
    pub db: DatabaseConnection,
    /// The live-event bus.
    pub bus: Arc<dyn EventBus>,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// Outgoing mail.
    pub mail: Arc<dyn MailSender>,
    /// Outgoing push notifications.
    pub push: Arc<dyn PushSender>,
    /// Access-token keys.
    pub jwt: JwtKeys,
    /// A Redis connection in production mode (shared caches, rate limits, leaderboards).
    pub redis: Option<redis::aio::ConnectionManager>,
    /// Wakes the outbox dispatcher after a commit that wrote events.
    pub outbox_wakeup: Arc<Notify>,
    /// Statements run through `db`.
    pub statements: crate::db::StatementCounter,
}

impl Platform {
    /// Asks the outbox dispatcher to look for new events now rather than at its next poll.
    pub fn wake_outbox(&self) {
        self.outbox_wakeup.notify_one();
    }
}

/// Typed access to what the server puts in every request's GraphQL context.
pub trait ContextExt {
    /// The platform handle (`INTERNAL` if the server forgot it).
    fn platform(&self) -> AppResult<&Platform>;
    /// Who is asking; anonymous when no credentials were sent.
    fn viewer(&self) -> &Viewer;
    /// The request's DataLoader of `L` (`INTERNAL` if the server did not add it).
    fn loader<L: Send + Sync + 'static>(
        &self,
    ) -> AppResult<&async_graphql::dataloader::DataLoader<L>>;
}

static ANONYMOUS: Viewer = Viewer::Anonymous;

impl ContextExt for async_graphql::Context<'_> {
    fn platform(&self) -> AppResult<&Platform> {
        self.data::<Platform>()
            .map_err(|_| AppError::internal("Platform missing from GraphQL context"))
    }

    fn viewer(&self) -> &Viewer {
        self.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
    }

    fn loader<L: Send + Sync + 'static>(
        &self,
    ) -> AppResult<&async_graphql::dataloader::DataLoader<L>> {
        self.data::<async_graphql::dataloader::DataLoader<L>>()
            .map_err(|_| {
                AppError::internal(format!(
                    "loader {} missing from the request",
                    std::any::type_name::<L>()
                ))
            })
    }
}
