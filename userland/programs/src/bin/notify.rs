//! The plain notification roles of the notification scenarios
//! (`userland/programs/src/bin/init/scenarios/notify.rs`), chosen by the argument:
//! `role | count << 8 | delay << 16`. Its first boot capability is the notification (or, for
//! `SEND`, the endpoint) it works on.
//!
//! - `SIGNAL`: sleeps `delay` ticks, then signals `count` times.
//! - `WAIT`: waits once and prints the bits; the bits must be `count`.
//! - `SEND`: sleeps `delay` ticks, then sends the message `[1, 2, 3, 4]` with label 42.
//! - `POLL`: checks `poll`, the rights and the binding rules on a notification of its own.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot, Checks, Hex};
use tryst::abi::{BindMode, Rights};
use tryst::ipc::MessageExt;
use tryst::{caps, ipc, notify, println, Error, Message};

tryst::entry!(main);

const SIGNAL: u64 = 0;
const WAIT: u64 = 1;
const SEND: u64 = 2;
const POLL: u64 = 3;

fn main(argument: u64) -> u32 {
    let (role, count, delay) = (argument & 0xff, (argument >> 8) & 0xff, argument >> 16);
    let first = boot_endpoint(0);
    match role {
        SIGNAL => {
            let _ = tryst::sleep(delay);
            println!("notify signaller: signalling {count} times");
            for _ in 0..count {
                if let Err(error) = notify::signal(first) {
                    println!("notify signaller: signal FAILED: {error:?}");
                    return 1;
                }
            }
            println!("notify signaller: signalled {count} times");
            0
        }
        WAIT => {
            println!("notify waiter: waiting");
            let mut checks = Checks::new("notify waiter");
            let bits = notify::wait(first).map(Hex);
            checks.equal("woke with bits", bits, Ok(Hex(count)));
            checks.equal("then poll finds", notify::poll(first).map(Hex), Ok(Hex(0)));
            checks.finish()
        }
        SEND => {
            let _ = tryst::sleep(delay);
            println!("notify sender: sending");
            match ipc::send(first, Message::short(42, &[1, 2, 3, 4])) {
                Ok(()) => 0,
                Err(error) => {
                    println!("notify sender: send FAILED: {error:?}");
                    1
                }
            }
        }
        POLL => poll_checks(),
        _ => 2,
    }
}

/// `poll` never blocks; rights are checked; one binding per thread and per notification.
fn poll_checks() -> u32 {
    let mut checks = Checks::new("notify poll");
    let boot = tryst::boot_info();
    let (memory, me) = (slot(boot.memory_slot), slot(boot.thread_slot));
    let free = boot.first_free_slot;
    let (ntfn, read_only, write_only, badged, other) =
        (slot(free), slot(free + 1), slot(free + 2), slot(free + 3), slot(free + 4));
    let start = caps::memory_info(memory);
    checks.ok("create a notification", caps::create_notification(memory, ntfn));
    let before = tryst::now();
    checks.equal("poll with nothing pending", notify::poll(ntfn).map(Hex), Ok(Hex(0)));
    checks.holds("poll returned without waiting for a tick", tryst::now() - before <= 1);
    checks.ok("signal", notify::signal(ntfn));
    checks.equal("poll after an unbadged signal", notify::poll(ntfn).map(Hex), Ok(Hex(1)));
    checks.equal("poll again", notify::poll(ntfn).map(Hex), Ok(Hex(0)));
    checks.ok("mint a badged copy", caps::mint(ntfn, badged, Rights::WRITE, 0x80));
    checks.ok("signal through it", notify::signal(badged));
    checks.equal("poll after a badged signal", notify::poll(ntfn).map(Hex), Ok(Hex(0x80)));
    checks.ok("mint a read-only copy", caps::mint(ntfn, read_only, Rights::READ, 0));
    checks.ok("mint a write-only copy", caps::mint(ntfn, write_only, Rights::WRITE, 0));
    checks.error("signal without Write", notify::signal(read_only), Error::MissingRights);
    checks.error("poll without Read", notify::poll(write_only), Error::MissingRights);
    checks.error("wait without Read", notify::wait(write_only), Error::MissingRights);
    checks.error("signal an empty slot", notify::signal(slot(free + 10)), Error::EmptySlot);
    checks.error("wait on a Memory capability", notify::wait(memory), Error::WrongType);
    checks.error(
        "remint a badged copy",
        caps::mint(badged, slot(free + 5), Rights::WRITE, 3),
        Error::InvalidArgument,
    );
    checks.error("bind without Read", notify::bind(me, write_only, BindMode::Receive), Error::MissingRights);
    checks.error("bind for ASTs with no handler", notify::bind(me, ntfn, BindMode::Ast), Error::InvalidState);
    checks.ok("bind", notify::bind(me, ntfn, BindMode::Receive));
    checks.error("bind it again", notify::bind(me, read_only, BindMode::Receive), Error::AlreadyBound);
    checks.ok("create another notification", caps::create_notification(memory, other));
    checks.error(
        "bind a second one to the thread",
        notify::bind(me, other, BindMode::Receive),
        Error::AlreadyBound,
    );
    checks.ok("unbind", notify::unbind(me));
    checks.error("unbind again", notify::unbind(me), Error::InvalidState);
    for n in [ntfn, read_only, write_only, badged, other] {
        checks.ok("delete", caps::delete(n));
    }
    checks.equal("Memory figures at the end, against the start", caps::memory_info(memory), start);
    checks.finish()
}
