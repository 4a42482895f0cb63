//! Tables owned by the platform itself: the transactional outbox and scheduled-job locks.

pub mod job_run;
pub mod outbox_delivery;
pub mod outbox_event;
