//! Scenarios of capabilities and kernel objects: invalid slots, rights, Grant, revocation,
//! memory budgets, transfers and endpoint deletion. Each runs `caps_*` programs (see their
//! module docs for what they check); a program's argument picks its role, and the process
//! that must act first gets the higher priority, so every run goes the same way.

use tryst::abi::Rights;

use super::{badged, full, launch_with, scenario, Grant, Scenario};

/// A capability to scenario endpoint `endpoint` with exactly `rights` and `badge`.
const fn grant(object: u8, rights: Rights, badge: u64) -> Grant {
    Grant::Object { object, kind: tryst::abi::ObjectKind::Endpoint, rights, badge }
}

// Roles, passed as the programs' argument.
const CHECKER: u64 = 0;
const PEER: u64 = 1;
const SERVER: u64 = 0;
const CLIENT: u64 = 1;
// caps_transfer's roles for `receive_slot_none`.
const NONE_SERVER: u64 = 2;
const NONE_CLIENT: u64 = 3;
const OWNER: u64 = 0;
const HOLDER: u64 = 1;
const RECEIVER: u64 = 1;
const CALLER: u64 = 2;

pub const SCENARIOS: &[Scenario] = &[
    scenario("invalid_cap_rejected", &[launch_with("caps_invalid", 5, 0, &[full(0)])]),
    scenario(
        "rights_enforced",
        &[
            launch_with("caps_rights", 5, CHECKER, &[full(0)]),
            // Write-only, badge 55 (caps_rights.rs PEER_BADGE).
            launch_with("caps_rights", 4, PEER, &[grant(0, Rights::WRITE, 55)]),
        ],
    ),
    scenario(
        "grant_right_required",
        &[
            launch_with("caps_grant", 5, SERVER, &[full(0)]),
            launch_with(
                "caps_grant",
                4,
                CLIENT,
                &[
                    grant(0, Rights::WRITE.union(Rights::GRANT_REPLY), 1),
                    grant(0, Rights::WRITE.union(Rights::GRANT), 2),
                    grant(0, Rights::WRITE.union(Rights::GRANT).union(Rights::GRANT_REPLY), 3),
                ],
            ),
        ],
    ),
    scenario(
        "revoke_removes_derived",
        &[
            launch_with("caps_revoke", 5, OWNER, &[full(0)]),
            launch_with("caps_revoke", 4, HOLDER, &[full(0)]),
        ],
    ),
    scenario("memory_budget_exhausted", &[launch_with("caps_budget", 5, 0, &[])]),
    scenario(
        "cap_transfer_grant",
        &[
            launch_with("caps_transfer", 5, SERVER, &[full(0)]),
            // Badge 5 (caps_transfer.rs CLIENT_BADGE).
            launch_with("caps_transfer", 4, CLIENT, &[badged(0, 5)]),
        ],
    ),
    // Cycles of objects holding each other alive, reclaimed with the Memory they came from.
    scenario("memory_revoke_reclaims_cycles", &[launch_with("caps_cycles", 3, 0, &[])]),
    scenario("exited_process_with_suspended_thread_reclaimed", &[launch_with("caps_cycles", 3, 1, &[])]),
    // Revoking chains of copies costs time linear in their length, deleting from the top of
    // one costs the same whatever its length, and a more urgent sleeper wakes every tick
    // while 6,000 of them are revoked.
    scenario("revoke_cost_linear", &[launch_with("caps_revoke_chain", 3, 0, &[])]),
    scenario("delete_cost_constant", &[launch_with("caps_revoke_chain", 3, 3, &[])]),
    scenario(
        "deep_revoke_stays_preemptible",
        &[
            launch_with("caps_revoke_chain", 6, 2, &[full(0)]),
            launch_with("caps_revoke_chain", 3, 1, &[full(0)]),
        ],
    ),
    scenario(
        "receive_slot_none",
        &[
            launch_with("caps_transfer", 5, NONE_SERVER, &[full(0)]),
            launch_with("caps_transfer", 4, NONE_CLIENT, &[full(0)]),
        ],
    ),
    scenario(
        "endpoint_deleted_wakes_waiters",
        &[
            launch_with("caps_wake", 5, OWNER, &[full(0), full(1)]),
            launch_with("caps_wake", 4, RECEIVER, &[full(0)]),
            launch_with("caps_wake", 4, CALLER, &[full(1)]),
        ],
    ),
];
