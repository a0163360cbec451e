//! Scenarios of memory capabilities: Frames and address spaces paid for from Memory budgets,
//! W^X mappings, and `map` refusing kernel and occupied addresses. Each runs `mem_*` programs
//! (see their module docs for what they check).

use super::{launch, scenario, Scenario};

// Roles, passed as the programs' argument.
const CHECKER: u64 = 0;
/// `mem_wx`: runs code in a read-write mapping.
const JUMPER: u64 = 1;
/// `mem_wx`: writes into a read-execute mapping.
const SCRIBBLER: u64 = 2;
/// `mem_wx`: makes a system call from the last two bytes of user space.
const TOPPER: u64 = 3;
/// `mem_budget`: reads a page after deleting its Frame's capability.
const READER: u64 = 1;
/// `mem_budget`: writes a page after unmapping its Frame.
const WRITER: u64 = 2;

pub const SCENARIOS: &[Scenario] = &[
    // The checker (the highest priority) runs to its end first, then each process that must
    // be stopped by a fault, in priority order: the log always has the same order.
    scenario(
        "memory_budget_exhausted_frames",
        &[launch("mem_budget", 5, CHECKER), launch("mem_budget", 4, READER), launch("mem_budget", 3, WRITER)],
    ),
    scenario(
        "wx_mapping_refused",
        &[launch("mem_wx", 5, CHECKER), launch("mem_wx", 4, JUMPER), launch("mem_wx", 3, SCRIBBLER)],
    ),
    scenario("map_kernel_range_refused", &[launch("mem_range", 5, CHECKER)]),
    scenario("syscall_at_top_of_user_space", &[launch("mem_wx", 5, TOPPER)]),
];

/// Faults as messages to a user-space handler, and what happens without one.
pub const FAULT_SCENARIOS: &[Scenario] = &[
    scenario(
        "fault_handler_maps_and_resumes",
        &[
            super::launch_with("fault_handler", 5, 0, &[super::full(0)]),
            super::launch_with("fault_handler", 4, 1, &[super::full(0)]),
        ],
    ),
    // The same pager and client; the check reads the endpoint's counters at the end.
    scenario(
        "fault_replies_counted",
        &[
            super::launch_with("fault_handler", 5, 0, &[super::full(0)]),
            super::launch_with("fault_handler", 4, 1, &[super::full(0)]),
        ],
    ),
    scenario(
        "fault_without_handler_kills",
        &[
            launch("fault_nohandler", 5, 0),
            super::launch_with("fault_nohandler", 5, 1, &[super::full(0)]),
            launch("fault_nohandler", 3, 2),
        ],
    ),
];
