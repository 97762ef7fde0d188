//! What a client asks on its WebSocket: `{"type": "subscribe", "stream": "hashtag", "tag": "rust"}`.
//!
//! Kept apart from the socket so that everything a client can send is parsed by one pure
//! function, which tests can feed anything.

use serde::Deserialize;
use starling_core::Id;

use super::stream::{Stream, StreamError};

#[derive(Deserialize)]
struct Command {
    #[serde(rename = "type")]
    kind: String,
    stream: Option<String>,
    tag: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Subscribe,
    Unsubscribe,
}

/// A refused command: the message and status Mastodon sends back in `{"error", "status"}`.
#[derive(Debug, PartialEq, Eq)]
pub struct CommandError {
    pub message: String,
    pub status: u16,
}

impl CommandError {
    fn bad_request(message: impl Into<String>) -> Self {
        CommandError { message: message.into(), status: 400 }
    }
}

impl From<StreamError> for CommandError {
    fn from(e: StreamError) -> Self {
        let status = if e == StreamError::NeedsUser { 401 } else { 400 };
        CommandError { message: e.to_string(), status }
    }
}

/// Parses one text message from a client signed in as `user` (if anyone).
///
/// The stream is checked before the command type, so a command of an unknown type for a stream
/// that needs a user is refused as unauthorised; clients see the answers they always have.
/// Nesting is bounded by serde_json's recursion limit, so no message can exhaust the stack.
pub fn parse_command(text: &str, user: Option<Id>) -> Result<(Action, Stream), CommandError> {
    let cmd = serde_json::from_str::<Command>(text).map_err(|_| CommandError::bad_request("Invalid JSON"))?;
    let stream = Stream::parse(cmd.stream.as_deref().unwrap_or(""), cmd.tag.as_deref(), user)?;
    let action = match cmd.kind.as_str() {
        "subscribe" => Action::Subscribe,
        "unsubscribe" => Action::Unsubscribe,
        other => return Err(CommandError::bad_request(format!("Unknown command: {other}"))),
    };
    Ok((action, stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const USER: Option<Id> = Some(Id(7));

    /// Every name `Stream::parse` accepts, with what it means (hashtag streams with the tag "rust").
    fn accepted() -> Vec<(&'static str, Stream)> {
        vec![
            ("user", Stream::User),
            ("user:notification", Stream::UserNotification),
            ("public", Stream::Public),
            ("public:local", Stream::PublicLocal),
            ("public:remote", Stream::PublicRemote),
            ("hashtag", Stream::Hashtag("rust".into())),
            ("hashtag:local", Stream::HashtagLocal("rust".into())),
            ("direct", Stream::Direct),
            ("public:media", Stream::PublicMedia),
            ("public:local:media", Stream::PublicLocalMedia),
            ("public:remote:media", Stream::PublicRemote),
        ]
    }

    fn message(kind: &str, stream: &str, tag: Option<&str>) -> String {
        json!({ "type": kind, "stream": stream, "tag": tag }).to_string()
    }

    fn status(text: &str, user: Option<Id>) -> Option<u16> {
        parse_command(text, user).err().map(|e| e.status)
    }

    #[test]
    fn every_stream_can_be_subscribed_and_unsubscribed() {
        for (name, stream) in accepted() {
            for (kind, action) in [("subscribe", Action::Subscribe), ("unsubscribe", Action::Unsubscribe)] {
                let parsed = parse_command(&message(kind, name, Some("#Rust")), USER);
                assert_eq!(parsed, Ok((action, stream.clone())), "{kind} {name}");
            }
        }
    }

    #[test]
    fn user_streams_without_a_user_are_unauthorised() {
        for (name, stream) in accepted() {
            let expected = if stream.needs_user() { Some(401) } else { None };
            assert_eq!(status(&message("subscribe", name, Some("rust")), None), expected, "{name}");
        }
        let refused = parse_command(&message("subscribe", "direct", None), None);
        assert_eq!(refused, Err(CommandError { message: "Missing access token".into(), status: 401 }));
    }

    #[test]
    fn the_stream_is_checked_before_the_type() {
        assert_eq!(status(&message("bogus", "user", None), None), Some(401));
        assert_eq!(status(&message("bogus", "nope", None), USER), Some(400));
        let unknown = parse_command(&message("bogus", "public", None), USER);
        assert_eq!(unknown, Err(CommandError { message: "Unknown command: bogus".into(), status: 400 }));
    }

    #[test]
    fn malformed_commands_are_bad_requests() {
        let invalid = Err(CommandError { message: "Invalid JSON".into(), status: 400 });
        for text in ["", "null", "{", "{}", "[]", "\"subscribe\"", r#"{"stream":"public"}"#, r#"{"type":1}"#] {
            assert_eq!(parse_command(text, USER), invalid, "{text}");
        }
        assert_eq!(status(&message("subscribe", "hashtag", None), USER), Some(400));
        assert_eq!(status(&message("subscribe", "hashtag", Some(" # ")), USER), Some(400));
        assert_eq!(status(r#"{"type":"subscribe"}"#, USER), Some(400));
        assert_eq!(status(r#"{"type":"subscribe","stream":"public","type":"subscribe"}"#, USER), Some(400));
    }

    /// serde_json gives up past 128 levels, long before the stack would.
    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let depth = 100_000;
        let prefixes = ["", r#"{"type":"#, r#"{"type":"subscribe","stream":"public","x":"#, r#"{"tag":"#];
        for prefix in prefixes {
            for (open, close) in [("[", "]"), (r#"{"a":"#, "}")] {
                let text = format!("{prefix}{}{}", open.repeat(depth), close.repeat(depth));
                assert_eq!(status(&text, USER), Some(400), "{prefix}{open}...");
            }
        }
    }

    #[test]
    fn long_messages_are_parsed_or_refused_whole() {
        // A megabyte of letters is no hashtag (at most 100 characters), so no stream either.
        let tag = "a".repeat(1 << 20);
        assert_eq!(status(&message("subscribe", "hashtag", Some(&tag)), None), Some(400));
        let longest = "a".repeat(100);
        let parsed = parse_command(&message("subscribe", "hashtag", Some(&longest)), None);
        assert_eq!(parsed, Ok((Action::Subscribe, Stream::Hashtag(longest))));
        assert_eq!(status(&format!("{{\"type\":\"subscribe\",\"stream\":\"{tag}"), None), Some(400));
        assert_eq!(status(&"[".repeat(1 << 20), None), Some(400));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const NAMES: &[&str] = &[
            "user",
            "user:notification",
            "public",
            "public:local",
            "public:remote",
            "hashtag",
            "hashtag:local",
            "direct",
            "public:media",
            "public:local:media",
            "public:remote:media",
        ];

        /// Pieces of JSON, escapes serde_json must refuse or decode, and the words of commands,
        /// to make text that gets past the first bytes.
        const SYNTAX: &[&str] =
            &["{", "}", "[", "]", "\"", ":", ",", " ", "\n", "\\", "\\u0000", "\\ud800", "\\\"", "null", "1e999", "-0"];
        const WORDS: &[&str] =
            &["\"type\"", "\"stream\"", "\"tag\"", "\"subscribe\"", "\"unsubscribe\"", "\"public\"", "\"user\""];

        fn jsonish() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                3 => prop::sample::select(SYNTAX).prop_map(str::to_string),
                2 => prop::sample::select(WORDS).prop_map(str::to_string),
                1 => "\\PC{1,4}",
                1 => (prop::sample::select(&["[", "{\"a\":", "{\"type\":"][..]), 100usize..300)
                    .prop_map(|(p, n)| p.repeat(n)),
            ];
            prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
        }

        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                "\\PC{0,200}",
                prop::collection::vec(any::<char>(), 0..200).prop_map(String::from_iter),
                jsonish(),
            ]
        }

        fn json_string() -> impl Strategy<Value = String> {
            prop_oneof![
                prop::sample::select(NAMES).prop_map(str::to_string),
                prop::sample::select(
                    &["subscribe", "unsubscribe", "type", "stream", "tag", "", "#", "##Rust", " #Rust "][..]
                )
                .prop_map(str::to_string),
                // Tags wrapped in the signs and spaces the stream parser trims.
                "[# \t\u{3000}]{0,3}[a-zA-ZΣİ]{0,4}[# ]{0,2}",
                "\\PC{0,12}",
                prop::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter),
            ]
        }

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                json_string().prop_map(Value::from),
            ];
            leaf.prop_recursive(6, 64, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::btree_map(json_string(), inner, 0..6)
                        .prop_map(|fields| Value::Object(fields.into_iter().collect())),
                ]
            })
        }

        /// Objects shaped like commands, with any value in each field (or the field left out).
        fn command_like() -> impl Strategy<Value = Value> {
            let field = || {
                prop_oneof![
                    3 => json_string().prop_map(|s| Some(Value::from(s))),
                    1 => Just(None),
                    1 => json_value().prop_map(Some),
                ]
            };
            (field(), field(), field()).prop_map(|(kind, stream, tag)| {
                let fields = [("type", kind), ("stream", stream), ("tag", tag)];
                Value::Object(fields.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?))).collect())
            })
        }

        fn user() -> impl Strategy<Value = Option<Id>> {
            prop_oneof![Just(None), any::<i64>().prop_map(|i| Some(Id(i)))]
        }

        /// Whatever comes in, the answer is a command or a 400/401, and only a stream that needs
        /// a user is refused as unauthorised.
        fn check(text: &str, user: Option<Id>) -> Result<(), TestCaseError> {
            match parse_command(text, user) {
                Ok((_, stream)) => prop_assert!(user.is_some() || !stream.needs_user()),
                Err(e) => {
                    prop_assert!(e.status == 400 || (e.status == 401 && user.is_none()), "{:?}", e);
                    prop_assert!(!e.message.is_empty());
                }
            }
            Ok(())
        }

        proptest! {
            #[test]
            fn any_text_gets_an_answer(text in text(), user in user()) {
                check(&text, user)?;
            }

            #[test]
            fn any_json_gets_an_answer(value in prop_oneof![json_value(), command_like()], user in user()) {
                check(&value.to_string(), user)?;
            }

            /// A command for any stream, with any tag, means what it says, and the stream it
            /// names parses back to itself from its own names.
            #[test]
            fn commands_round_trip(
                name in prop::sample::select(NAMES),
                tag in prop::option::of(json_string()),
                subscribe in any::<bool>(),
                user in user(),
            ) {
                let (kind, action) =
                    if subscribe { ("subscribe", Action::Subscribe) } else { ("unsubscribe", Action::Unsubscribe) };
                let parsed = parse_command(&message(kind, name, tag.as_deref()), user);
                match Stream::parse(name, tag.as_deref(), user) {
                    Ok(stream) => {
                        prop_assert_eq!(parsed, Ok((action, stream.clone())));
                        let names = stream.names();
                        let again = message(kind, &names[0], names.get(1).map(String::as_str));
                        prop_assert_eq!(parse_command(&again, user), Ok((action, stream)));
                    }
                    Err(e) => prop_assert_eq!(parsed, Err(CommandError::from(e))),
                }
            }
        }
    }
}
