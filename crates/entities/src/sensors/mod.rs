//! Tables of air-quality sensing: stations, their sensors, readings and their hourly sums,
//! followers, alert rules and alerts.

pub mod alert;
pub mod alert_rule;
pub mod reading;
pub mod reading_hour;
pub mod sensor;
pub mod station;
pub mod station_follower;
