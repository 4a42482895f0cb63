//! Tables owned by the platform itself: the transactional outbox, scheduled-job locks and the
//! trusted documents (persisted operations) the schema serves.

pub mod job_run;
pub mod outbox_delivery;
pub mod outbox_event;
pub mod persisted_operation;
