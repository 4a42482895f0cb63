//! Tables owned by the platform itself: the transactional outbox.

pub mod outbox_delivery;
pub mod outbox_event;
