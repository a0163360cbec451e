//! A client of the counter and key-value servers through their typed interfaces (scenarios in
//! `init/scenarios/system.rs`). The argument picks the check:
//! - `ROUND_TRIP`: every operation's arguments and results survive the trip, a server's error
//!   comes back as that error.
//! - `BAD_REQUESTS`: raw messages the interface does not describe (unknown labels, too few or
//!   too many words, values out of their type's range) are refused, and the server goes on.
//! - `PEER_GONE`: a call the server dies in fails with `PeerGone`; the next call reaches the
//!   restarted server (fresh state) through the name service, and the `kv` server beside it
//!   never noticed.
#![no_std]
#![no_main]

mod caps_common;
mod counter_interface;
mod kv_interface;

use caps_common::{slot, Checks};
use counter_interface::counter;
use kv_interface::kv;
use tryst::interface::{Name, Wire};
use tryst::ipc::{self, MessageExt};
use tryst::{Error, Message};

tryst::entry!(main);

const ROUND_TRIP: u64 = 0;
const BAD_REQUESTS: u64 = 1;
const PEER_GONE: u64 = 2;

fn main(check: u64) -> u32 {
    let mut checks = Checks::new("counter_client");
    let first = tryst::boot_info().first_free_slot;
    let Some(counter) = checks.ok("look up counter", counter::Client::lookup("counter", slot(first))) else {
        return checks.finish();
    };
    let Some(store) = checks.ok("look up kv", kv::Client::lookup("kv", slot(first + 1))) else {
        return checks.finish();
    };
    let name = |text| Name::new(text).expect("a short name");
    match check {
        ROUND_TRIP => {
            checks.equal("add 5", counter.add(5), Ok(5));
            checks.equal("add 7", counter.add(7), Ok(12));
            checks.equal("total", counter.total(), Ok(12));
            let echoed = counter.echo(name("tryst"), true, 200, -42);
            checks.equal("echo", echoed, Ok((name("tryst"), true, 200, -42, 212)));
            checks.equal(
                "overflow is the server's error",
                counter.add(u64::MAX),
                Err(Error::InvalidArgument),
            );
            checks.equal("kv put", store.put(name("answer"), 42), Ok(()));
            checks.equal("kv get", store.get(name("answer")), Ok(42));
            checks.equal("kv len", store.len(), Ok(1));
            checks.equal("kv get missing", store.get(name("question")), Err(Error::NotFound));
            checks.equal("kv remove", store.remove(name("answer")), Ok(42));
            checks.equal("kv len after", store.len(), Ok(0));
        }
        BAD_REQUESTS => {
            let endpoint = counter.connection().endpoint();
            let raw = |label: u64, words: &[u64]| {
                let answer = ipc::call(endpoint, Message::long(label, words))?;
                ipc::answered(&answer).map(|()| answer.info.length)
            };
            let mut text = [0u64; 3];
            name("ok").put(&mut text);
            let echo = |flag: u64, small: u64| [text[0], text[1], text[2], flag, small, 0];
            checks.error("an unknown operation", raw(99, &[1]), Error::UnknownOperation);
            checks.error("label 0", raw(0, &[]), Error::UnknownOperation);
            checks.error("add with no words", raw(counter::op::add, &[]), Error::InvalidArgument);
            checks.error("add with two words", raw(counter::op::add, &[1, 2]), Error::InvalidArgument);
            checks.error(
                "echo with a bool of 2",
                raw(counter::op::echo, &echo(2, 1)),
                Error::InvalidArgument,
            );
            checks.error(
                "echo with a u8 of 300",
                raw(counter::op::echo, &echo(1, 300)),
                Error::InvalidArgument,
            );
            let bad_text = [0xff, 0, 0, 1, 1, 0];
            checks.error(
                "echo with a name not UTF-8",
                raw(counter::op::echo, &bad_text),
                Error::InvalidArgument,
            );
            checks.error("total with 64 words", raw(counter::op::total, &[7; 64]), Error::InvalidArgument);
            checks.equal("the refusals changed nothing", counter.total(), Ok(0));
            checks.equal("and the server goes on", counter.add(1), Ok(1));
            checks.equal(
                "a well-formed raw request, answer words",
                raw(counter::op::echo, &echo(1, 3)),
                Ok(7),
            );
        }
        PEER_GONE => {
            checks.equal("kv put before", store.put(name("kept"), 7), Ok(()));
            checks.equal("add 10", counter.add(10), Ok(10));
            let before = counter.whoami();
            checks.equal("crash it", counter.crash(), Err(Error::PeerGone));
            checks.equal("the next call reaches a fresh instance", counter.add(1), Ok(1));
            checks.equal("it sees the same badge", counter.whoami(), before);
            checks.equal("kv was not disturbed", store.get(name("kept")), Ok(7));
            checks.equal("crash it again", counter.crash(), Err(Error::PeerGone));
            checks.equal("and recover again", counter.total(), Ok(0));
        }
        _ => checks.fail("argument", format_args!("unknown check {check}")),
    }
    checks.finish()
}
