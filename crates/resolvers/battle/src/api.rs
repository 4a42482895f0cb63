//! What the server asks of battle rooms: the driver.

pub use crate::driver::run as run_driver;
