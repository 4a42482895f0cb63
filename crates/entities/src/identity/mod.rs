//! Tables of the identity domain: users, sessions, refresh tokens, API keys, one-time tokens,
//! login attempts.

pub mod api_key;
pub mod login_attempt;
pub mod one_time_token;
pub mod refresh_token;
pub mod session;
pub mod user;
