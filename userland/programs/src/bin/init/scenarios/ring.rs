//! The shared-page ring channel scenario: `ring_producer` and `ring_consumer` (equal
//! priorities, so that each one's yield when the ring is full or empty runs the other)
//! move more than 1 MiB through a ring in shared frames; in `ring_channel_blocking` each
//! side sleeps on a notification instead, the consumer at a higher priority.

use tryst::abi::Rights;

use super::{full, launch_with, notification, scenario, Grant, Scenario};

/// The `ring_*` argument that makes a side sleep on notifications instead of yielding.
const BLOCKING: u64 = 1;
/// A blocking side's capabilities: the endpoint the ring is set up over, its own notification
/// (Read, to sleep on) and its peer's (Write, to wake it).
const CONSUMER_CAPS: &[Grant] =
    &[full(0), notification(1, Rights::READ, 0), notification(2, Rights::WRITE, 0)];
const PRODUCER_CAPS: &[Grant] =
    &[full(0), notification(2, Rights::READ, 0), notification(1, Rights::WRITE, 0)];

pub const SCENARIOS: &[Scenario] = &[
    scenario(
        "ring_channel_transfer",
        &[launch_with("ring_consumer", 4, 0, &[full(0)]), launch_with("ring_producer", 4, 0, &[full(0)])],
    ),
    // The consumer is more urgent: a side that spun (yielding) while the ring is empty would
    // starve the producer for ever, so this works only if it truly sleeps.
    scenario(
        "ring_channel_blocking",
        &[
            launch_with("ring_consumer", 5, BLOCKING, CONSUMER_CAPS),
            launch_with("ring_producer", 4, BLOCKING, PRODUCER_CAPS),
        ],
    ),
    // The producer is more urgent: it sleeps whenever the ring is full.
    scenario(
        "ring_channel_blocking_full",
        &[
            launch_with("ring_consumer", 4, BLOCKING, CONSUMER_CAPS),
            launch_with("ring_producer", 5, BLOCKING, PRODUCER_CAPS),
        ],
    ),
];
