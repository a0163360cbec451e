//! The system manifest: every server init starts, with its priority, its memory budget and the
//! capabilities it gets — endpoints, the names it may register and look up, interrupt lines
//! and I/O ports. Adding a server to the system is adding it here (and its program to
//! `userland/programs/src/bin/`); init does the rest: it builds the server from its image,
//! tells the name service what it may register and look up, and starts it again from its
//! image whenever it faults or exits.
//!
//! `CORE` runs in every system; `SERVICES` run in `make run`'s system and in the scenarios
//! that ask for them. Every process init starts also gets badged capabilities to the console,
//! the timer and the name service, whether listed here or in a scenario.

use crate::scenarios::{launch_with, Grant, Launch};

const KIB: u64 = 1024;

/// The servers every system runs, in the order init starts them (after the scenario's own
/// processes, which so keep the first numbers).
pub const CORE: &[Launch] = &[
    // COM1 driven from user space: what `println!` writes through. Above every other process
    // but init and the name service, so that printing never waits behind one.
    launch_with(
        "console",
        250,
        0,
        &[Grant::Console, Grant::Irq { line: 4 }, Grant::Ports { first: 0x3f8, count: 8 }],
    )
    .supervised(384 * KIB),
    // Time, sleeps and timeouts from the CMOS real-time clock.
    launch_with(
        "timer",
        249,
        0,
        &[Grant::Timer, Grant::Irq { line: 8 }, Grant::Ports { first: 0x70, count: 2 }],
    )
    .supervised(384 * KIB),
    // The name service. Not restarted: its table is the system's registrations.
    launch_with("names", 252, 0, &[Grant::Names]).budgeted(384 * KIB),
];

/// The example servers: each serves an endpoint of its own, registered under its name.
pub const SERVICES: &[Launch] = &[
    // A key-value store: the tutorial's server (docs/tutorial.md).
    launch_with("kv", 200, 0, &[Grant::Own]).supervised(384 * KIB).registering(&["kv"]),
    // A counter, whose `crash` operation faults it on purpose: supervision's test subject.
    launch_with("counter", 200, 0, &[Grant::Own]).supervised(384 * KIB).registering(&["counter"]),
];
