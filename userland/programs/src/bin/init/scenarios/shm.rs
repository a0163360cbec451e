//! Scenarios of shared memory: Frames mapped into several address spaces through copies of
//! their capabilities, read-only sharing, and revocation taking a page back from everywhere.
//! Each runs one `shm_*` program (see its module docs for what it checks); the argument picks
//! the role, and the process that must act first gets the higher priority, so every run goes
//! the same way.

use super::{full, launch_with, scenario, Scenario};

// Roles, passed as the programs' argument: A owns the frame, B and C are given copies.
const A: u64 = 0;
const B: u64 = 1;
const C: u64 = 2;

pub const SCENARIOS: &[Scenario] = &[
    scenario(
        "shared_page_both_ways",
        &[launch_with("shm_both_ways", 5, A, &[full(0)]), launch_with("shm_both_ways", 4, B, &[full(0)])],
    ),
    scenario(
        "readonly_share_write_faults",
        &[launch_with("shm_readonly", 5, A, &[full(0)]), launch_with("shm_readonly", 4, B, &[full(0)])],
    ),
    scenario(
        "revoke_unmaps_everywhere",
        &[
            // A talks to B on endpoint 0 and to C on endpoint 1.
            launch_with("shm_revoke", 5, A, &[full(0), full(1)]),
            launch_with("shm_revoke", 4, B, &[full(0)]),
            launch_with("shm_revoke", 3, C, &[full(1)]),
        ],
    ),
];
