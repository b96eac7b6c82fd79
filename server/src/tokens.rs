//! Room ids and tokens: random, URL-safe, and checked in constant time.
//!
//! A token is 18 random bytes (144 bits) as 24 base64url characters. The store keeps only its
//! SHA-256 digest; a presented token is hashed and compared with each role's digest with
//! `subtle`, so neither the comparison nor the store leaks a token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::{RoomRecord, SeatRecord};
use kortvaeg_shared::Role;

/// A fresh token: 144 random bits, base64url.
pub fn new_token() -> String {
    random_string::<18>()
}

/// A fresh room id: 72 random bits, 12 base64url characters (short enough for a link on a slide).
pub fn new_room_id() -> String {
    random_string::<9>()
}

/// The letters of a join code: no 0/O, 1/I/L, so a code read off a projector is typed right.
const JOIN_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// How long a join code is (31^6: about 30 bits; lookups are rate-limited).
pub const JOIN_CODE_LEN: usize = 6;

/// A fresh join code: six characters of [`JOIN_CODE_ALPHABET`].
pub fn new_join_code() -> String {
    let mut bytes = [0u8; JOIN_CODE_LEN];
    rand::fill(&mut bytes);
    bytes
        .iter()
        .map(|b| {
            // 256 is not a multiple of 31: redraw past the last whole multiple (no bias).
            let mut b = *b;
            while usize::from(b) >= 31 * 8 {
                let mut one = [0u8; 1];
                rand::fill(&mut one);
                b = one[0];
            }
            JOIN_CODE_ALPHABET[usize::from(b) % JOIN_CODE_ALPHABET.len()] as char
        })
        .collect()
}

/// `text` as a join code, if it reads as one: case, spaces and hyphens do not count
/// ("k7m 2qx" is "K7M2QX").
pub fn as_join_code(text: &str) -> Option<String> {
    let code: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == JOIN_CODE_LEN && code.bytes().all(|b| JOIN_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

fn random_string<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256 of a token, as kept in the store.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The role `token` gives in the room, or `None` if it is not one of the room's tokens.
/// All three digests are compared every time, in constant time.
pub fn role_of(record: &RoomRecord, token: &str) -> Option<Role> {
    let presented = digest(token);
    let eq = |stored: &str| bool::from(presented.as_bytes().ct_eq(stored.as_bytes()));
    let facilitator = eq(&record.facilitator_digest);
    let participant = eq(&record.participant_digest);
    let review = eq(&record.review_digest);
    if facilitator {
        Some(Role::Facilitator)
    } else if participant {
        Some(Role::Participant)
    } else if review {
        Some(Role::Review)
    } else {
        None
    }
}

/// The seat whose token `token` is, comparing with every seat's digest in constant time.
pub fn seat_of<'a>(seats: &'a [SeatRecord], token: &str) -> Option<&'a SeatRecord> {
    let presented = digest(token);
    let mut found = None;
    for seat in seats {
        if bool::from(presented.as_bytes().ct_eq(seat.token_digest.as_bytes())) {
            found = Some(seat);
        }
    }
    found
}

/// A fresh seat id: 72 random bits, base64url.
pub fn new_seat_id() -> String {
    random_string::<9>()
}

/// Could `id` be a room id? Anything else is answered 404 without asking the store.
pub fn is_room_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> (RoomRecord, [String; 3]) {
        let tokens = [new_token(), new_token(), new_token()];
        let record = RoomRecord {
            id: new_room_id(),
            title: "t".into(),
            template: "x".into(),
            created_at: String::new(),
            facilitator_digest: digest(&tokens[0]),
            participant_digest: digest(&tokens[1]),
            review_digest: digest(&tokens[2]),
            creator: None,
            anonymity: Default::default(),
        };
        (record, tokens)
    }

    #[test]
    fn tokens_are_long_url_safe_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 24);
        assert_ne!(a, b);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert!(is_room_id(&new_room_id()));
    }

    #[test]
    fn each_token_maps_to_its_role() {
        let (record, [f, p, r]) = record();
        assert_eq!(role_of(&record, &f), Some(Role::Facilitator));
        assert_eq!(role_of(&record, &p), Some(Role::Participant));
        assert_eq!(role_of(&record, &r), Some(Role::Review));
        assert_eq!(role_of(&record, "nope"), None);
        assert_eq!(role_of(&record, ""), None);
    }

    #[test]
    fn odd_ids_are_not_room_ids() {
        for id in ["", "../x", "a b", "æøå", &"a".repeat(65)] {
            assert!(!is_room_id(id), "{id:?}");
        }
    }

    #[test]
    fn join_codes_are_six_unambiguous_characters() {
        for _ in 0..200 {
            let code = new_join_code();
            assert_eq!(as_join_code(&code), Some(code.clone()), "{code}");
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
        }
        assert_eq!(as_join_code("k7m 2qx").as_deref(), Some("K7M2QX"));
        assert_eq!(as_join_code("K7M-2QX").as_deref(), Some("K7M2QX"));
        assert_eq!(as_join_code("K7M2Q"), None);
        assert_eq!(as_join_code("K7M2Q0"), None, "no zero");
    }
}
