//! Who is asking: the [`Viewer`] of a request, [`Role`]s and API-key [`ApiScope`]s, plus the
//! primitives identity builds on (JWT, argon2id, random secrets).

pub mod jwt;
pub mod password;
pub mod secret;

use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A user's role; each includes the powers of the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, async_graphql::Enum)]
pub enum Role {
    /// Plays, learns, submits questions for review.
    Learner,
    /// Reviews submissions; may hold `WRITE` keys.
    Contributor,
    /// Manages content and moderates.
    Moderator,
    /// Manages users, keys and everything else.
    Admin,
}

impl Role {
    /// Stored and wire form, e.g. `LEARNER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Learner => "LEARNER",
            Self::Contributor => "CONTRIBUTOR",
            Self::Moderator => "MODERATOR",
            Self::Admin => "ADMIN",
        }
    }

    /// Parses the stored form.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "LEARNER" => Self::Learner,
            "CONTRIBUTOR" => Self::Contributor,
            "MODERATOR" => Self::Moderator,
            "ADMIN" => Self::Admin,
            _ => return None,
        })
    }
}

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum ApiScope {
    /// Run queries (no mutations) as the key's owner.
    Read,
    /// Run queries and mutations as the key's owner.
    Write,
    /// Partner access: only trusted (persisted) documents.
    Partner,
    /// Push sensor readings for the one station the key is bound to.
    SensorsWrite,
}

impl ApiScope {
    /// Stored and wire form, e.g. `SENSORS_WRITE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "READ",
            Self::Write => "WRITE",
            Self::Partner => "PARTNER",
            Self::SensorsWrite => "SENSORS_WRITE",
        }
    }

    /// Parses the stored form.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "READ" => Self::Read,
            "WRITE" => Self::Write,
            "PARTNER" => Self::Partner,
            "SENSORS_WRITE" => Self::SensorsWrite,
            _ => return None,
        })
    }

    /// The lowest owner role that may create a key with this scope.
    ///
    /// READ for anyone signed in; WRITE acts with the owner's full rights, so contributors and
    /// up; PARTNER and SENSORS_WRITE keys are issued by admins (partners are onboarded, devices
    /// are bound to stations).
    pub fn min_role(self) -> Role {
        match self {
            Self::Read => Role::Learner,
            Self::Write => Role::Contributor,
            Self::Partner | Self::SensorsWrite => Role::Admin,
        }
    }
}

/// A signed-in user, from a JWT access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserViewer {
    /// The user.
    pub user_id: Uuid,
    /// Their role as stored now (not as when the token was issued).
    pub role: Role,
    /// The session the token belongs to.
    pub session_id: Uuid,
}

/// A caller holding an API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyViewer {
    /// The key.
    pub key_id: Uuid,
    /// The user the key acts for.
    pub owner_id: Uuid,
    /// The owner's role now.
    pub owner_role: Role,
    /// What the key may do.
    pub scopes: Vec<ApiScope>,
    /// The station a device key is bound to.
    pub station_id: Option<Uuid>,
    /// The client whose trusted documents a PARTNER key runs (the key's name, which is the
    /// `clientName` its manifests are imported under).
    pub client: Option<String>,
}

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Viewer {
    /// No credentials were sent.
    #[default]
    Anonymous,
    /// A user with an access token.
    User(UserViewer),
    /// A partner or device with an API key.
    ApiKey(KeyViewer),
}

impl Viewer {
    /// Whether this is a PARTNER key. Such a key reads what anyone may read, through its
    /// client's trusted documents; it acts for nobody, so no viewer-private field (the
    /// creating admin's keys, notifications or profile) answers it.
    pub fn is_partner(&self) -> bool {
        self.has_scope(ApiScope::Partner)
    }

    /// The user this viewer acts as, if any (a PARTNER key acts for nobody).
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::Anonymous => None,
            Self::User(u) => Some(u.user_id),
            Self::ApiKey(_) if self.is_partner() => None,
            Self::ApiKey(k) => Some(k.owner_id),
        }
    }

    /// The role in force: a user's own, or a key owner's (none for a PARTNER key).
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Anonymous => None,
            Self::User(u) => Some(u.role),
            Self::ApiKey(_) if self.is_partner() => None,
            Self::ApiKey(k) => Some(k.owner_role),
        }
    }

    /// The acting user's id: `UNAUTHENTICATED` when anonymous, `FORBIDDEN` for a PARTNER key.
    pub fn require_user(&self) -> AppResult<Uuid> {
        if self.is_partner() {
            return Err(AppError::Forbidden(
                "a partner key reads public data only; this needs a signed-in user".into(),
            ));
        }
        self.user_id().ok_or_else(AppError::sign_in_required)
    }

    /// The acting user's id if their role is at least `min`; `UNAUTHENTICATED` when anonymous,
    /// `FORBIDDEN` when the role is too low.
    pub fn require_role(&self, min: Role) -> AppResult<Uuid> {
        let user_id = self.require_user()?;
        match self.role() {
            Some(role) if role >= min => Ok(user_id),
            _ => Err(AppError::Forbidden(format!(
                "this needs the {} role or higher",
                min.as_str()
            ))),
        }
    }

    /// Whether this viewer is (or acts for) an admin.
    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }

    /// Whether the viewer is the user `id` or an admin.
    pub fn is_self_or_admin(&self, id: Uuid) -> bool {
        self.user_id() == Some(id) || self.is_admin()
    }

    /// Whether this is an API key with `scope`.
    pub fn has_scope(&self, scope: ApiScope) -> bool {
        matches!(self, Self::ApiKey(k) if k.scopes.contains(&scope))
    }

    /// Whether this is a station device key: any key holding `SENSORS_WRITE`. Such a key may
    /// only push readings for its bound station, whatever else it holds (new keys cannot
    /// combine `SENSORS_WRITE` with another scope; older ones that do are held to ingestion).
    pub fn is_device_key(&self) -> bool {
        matches!(self, Self::ApiKey(k) if k.scopes.contains(&ApiScope::SensorsWrite))
    }

    /// Whether this viewer may run mutations: users may; keys need `WRITE` (a device key runs
    /// the ingestion mutation only, which the executor and the mutation check for themselves).
    pub fn may_mutate(&self) -> bool {
        match self {
            Self::ApiKey(k) => k.scopes.contains(&ApiScope::Write) || self.is_device_key(),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> Viewer {
        Viewer::User(UserViewer {
            user_id: Uuid::now_v7(),
            role,
            session_id: Uuid::now_v7(),
        })
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin > Role::Moderator);
        assert!(Role::Moderator > Role::Contributor);
        assert!(Role::Contributor > Role::Learner);
    }

    #[test]
    fn anonymous_is_unauthenticated_and_low_role_is_forbidden() {
        assert!(matches!(
            Viewer::Anonymous.require_role(Role::Learner),
            Err(AppError::Unauthenticated(_))
        ));
        assert!(matches!(
            user(Role::Learner).require_role(Role::Moderator),
            Err(AppError::Forbidden(_))
        ));
        assert!(user(Role::Admin).require_role(Role::Moderator).is_ok());
    }

    /// An admin's key with `scopes`.
    fn key(scopes: Vec<ApiScope>) -> Viewer {
        Viewer::ApiKey(KeyViewer {
            key_id: Uuid::now_v7(),
            owner_id: Uuid::now_v7(),
            owner_role: Role::Admin,
            scopes,
            station_id: None,
            client: None,
        })
    }

    #[test]
    fn read_keys_cannot_mutate() {
        assert!(!key(vec![ApiScope::Read]).may_mutate());
        assert!(!key(vec![ApiScope::Partner]).may_mutate());
        assert!(key(vec![ApiScope::Read, ApiScope::Write]).may_mutate());
    }

    #[test]
    fn any_key_holding_sensors_write_is_a_device_key() {
        for scopes in [
            vec![ApiScope::SensorsWrite],
            vec![ApiScope::Read, ApiScope::SensorsWrite],
            vec![ApiScope::Partner, ApiScope::SensorsWrite],
            vec![ApiScope::Write, ApiScope::SensorsWrite],
        ] {
            assert!(key(scopes.clone()).is_device_key(), "{scopes:?}");
        }
        assert!(!key(vec![ApiScope::Read, ApiScope::Write]).is_device_key());
    }

    #[test]
    fn role_and_scope_names_round_trip() {
        for role in [
            Role::Learner,
            Role::Contributor,
            Role::Moderator,
            Role::Admin,
        ] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for scope in [
            ApiScope::Read,
            ApiScope::Write,
            ApiScope::Partner,
            ApiScope::SensorsWrite,
        ] {
            assert_eq!(ApiScope::parse(scope.as_str()), Some(scope));
        }
    }
}
