//! A client of init's supervisor interface (scenarios in `init/scenarios/system.rs`). The
//! argument picks the check:
//! - `MANIFEST`: every server of the manifest is running at its priority, each registered
//!   name can be looked up, and each server's budget covers what it uses.
//! - `RESTART`: the counter server faults; init restarts it (a new thread, one restart in its
//!   record) and it serves again.
//! - `LEAKS`: three crash-and-restart rounds leave the kernel's object counts and the
//!   server's memory use exactly where they were.
//! - `NAMES_KILLED`: the name service is killed. Lookups then fail at once rather than wait
//!   for ever; the counter connection made before still works; once counter is killed too,
//!   init does not start it again (it could not register), and the connection's call fails
//!   at once as well.
#![no_std]
#![no_main]

mod caps_common;
mod counter_interface;

use caps_common::{slot, Checks};
use counter_interface::counter;
use tryst::abi::ThreadRunState;
use tryst::interface::Name;
use tryst::supervisor::{self, ProcessRecord, ENDED};
use tryst::{caps, names, Error};

tryst::entry!(main);

const MANIFEST: u64 = 0;
const RESTART: u64 = 1;
const LEAKS: u64 = 2;
const NAMES_KILLED: u64 = 3;

/// The manifest's servers and their priorities.
const SERVERS: [(&str, u8); 5] =
    [("console", 250), ("timer", 249), ("names", 252), ("kv", 200), ("counter", 200)];

fn main(check: u64) -> u32 {
    let mut checks = Checks::new("supervisor_client");
    let first = tryst::boot_info().first_free_slot;
    let Some(init) = checks.ok("look up init", supervisor::Client::lookup("init", slot(first))) else {
        return checks.finish();
    };
    let Some(counter) = checks.ok("look up counter", counter::Client::lookup("counter", slot(first + 1)))
    else {
        return checks.finish();
    };
    match check {
        MANIFEST => {
            for (server, priority) in SERVERS {
                let Some(record) = find(&init, server) else {
                    checks.fail(server, format_args!("init has no record of it"));
                    continue;
                };
                let (pid, number, _, state, at, restarts) = record;
                checks.note(format_args!(
                    "{server}: pid {pid}, process {number}, state {state}, priority {at}"
                ));
                checks.holds("it is running", state != ENDED && number != 0);
                checks.equal("its priority", at, priority);
                checks.equal("its restarts", restarts, 0);
                if let Some((budget, used)) = checks.ok("its memory", init.memory(pid)) {
                    checks.holds("its budget covers its use", used > 0 && used <= budget);
                }
            }
            checks.ok("call counter", counter.add(1));
            let (_, _, _, state, _, _) = find(&init, "counter").unwrap_or_default();
            checks.equal(
                "counter waits for the next request",
                state,
                u8::try_from(u64::from(ThreadRunState::Receiving)).unwrap_or(0),
            );
        }
        RESTART => {
            let before = find(&init, "counter").unwrap_or_default();
            checks.equal("crash it", counter.crash(), Err(Error::PeerGone));
            let after = find(&init, "counter").unwrap_or_default();
            checks.equal("same pid", after.0, before.0);
            checks.holds("a new thread", after.1 != before.1 && after.1 != 0);
            checks.equal("one restart", after.5, 1);
            checks.equal("it serves again", counter.add(3), Ok(3));
            checks.error("kill pid 0 (no such record)", init.kill(0), Error::InvalidArgument);
        }
        LEAKS => {
            // Warm up: every capability this client will hold exists already.
            checks.ok("call counter", counter.add(1));
            let pid = find(&init, "counter").map_or(0, |record| record.0);
            let stats = caps::kernel_stats();
            let memory = init.memory(pid);
            checks.note(format_args!("before: {stats:?}, counter's memory {memory:?}"));
            for round in 1..=3 {
                checks.equal("crash it", counter.crash(), Err(Error::PeerGone));
                checks.equal("it serves again", counter.add(1), Ok(1));
                checks.equal("kernel objects after a restart", caps::kernel_stats(), stats);
                checks.equal("counter's memory after a restart", init.memory(pid), memory);
                checks.note(format_args!("round {round} done"));
            }
        }
        NAMES_KILLED => {
            checks.equal("call counter", counter.add(1), Ok(1));
            let names = find(&init, "names").map_or(0, |record| record.0);
            checks.ok("kill the name service", init.kill(names));
            let lookup = names::lookup(Name::new("counter").unwrap_or_default(), slot(first + 2));
            checks.equal("a lookup after the name service ended", lookup, Err(Error::EmptySlot));
            checks.equal("the counter looked up before still answers", counter.add(2), Ok(3));
            let pid = find(&init, "counter").map_or(0, |record| record.0);
            checks.ok("kill counter", init.kill(pid));
            let (_, _, _, state, _, restarts) = find(&init, "counter").unwrap_or_default();
            checks.equal("counter, not started again: state, restarts", (state, restarts), (ENDED, 0));
            checks.equal("a call through the old connection", counter.add(1), Err(Error::EmptySlot));
        }
        _ => checks.fail("argument", format_args!("unknown check {check}")),
    }
    checks.finish()
}

/// The record of the process running `program`.
fn find(init: &supervisor::Client, program: &str) -> Option<ProcessRecord> {
    let count = init.process_count().ok()?;
    (0..count).filter_map(|i| init.process(i).ok()).find(|record| record.2.as_str() == program)
}
