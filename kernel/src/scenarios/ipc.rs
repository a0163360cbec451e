//! Scenarios of synchronous IPC between processes: calls and replies, badges, ordering,
//! long messages, peer failure and the stress run.

use super::{full, launch_with, scenario, Scenario};

/// The `echo_client` argument: `calls` calls, 64-word messages when `long`, named `me`.
const fn client(calls: u64, long: bool, me: u64) -> u64 {
    calls | (long as u64) << 16 | me << 32
}

pub const SCENARIOS: &[Scenario] = &[scenario(
    "call_reply_roundtrip",
    &[launch_with("echo_server", 5, 1000, &[full(0)]), launch_with("echo_client", 5, client(1000, false, 1), &[full(0)])],
)];
