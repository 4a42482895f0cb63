//! Outgoing mail. Services hand a [`Mail`] to a [`MailSender`]; development logs it, tests keep
//! it in a [`Mailbox`] to read the link back.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::AppResult;

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
