//! The shared-page ring channel scenario: `ring_producer` and `ring_consumer` (equal
//! priorities, so that each one's yield when the ring is full or empty runs the other)
//! move more than 1 MiB through a ring in shared frames.

use super::{full, launch_with, scenario, Scenario};

pub const SCENARIOS: &[Scenario] = &[scenario(
    "ring_channel_transfer",
    &[launch_with("ring_consumer", 4, 0, &[full(0)]), launch_with("ring_producer", 4, 0, &[full(0)])],
)];
