//! A WebSocket client's message on arbitrary UTF-8: a command, or a 400/401, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use starling_core::Id;
use starling_server::realtime::command::parse_command;

fuzz_target!(|text: &str| {
    for user in [None, Some(Id(1))] {
        match parse_command(text, user) {
            Ok((_, stream)) => assert!(user.is_some() || !stream.needs_user()),
            Err(e) => assert!(e.status == 400 || (e.status == 401 && user.is_none()), "{e:?}"),
        }
    }
});
