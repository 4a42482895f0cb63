//! Outgoing push notifications. Notifications hand a [`PushMessage`] to a [`PushSender`];
//! development logs it, tests keep it in a [`Pushbox`], deployments with `PUSH_WEBHOOK_URL`
//! POST it to a push gateway through [`WebhookPushSender`] (which talks to APNs / FCM / Web
//! Push, so Agora holds no device tokens or vendor keys).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// One push, as the webhook receives it (camelCase JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushMessage {
    /// The notification it announces; the same on every retry, so a gateway can drop repeats.
    pub notification_id: Uuid,
    /// The recipient.
    pub user_id: Uuid,
    /// The notification kind, e.g. `STREAK_AT_RISK`.
    pub kind: String,
    /// Title line.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Kind-specific details (JSON object).
    pub data: serde_json::Value,
}

/// Something that delivers pushes.
#[async_trait]
pub trait PushSender: Send + Sync {
    /// Sends one push; an error makes the caller retry later.
    async fn send(&self, push: PushMessage) -> AppResult<()>;
}

/// The development sender: writes each push to the log.
#[derive(Debug, Default)]
pub struct LogPushSender;

#[async_trait]
impl PushSender for LogPushSender {
    async fn send(&self, push: PushMessage) -> AppResult<()> {
        tracing::info!(user_id = %push.user_id, kind = %push.kind, title = %push.title, "push (logged, not sent)");
        Ok(())
    }
}

/// How long one webhook call may take before it fails (and the outbox retries).
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// POSTs each push as JSON to a webhook; any answer but 2xx is an error.
#[derive(Debug, Clone)]
pub struct WebhookPushSender {
    client: reqwest::Client,
    url: String,
}

impl WebhookPushSender {
    /// A sender posting to `url` (`http://` or `https://`); the message names the setting.
    pub fn new(url: &str) -> Result<Self, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("PUSH_WEBHOOK_URL: {url:?} is not an http(s) URL"));
        }
        let client = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("PUSH_WEBHOOK_URL: cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            url: url.to_owned(),
        })
    }
}

#[async_trait]
impl PushSender for WebhookPushSender {
    async fn send(&self, push: PushMessage) -> AppResult<()> {
        let response = self
            .client
            .post(&self.url)
            .json(&push)
            .send()
            .await
            .map_err(|e| AppError::internal(format!("push webhook: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(AppError::internal(format!(
                "push webhook answered {status}"
            )));
        }
        Ok(())
    }
}

/// Keeps every push in memory; for tests and local tooling.
#[derive(Debug, Default, Clone)]
pub struct Pushbox(Arc<Mutex<Vec<PushMessage>>>);

impl Pushbox {
    /// All pushes sent so far.
    pub fn messages(&self) -> Vec<PushMessage> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The pushes sent to `user_id`, oldest first.
    pub fn to_user(&self, user_id: Uuid) -> Vec<PushMessage> {
        self.messages()
            .into_iter()
            .filter(|p| p.user_id == user_id)
            .collect()
    }
}

#[async_trait]
impl PushSender for Pushbox {
    async fn send(&self, push: PushMessage) -> AppResult<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(push);
        Ok(())
    }
}
