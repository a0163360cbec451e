//! Objects that hold each other alive in cycles, which capability counts alone never free.
//! Every object charged to a Memory object goes when that Memory object is revoked or its
//! last capability goes, cycles included.
//!
//! Argument 0, `memory_revoke_reclaims_cycles`: three cycles, each built from a child Memory
//! object C, then C is revoked and the kernel's counts are back where they were:
//! 1. thread X, never started, configured with capability space D, holds the only
//!    capability to... itself, in D (its capability moved into D, D's deleted);
//! 2. the same with a space in between: X's capability is in E, E's in D, and D is X's space;
//! 3. X is started at address 0 with a fault handler named only in its own space D; it
//!    faults into an endpoint nothing can receive from, and every capability is deleted.
//!
//! Argument 1, `exited_process_with_suspended_thread_reclaimed`: the process builds the first
//! cycle from its own Memory (the scenario's pool) with X started and then suspended, and
//! exits. The system still finishes with every object back (the scenario's check).
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{slot, Checks};
use tryst::abi::SlotPath;
use tryst::caps::{self, KernelStats};
use tryst::{thread, Slot};

tryst::entry!(main);

/// The child Memory each cycle is built from.
const BUDGET: u64 = 64 * 1024;
/// Below the process's own priority.
const PRIORITY: u8 = 1;

fn main(role: u64) -> u32 {
    let mut checks = Checks::new("caps_cycles");
    let boot = tryst::boot_info();
    let memory = slot(boot.memory_slot);
    let first = boot.first_free_slot;
    if role == 1 {
        build(&mut checks, memory, first, Cycle::SuspendedInOwnSpace);
        checks.note(format_args!("exiting with the cycle in place"));
        return checks.finish();
    }
    let child = slot(first);
    let before = caps::kernel_stats();
    for cycle in [Cycle::InOwnSpace, Cycle::ThroughASpace, Cycle::FaultedIntoOwnEndpoint] {
        checks.ok("make the child Memory", caps::create_memory(memory, child, BUDGET));
        let with_child = caps::kernel_stats();
        build(&mut checks, child, first + 1, cycle);
        checks.holds("the cycle holds objects", different(caps::kernel_stats(), with_child));
        checks.ok("revoke the child Memory", caps::revoke(child));
        checks.equal("kernel objects after the revoke", caps::kernel_stats(), with_child);
        checks.equal("the child Memory's use", caps::memory_info(child).map(|(_, used)| used), Ok(0));
        checks.ok("delete the child Memory", caps::delete(child));
        checks.equal("kernel objects at the end of the round", caps::kernel_stats(), before);
        checks.note(format_args!("{cycle:?} reclaimed"));
    }
    checks.finish()
}

fn different(a: KernelStats, b: KernelStats) -> bool {
    a != b
}

#[derive(Clone, Copy, Debug)]
enum Cycle {
    InOwnSpace,
    ThroughASpace,
    FaultedIntoOwnEndpoint,
    SuspendedInOwnSpace,
}

/// Builds `cycle` from `memory` in slots `first ..`, and lets go of every capability this
/// process holds to it.
fn build(checks: &mut Checks, memory: Slot, first: u64, cycle: Cycle) {
    let boot = tryst::boot_info();
    let space = slot(boot.space_slot);
    let (x, d, e, f, endpoint) =
        (slot(first), slot(first + 1), slot(first + 2), slot(first + 3), slot(first + 4));
    checks.ok("make thread X", caps::create_thread(memory, x));
    checks.ok("make capability space D", caps::create_cspace(memory, d));
    checks.ok("make IPC-buffer frame F", caps::create_frame(memory, f));
    let in_d = |n: u64| SlotPath::within(d, slot(n));
    match cycle {
        Cycle::InOwnSpace | Cycle::SuspendedInOwnSpace => {
            checks.ok("configure X in D", thread::configure(x, d, space, f, PRIORITY));
            if let Cycle::SuspendedInOwnSpace = cycle {
                // It never gets to run: suspended before anything lower runs.
                checks.ok("start X", thread::start(x, 0, 0, 0));
                checks.ok("suspend X", thread::suspend(x));
            }
            checks.ok("move X's capability into D", caps::move_cap(x, in_d(5)));
            checks.ok("delete D's capability", caps::delete(d));
            checks.ok("delete F's capability", caps::delete(f));
        }
        Cycle::ThroughASpace => {
            checks.ok("make capability space E", caps::create_cspace(memory, e));
            checks.ok("configure X in D", thread::configure(x, d, space, f, PRIORITY));
            checks.ok("move X's capability into E", caps::move_cap(x, SlotPath::within(e, slot(5))));
            checks.ok("move E's capability into D", caps::move_cap(e, in_d(6)));
            checks.ok("delete D's capability", caps::delete(d));
            checks.ok("delete F's capability", caps::delete(f));
        }
        Cycle::FaultedIntoOwnEndpoint => {
            checks.ok("make endpoint EP", caps::create_endpoint(memory, endpoint));
            checks.ok("copy EP into D's slot 0", caps::copy(endpoint, in_d(0)));
            checks.ok("configure X in D", thread::configure(x, d, space, f, PRIORITY));
            checks.ok("name D's slot 0 X's fault handler", caps::set_fault_handler(x, Some(slot(0))));
            checks.ok("start X at address 0", thread::start(x, 0, 0, 0));
            for object in [x, f, endpoint, d] {
                checks.ok("delete", caps::delete(object));
            }
            // X runs (it is below this process) and faults into EP while this one waits.
            for _ in 0..3 {
                let _ = tryst::sleep(1);
            }
        }
    }
}
