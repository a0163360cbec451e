//! `memory_budget_exhausted`: objects are charged to a Memory capability, exhaustion is
//! `OutOfMemory` (never a panic, never `TableFull` here), and deleting refunds.
//!
//! Runs alone. From the boot Memory it makes a child Memory with a budget of three endpoints
//! and checks: the boot Memory is charged `MEMORY_COST` plus that budget; exactly three
//! endpoints can be made from the child, the fourth is `OutOfMemory` (its slot stays empty),
//! and then `memory_info` shows used == budget; deleting one lets one more be made; a child
//! Memory larger than what is left (in the child, and in the boot Memory, including a budget
//! that overflows) is `OutOfMemory`, while one that fits exactly is made; deleting the child's
//! capability while endpoints are charged to it keeps it charged to the boot Memory until its
//! last endpoint goes; at the end the boot Memory's figures and `kernel_stats` are as at the
//! start.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{slot, Checks};
use tryst::abi::{ENDPOINT_COST, MEMORY_COST};
use tryst::caps;
use tryst::Error;

tryst::entry!(main);

const BUDGET: u64 = 3 * ENDPOINT_COST;

fn main(_: u64) -> u32 {
    let mut checks = Checks::new("caps_budget");
    let boot = tryst::boot_info();
    let memory = slot(boot.memory_slot);
    let first = boot.first_free_slot;
    let child = slot(first);
    let endpoints = [slot(first + 1), slot(first + 2), slot(first + 3)];
    let (extra, grandchild, spare) = (slot(first + 4), slot(first + 5), slot(first + 6));

    let start_stats = caps::kernel_stats();
    let Some((boot_budget, boot_used)) =
        checks.ok("memory_info on the boot Memory", caps::memory_info(memory))
    else {
        return checks.finish();
    };

    // A child Memory with room for three endpoints.
    checks.ok("create a child Memory", caps::create_memory(memory, child, BUDGET));
    checks.equal("the child Memory: budget, used", caps::memory_info(child), Ok((BUDGET, 0)));
    checks.equal(
        "the boot Memory is charged MEMORY_COST plus the child's budget",
        caps::memory_info(memory),
        Ok((boot_budget, boot_used + MEMORY_COST + BUDGET)),
    );

    // Exactly three endpoints fit.
    let mut made = 0;
    for &endpoint in &endpoints {
        if checks.ok("create an endpoint from the child", caps::create_endpoint(child, endpoint)).is_some() {
            made += 1;
        }
    }
    checks.equal("endpoints made from the child", made, 3);
    checks.error("a fourth endpoint", caps::create_endpoint(child, extra), Error::OutOfMemory);
    checks.error("the slot of the fourth endpoint", caps::identify(extra), Error::EmptySlot);
    checks.equal("the full child Memory: budget, used", caps::memory_info(child), Ok((BUDGET, BUDGET)));
    checks.error(
        "a Memory from the full child, budget 0",
        caps::create_memory(child, grandchild, 0),
        Error::OutOfMemory,
    );
    checks.equal("endpoints in kernel_stats", caps::kernel_stats().endpoints, start_stats.endpoints + 3);

    // Deleting one refunds it: one more fits, and no more.
    checks.ok("delete the second endpoint", caps::delete(endpoints[1]));
    checks.equal(
        "the child Memory after a delete: budget, used",
        caps::memory_info(child),
        Ok((BUDGET, BUDGET - ENDPOINT_COST)),
    );
    checks.ok("create an endpoint again", caps::create_endpoint(child, endpoints[1]));
    checks.error("one more after that", caps::create_endpoint(child, extra), Error::OutOfMemory);

    // Memory children bigger than what is left.
    checks.ok("delete the third endpoint", caps::delete(endpoints[2]));
    checks.error(
        "a Memory from the child, budget 1 with 64 bytes left",
        caps::create_memory(child, grandchild, 1),
        Error::OutOfMemory,
    );
    checks.ok(
        "a Memory from the child, budget 0 with 64 bytes left",
        caps::create_memory(child, grandchild, 0),
    );
    checks.equal(
        "the child Memory with a grandchild: budget, used",
        caps::memory_info(child),
        Ok((BUDGET, BUDGET)),
    );
    checks.ok("delete the grandchild", caps::delete(grandchild));
    checks.equal(
        "the child Memory after the grandchild: budget, used",
        caps::memory_info(child),
        Ok((BUDGET, BUDGET - ENDPOINT_COST)),
    );
    if let Ok((budget, used)) = caps::memory_info(memory) {
        checks.error(
            "a Memory from the boot Memory, all that is left as budget",
            caps::create_memory(memory, spare, budget - used),
            Error::OutOfMemory,
        );
        checks.error(
            "a Memory from the boot Memory, budget 2^64-1",
            caps::create_memory(memory, spare, u64::MAX),
            Error::OutOfMemory,
        );
        checks.ok(
            "a Memory from the boot Memory, all that is left minus MEMORY_COST",
            caps::create_memory(memory, spare, budget - used - MEMORY_COST),
        );
        checks.equal(
            "the boot Memory after that: budget, used",
            caps::memory_info(memory),
            Ok((budget, budget)),
        );
        checks.error(
            "an endpoint from the exhausted boot Memory",
            caps::create_endpoint(memory, extra),
            Error::OutOfMemory,
        );
        checks.ok("delete that Memory", caps::delete(spare));
        checks.equal(
            "the boot Memory after deleting it: budget, used",
            caps::memory_info(memory),
            Ok((budget, used)),
        );
    }

    // A Memory object owns what it paid for: its last capability gone, the endpoint made
    // from it goes too, and the boot Memory gets everything back.
    checks.ok("delete the second endpoint", caps::delete(endpoints[1]));
    checks.ok("delete the child Memory's capability", caps::delete(child));
    checks.error("the endpoint made from the deleted child", caps::identify(endpoints[0]), Error::EmptySlot);
    checks.equal(
        "Memory objects once the child is gone",
        caps::kernel_stats().memories,
        start_stats.memories,
    );

    checks.equal("the boot Memory at the end", caps::memory_info(memory), Ok((boot_budget, boot_used)));
    checks.equal("kernel_stats at the end", caps::kernel_stats(), start_stats);
    checks.finish()
}
