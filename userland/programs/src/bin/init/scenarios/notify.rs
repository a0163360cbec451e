//! Scenarios of asynchronous notification: signal and wait in either order, coalescing, poll,
//! a bound notification ending a `recv`, ASTs, a user-space driver taking interrupts, and the
//! timer server's sleeps and timeouts.

use tryst::abi::Rights;

use super::{badged, full, launch, launch_with, notification, scenario, Grant, Scenario};

/// `timer_client`'s argument for its timeout checks (any other is a sleep in ms).
const TIMEOUTS: u64 = 1 << 32;

// `notify` program roles (see userland/programs/src/bin/notify.rs).
const SIGNAL: u64 = 0;
const WAIT: u64 = 1;
const SEND: u64 = 2;
const POLL: u64 = 3;

/// The `notify` argument: `role`, a count (signals to send, or the bits to expect), and the
/// ticks to sleep first.
const fn notify(role: u64, count: u64, delay: u64) -> u64 {
    role | count << 8 | delay << 16
}

/// A capability that signals `bits`.
const fn signals(object: u8, bits: u64) -> Grant {
    notification(object, Rights::WRITE, bits)
}

/// A capability that waits.
const fn waits(object: u8) -> Grant {
    notification(object, Rights::READ, 0)
}

pub const SCENARIOS: &[Scenario] = &[
    // The signaller runs first (higher priority) and is gone before the waiter waits.
    scenario(
        "signal_then_wait",
        &[
            launch_with("notify", 5, notify(SIGNAL, 1, 0), &[signals(0, 0x5)]),
            launch_with("notify", 4, notify(WAIT, 0x5, 0), &[waits(0)]),
        ],
    ),
    // The waiter blocks first; the signal wakes it at once (it preempts the signaller).
    scenario(
        "wait_then_signal",
        &[
            launch_with("notify", 5, notify(WAIT, 0x21, 0), &[waits(0)]),
            launch_with("notify", 4, notify(SIGNAL, 1, 0), &[signals(0, 0x21)]),
        ],
    ),
    // Six signals from three differently badged capabilities, then one wait.
    scenario(
        "signal_bits_coalesce",
        &[
            launch_with("notify", 5, notify(SIGNAL, 2, 0), &[signals(0, 0x1)]),
            launch_with("notify", 5, notify(SIGNAL, 2, 0), &[signals(0, 0x2)]),
            launch_with("notify", 5, notify(SIGNAL, 2, 0), &[signals(0, 0x40)]),
            launch_with("notify", 4, notify(WAIT, 0x43, 0), &[waits(0)]),
        ],
    ),
    scenario("poll_nonblocking", &[launch_with("notify", 5, notify(POLL, 0, 0), &[])]),
    // The server waits in recv; a call arrives as a message, then a signal as a signal.
    scenario(
        "bound_notification_wakes_recv",
        &[
            launch_with(
                "notify_bound",
                5,
                0,
                &[full(0), notification(1, Rights::READ.union(Rights::WRITE), 0)],
            ),
            launch_with("notify_client", 4, 0, &[badged(0, 0xc)]),
            launch_with("notify", 3, notify(SIGNAL, 1, 0), &[signals(1, 0x10)]),
        ],
    ),
    // A signal two ticks in interrupts a long computation.
    scenario(
        "ast_interrupts_running_thread",
        &[
            launch_with("ast_compute", 3, 0, &[waits(0)]),
            launch_with("notify", 5, notify(SIGNAL, 1, 2), &[signals(0, 0x4)]),
        ],
    ),
    // A signal a tick in interrupts a blocked recv; the message comes two ticks later.
    scenario(
        "ast_during_blocked_recv",
        &[
            launch_with("ast_recv", 5, 0, &[full(0), waits(1)]),
            launch_with("notify", 4, notify(SIGNAL, 1, 1), &[signals(1, 0x8)]),
            launch_with("notify", 3, notify(SEND, 0, 3), &[full(0)]),
        ],
    ),
    // The test types a line into QEMU's serial port; the console server (which every system
    // runs) takes it from the UART on its interrupt and hands it to the client. The client's
    // COM2 ports are for the checks of what a port capability refuses.
    scenario(
        "irq_to_user_driver",
        &[launch_with("console_client", 4, 0, &[Grant::Ports { first: 0x2f8, count: 8 }])],
    ),
    // Three clients of the timer server (which every system runs) sleep 30, 10 and 20 ms,
    // starting one after another at the same priority; they must wake shortest first.
    scenario(
        "timer_sleep",
        &[launch("timer_client", 4, 30), launch("timer_client", 4, 10), launch("timer_client", 4, 20)],
    ),
    // A recv bounded by an alarm, a cancelled alarm, and requests the server refuses.
    scenario("timer_timeouts", &[launch("timer_client", 4, TIMEOUTS)]),
    scenario(
        "ast_masked_deferred",
        &[launch_with("ast_mask", 5, 0, &[notification(0, Rights::READ.union(Rights::WRITE), 0)])],
    ),
];
