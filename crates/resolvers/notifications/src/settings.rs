//! The notifications domain's settings, flattened into the `agora` CLI; the server builds the
//! push sender from them.

/// Where notifications are delivered outside the API.
#[derive(Debug, Clone, clap::Args)]
pub struct NotificationsSettings {
    /// Push gateway webhook: each push is POSTed there as JSON; unset logs pushes instead.
    #[arg(long = "push-webhook-url", env = "PUSH_WEBHOOK_URL", global = true)]
    pub push_webhook_url: Option<String>,
}
