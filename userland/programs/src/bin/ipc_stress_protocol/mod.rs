//! The protocol of `ipc_stress_no_leak`, shared by `ipc_stress_client`, `ipc_stress_server`
//! and `ipc_stress_monitor` (a directory, so cargo does not build it as a program).
#![allow(dead_code)]

/// A call with no capability.
pub const PLAIN: u64 = 1;
/// A call carrying a new endpoint.
pub const WITH_ENDPOINT: u64 = 2;
/// A call carrying a Write-only copy of the client's capability to that server.
pub const WITH_MINTED: u64 = 3;
/// A call carrying a new Memory object of `GIFT_BUDGET` bytes.
pub const WITH_MEMORY: u64 = 4;
/// The monitor's call that ends a server.
pub const QUIT: u64 = 9;
/// Answer labels.
pub const GOOD: u64 = 0;
pub const BAD: u64 = 1;
/// How many stress clients there are (badges 1 to `CLIENTS`).
pub const CLIENTS: usize = 3;
/// The monitor's badge on the servers' endpoints.
pub const MONITOR_BADGE: u64 = 99;
/// The budget of a Memory object a call carries.
pub const GIFT_BUDGET: u64 = 4096;
