//! Global object ids for the Relay `Node` interface: `base64url("Type:uuid")`.
//!
//! Every `id` field the API returns is global, so a client can refetch any object with
//! `node(id:)` and can never pass a user id where a room id is expected.

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::error::AppError;

/// Encodes the global id of object `type_name` with primary key `id`.
pub fn encode(type_name: &str, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{id}")))
}

/// Splits a global id into its type name and uuid; `BAD_USER_INPUT` naming `field` when it is
/// not one.
pub fn decode_any(id: &ID, field: &str) -> Result<(String, Uuid), AppError> {
    let invalid = || AppError::bad_input(field, format!("`{}` is not a valid id", id.as_str()));
    let raw = URL_SAFE_NO_PAD
        .decode(id.as_bytes())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(raw).map_err(|_| invalid())?;
    let (type_name, uuid) = text.split_once(':').ok_or_else(invalid)?;
    let uuid = Uuid::parse_str(uuid).map_err(|_| invalid())?;
    Ok((type_name.to_owned(), uuid))
}

/// Decodes a global id that must name an object of `type_name`.
pub fn decode(id: &ID, type_name: &str, field: &str) -> Result<Uuid, AppError> {
    let (found, uuid) = decode_any(id, field)?;
    if found != type_name {
        return Err(AppError::bad_input(
            field,
            format!("expected the id of a {type_name}, got one of a {found}"),
        ));
    }
    Ok(uuid)
}

/// [`decode`] for an optional argument: `None` stays `None`.
pub fn decode_opt(id: Option<&ID>, type_name: &str, field: &str) -> Result<Option<Uuid>, AppError> {
    id.map(|id| decode(id, type_name, field)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_id_round_trips() {
        let id = Uuid::now_v7();
        let global = encode("User", id);
        assert_eq!(decode(&global, "User", "id").expect("decodes"), id);
    }

    #[test]
    fn id_of_another_type_is_bad_input() {
        let global = encode("BattleRoom", Uuid::now_v7());
        let err = decode(&global, "User", "userId").expect_err("wrong type");
        assert!(matches!(err, AppError::BadInput { field: Some(f), .. } if f == "userId"));
    }

    #[test]
    fn garbage_id_is_bad_input() {
        assert!(decode(&ID::from("not-an-id!"), "User", "id").is_err());
        assert!(decode(&ID::from(URL_SAFE_NO_PAD.encode("User:42")), "User", "id").is_err());
    }
}
