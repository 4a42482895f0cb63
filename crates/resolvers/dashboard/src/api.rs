//! What others may read of the dashboard: its rule for the weakest topic. It reads every other
//! domain and is read by none (only the schema crate merges its query root).

pub use crate::recommend::MIN_ATTEMPTS;
