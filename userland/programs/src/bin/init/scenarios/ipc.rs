//! Scenarios of synchronous IPC between processes: calls and replies, badges, ordering,
//! long messages, peer failure and the stress run.

use super::{badged, full, launch, launch_with, scenario, Scenario};

/// The `echo_client` argument: `calls` calls, 64-word messages when `long`, named `me`.
const fn client(calls: u64, long: bool, me: u64) -> u64 {
    calls | (long as u64) << 16 | me << 32
}

/// The `ipc_badge_client` argument: `calls` calls, each claiming to come from badge `claimed`.
const fn badge_client(calls: u64, claimed: u64) -> u64 {
    calls | claimed << 16
}

/// The `ipc_ordered_sender` argument: its letter, and the ticks it sleeps before sending.
const fn sender(letter: u8, delay: u64) -> u64 {
    letter as u64 | delay << 8
}

/// The `ipc_ordered_receiver` argument: the letters expected on endpoint 0 in order (at most
/// four), then the one expected later on endpoint 1.
const fn receiver(order: &[u8; 4], late: u8) -> u64 {
    u32::from_le_bytes(*order) as u64 | (late as u64) << 32
}

// `ipc_dying_server` arguments: how it dies holding the call.
const EXIT: u64 = 0;
const FAULT: u64 = 1;

// `ipc_reply_client` arguments: what its call should come to.
const VICTIM: u64 = 0;
const ANSWERED: u64 = 1;
const DROPPED: u64 = 2;

/// The `ipc_stress_client` argument: `calls` calls, client number `me` (its badge).
const fn stress_client(calls: u64, me: u64) -> u64 {
    calls | me << 32
}
/// Calls per stress client: three clients make 102,000 calls, 204,000 messages with replies.
const STRESS_CALLS: u64 = 34_000;
/// The badge the stress monitor's capabilities to the servers carry.
const MONITOR: u64 = 99;

/// Calls `regs_client` makes and `regs_server` answers.
const REGS_CALLS: u64 = 3000;

pub const SCENARIOS: &[Scenario] = &[
    // Three clients of different priorities, badged differently at each of two servers:
    // calls of 0 to 6 words and one-way sends. `make test` boots it with the fastpath and
    // without, and compares every digest and counter the programs print.
    scenario(
        "fastpath_equivalence",
        &[
            launch_with("equiv_server", 6, 0, &[full(0)]),
            launch_with("equiv_server", 7, 1, &[full(1)]),
            launch_with("equiv_client", 3, 1, &[badged(0, 1), badged(1, 17)]),
            launch_with("equiv_client", 4, 2, &[badged(0, 2), badged(1, 18)]),
            launch_with("equiv_client", 5, 3, &[badged(0, 3), badged(1, 19)]),
        ],
    ),
    // Markers in registers across call and reply_recv on both sides, and across preemption.
    scenario(
        "registers_preserved_across_fastpath",
        &[
            launch_with("regs_server", 5, REGS_CALLS, &[full(0)]),
            launch_with("regs_client", 3, REGS_CALLS, &[full(0)]),
            launch("regs_ticker", 6, 40),
        ],
    ),
    scenario(
        "call_reply_roundtrip",
        &[
            launch_with("echo_server", 5, 1000, &[full(0)]),
            launch_with("echo_client", 5, client(1000, false, 1), &[full(0)]),
        ],
    ),
    // Three clients with differently badged capabilities to one endpoint; all claim badge 11.
    scenario(
        "badge_identifies_client",
        &[
            launch_with("ipc_badge_server", 6, 10 + 20 + 30, &[full(0)]),
            launch_with("ipc_badge_client", 5, badge_client(10, 11), &[badged(0, 11)]),
            launch_with("ipc_badge_client", 5, badge_client(20, 11), &[badged(0, 22)]),
            launch_with("ipc_badge_client", 5, badge_client(30, 11), &[badged(0, 33)]),
        ],
    ),
    // Senders a and c share priority 3 (a started first); all four block in send before the
    // receiver, at priority 1, first runs. Sender e sends on endpoint 1 long after the
    // receiver has blocked there.
    scenario(
        "send_recv_blocking_order",
        &[
            launch_with("ipc_ordered_receiver", 1, receiver(b"dbac", b'e'), &[full(0), full(1)]),
            launch_with("ipc_ordered_sender", 3, sender(b'a', 0), &[badged(0, 1)]),
            launch_with("ipc_ordered_sender", 5, sender(b'b', 0), &[badged(0, 2)]),
            launch_with("ipc_ordered_sender", 3, sender(b'c', 0), &[badged(0, 3)]),
            launch_with("ipc_ordered_sender", 7, sender(b'd', 0), &[badged(0, 4)]),
            launch_with("ipc_ordered_sender", 7, sender(b'e', 20), &[full(1)]),
        ],
    ),
    scenario(
        "nb_send_would_block",
        &[launch_with("ipc_nb_sender", 5, 0, &[full(0)]), launch_with("ipc_nb_receiver", 3, 0, &[full(0)])],
    ),
    // Three clients make 100 calls of 64 words each; the checker's refused messages must not
    // reach the server, and its one good call makes the count 301.
    scenario(
        "long_message_64_words",
        &[
            launch_with("echo_server", 5, 3 * 100 + 1, &[full(0)]),
            launch_with("echo_client", 5, client(100, true, 1), &[badged(0, 1)]),
            launch_with("echo_client", 5, client(100, true, 2), &[badged(0, 2)]),
            launch_with("echo_client", 5, client(100, true, 3), &[badged(0, 3)]),
            launch_with("ipc_long_checker", 5, 0, &[badged(0, 4)]),
        ],
    ),
    // Two servers die holding a call (one exits, one faults) one tick after receiving it; an
    // echo pair on a third endpoint runs on through their deaths (50000 calls take several
    // ticks, even at ten times today's speed).
    scenario(
        "server_dies_caller_gets_peer_gone",
        &[
            launch_with("ipc_dying_server", 6, EXIT, &[full(0)]),
            launch_with("ipc_dying_server", 6, FAULT, &[full(1)]),
            launch_with("ipc_peer_client", 5, b'a' as u64, &[full(0)]),
            launch_with("ipc_peer_client", 5, b'b' as u64, &[full(1)]),
            launch_with("echo_server", 4, 50_000, &[full(2)]),
            launch_with("echo_client", 4, client(50_000, false, 7), &[badged(2, 7)]),
        ],
    ),
    // Endpoint 0: the server; endpoint 1: the killer, to whom the victims (badges 1 and 2)
    // give their Thread capabilities. Badges 3 and 4 queue while the server holds call 2.
    scenario(
        "caller_dies_reply_fails_cleanly",
        &[
            launch_with("ipc_reply_killer", 7, 2, &[full(1)]),
            launch_with("ipc_reply_server", 6, 0, &[full(0), full(1)]),
            launch_with("ipc_reply_client", 5, VICTIM, &[badged(0, 1), full(1)]),
            launch_with("ipc_reply_client", 5, VICTIM, &[badged(0, 2), full(1)]),
            launch_with("ipc_reply_client", 4, DROPPED, &[badged(0, 3)]),
            launch_with("ipc_reply_client", 4, ANSWERED, &[badged(0, 4)]),
        ],
    ),
    // Endpoints 0 and 1: the servers (one above the clients, one below, so calls to the second
    // queue); 2: client reports to the monitor; 3: the monitor's word to exit.
    scenario(
        "ipc_stress_no_leak",
        &[
            launch_with(
                "ipc_stress_monitor",
                9,
                0,
                &[full(2), full(3), badged(0, MONITOR), badged(1, MONITOR)],
            ),
            launch_with("ipc_stress_server", 6, 1, &[full(0)]),
            launch_with("ipc_stress_server", 4, 2, &[full(1)]),
            launch_with(
                "ipc_stress_client",
                5,
                stress_client(STRESS_CALLS, 1),
                &[badged(0, 1), badged(1, 1), full(2), full(3)],
            ),
            launch_with(
                "ipc_stress_client",
                5,
                stress_client(STRESS_CALLS, 2),
                &[badged(0, 2), badged(1, 2), full(2), full(3)],
            ),
            launch_with(
                "ipc_stress_client",
                5,
                stress_client(STRESS_CALLS, 3),
                &[badged(0, 3), badged(1, 3), full(2), full(3)],
            ),
        ],
    ),
];
