//! Outgoing mail. Services hand a [`Mail`] to a [`MailSender`]; development logs it, tests keep
//! it in a [`Mailbox`] to read the link back, deployments with `SMTP_URL` send it through
//! [`SmtpMailSender`].

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::header::ContentType,
};

use crate::error::{AppError, AppResult};

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Something that delivers mail.
#[async_trait]
pub trait MailSender: Send + Sync {
    /// Sends one message.
    async fn send(&self, mail: Mail) -> AppResult<()>;
}

/// The development sender: writes each message, link included, to the log.
#[derive(Debug, Default)]
pub struct LogMailSender;

#[async_trait]
impl MailSender for LogMailSender {
    async fn send(&self, mail: Mail) -> AppResult<()> {
        tracing::info!(to = %mail.to, subject = %mail.subject, body = %mail.body, "mail (logged, not sent)");
        Ok(())
    }
}

/// Sends mail through an SMTP server (lettre, async on tokio, rustls for TLS).
///
/// The URL selects the transport: `smtp://host:port` is plain SMTP (a local relay or a test
/// catcher), `smtp://host?tls=required` upgrades with STARTTLS (port 587 by default),
/// `smtps://host` is TLS from the first byte (port 465); `user:password@` authenticates.
/// Each message opens its own connection: mail is sent from outbox handlers at a pace where a
/// pool would only hold idle sockets.
pub struct SmtpMailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

/// How long one SMTP exchange may take before the send fails (and the outbox retries).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

impl SmtpMailSender {
    /// A sender for `url` with `from` as the sender address (`Name <address>` or `address`);
    /// the message names the setting at fault.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP_URL: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from: lettre::message::Mailbox = from
            .parse()
            .map_err(|e| format!("MAIL_FROM: {from:?} is not an address ({e})"))?;
        Ok(Self { transport, from })
    }
}

impl std::fmt::Debug for SmtpMailSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailSender")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl MailSender for SmtpMailSender {
    async fn send(&self, mail: Mail) -> AppResult<()> {
        let to: lettre::message::Mailbox = mail
            .to
            .parse()
            .map_err(|e| AppError::internal(format!("mail recipient {:?}: {e}", mail.to)))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| AppError::internal(format!("building mail: {e}")))?;
        self.transport
            .send(message)
            .await
            .map_err(|e| AppError::internal(format!("SMTP: {e}")))?;
        Ok(())
    }
}

/// Keeps every message in memory; for tests and local tooling.
#[derive(Debug, Default, Clone)]
pub struct Mailbox(Arc<Mutex<Vec<Mail>>>);

impl Mailbox {
    /// All messages sent so far.
    pub fn messages(&self) -> Vec<Mail> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The newest message to `to`.
    pub fn last_to(&self, to: &str) -> Option<Mail> {
        self.messages().into_iter().rev().find(|m| m.to == to)
    }
}

#[async_trait]
impl MailSender for Mailbox {
    async fn send(&self, mail: Mail) -> AppResult<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(mail);
        Ok(())
    }
}
