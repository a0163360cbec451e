//! Scenarios of the user-space system: the manifest's servers, the name service, supervised
//! restarts and typed interfaces. Each runs the manifest's services beside its clients.

use super::{launch, scenario, Scenario};

// Arguments of `names_client`.
const LOOKUP: u64 = 0;
const UNKNOWN: u64 = 1;
const REGISTER: u64 = 2;
// Arguments of `counter_client`.
const ROUND_TRIP: u64 = 0;
const BAD_REQUESTS: u64 = 1;
const PEER_GONE: u64 = 2;
// Arguments of `supervisor_client`.
const MANIFEST: u64 = 0;
const RESTART: u64 = 1;
const LEAKS: u64 = 2;
const NAMES_KILLED: u64 = 3;

pub const SCENARIOS: &[Scenario] = &[
    scenario(
        "init_manifest_starts_servers",
        &[launch("supervisor_client", 100, MANIFEST).looking_up(&["init", "counter"])],
    )
    .with_services(),
    scenario("name_lookup_returns_endpoint", &[launch("names_client", 100, LOOKUP).looking_up(&["counter"])])
        .with_services(),
    scenario("name_unknown_is_error", &[launch("names_client", 100, UNKNOWN).looking_up(&["counter"])])
        .with_services(),
    scenario(
        "name_register_not_allowed",
        &[launch("names_client", 100, REGISTER)
            .looking_up(&["counter", "scratch"])
            .registering(&["scratch"])],
    )
    .with_services(),
    // The name service is killed: its clients get errors, never a hang.
    scenario(
        "name_service_killed_clients_recover",
        &[launch("supervisor_client", 100, NAMES_KILLED).looking_up(&["init", "counter"])],
    )
    .with_services(),
    scenario(
        "supervisor_restarts_faulted_server",
        &[launch("supervisor_client", 100, RESTART).looking_up(&["init", "counter"])],
    )
    .with_services(),
    scenario(
        "client_sees_peer_gone_then_recovers",
        &[launch("counter_client", 100, PEER_GONE).looking_up(&["counter", "kv"])],
    )
    .with_services(),
    scenario(
        "restart_leaks_nothing",
        &[launch("supervisor_client", 100, LEAKS).looking_up(&["init", "counter"])],
    )
    .with_services(),
    scenario(
        "typed_interface_roundtrip",
        &[launch("counter_client", 100, ROUND_TRIP).looking_up(&["counter", "kv"])],
    )
    .with_services(),
    // The tutorial's example: the `kv` server and its client (docs/tutorial.md).
    scenario("tutorial_server_works", &[launch("kv_client", 100, 0).looking_up(&["kv"])]).with_services(),
    scenario(
        "typed_interface_bad_request_rejected",
        &[launch("counter_client", 100, BAD_REQUESTS).looking_up(&["counter", "kv"])],
    )
    .with_services(),
];

/// The shell's scenarios, each typed into by the test (kernel/qemu-tests.d/system.sh).
pub const SHELL_SCENARIOS: &[Scenario] = &[
    scenario("shell_ps_lists_servers", &[SHELL]).with_services(),
    scenario("shell_ipc_counters", &[SHELL]).with_services(),
    scenario("shell_bad_command", &[SHELL]).with_services(),
];

/// The shell, as every system with one runs it.
pub const SHELL: super::Launch = launch("shell", 1, 0).looking_up(&["init", "counter"]);
