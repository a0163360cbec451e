//! Revoking and deleting in long derivation chains: what it costs, and that it never shuts
//! the timer out.
//!
//! Argument 0, `revoke_cost_linear`: chains of 1,000, 2,000 and 4,000 copies of an endpoint,
//! each made from the one before, and as many copies made straight from the endpoint
//! ("flat"). Each is revoked and timed (under `-icount shift=0` a time-stamp tick is one
//! guest instruction); the cost per copy at twice the length may be at most 1.5 times the
//! cost per copy at the length before.
//!
//! Argument 1, `deep_revoke_stays_preemptible` (the revoker): a chain of 6,000 copies,
//! revoked while a more urgent process (argument 2, the sleeper) sleeps one tick at a time.
//! The sleeper first times 5 ticks on the time-stamp counter (a tick the kernel failed to
//! count would not show in its tick count), then lets the revoker start through boot
//! endpoint 0, and watches until the revoker says it is done. The longest gap it saw between
//! two wake-ups may be at most 2 timer periods.
//!
//! Argument 3, `delete_cost_constant`: chains of 1,000 and 4,000 copies, and as many flat
//! ones. Deleting the capability space that holds the first 128 copies, then the endpoint's
//! original capability, is timed: neither walks what lies below it, so at 4,000 copies each
//! may cost at most 1.5 times what it cost at 1,000.
#![no_std]
#![no_main]

mod caps_common;
mod revoke_common;

use caps_common::{boot_endpoint, slot, Checks};
use tryst::ipc::{self, MessageExt};
use tryst::raw::timestamp;
use tryst::{println, Message};

tryst::entry!(main);

/// Lengths timed by `revoke_cost_linear`.
const LENGTHS: [u64; 3] = [1_000, 2_000, 4_000];
/// Lengths timed by `delete_cost_constant`.
const DELETE_LENGTHS: [u64; 2] = [1_000, 4_000];
/// The chain `deep_revoke_stays_preemptible` revokes.
const DEEP: u64 = 6_000;
/// The longest gap between two of the sleeper's wake-ups the check allows, in timer periods.
const MAX_GAP: u64 = 2;
/// Ticks the sleeper times to learn the timer period.
const CALIBRATION_TICKS: u64 = 5;

fn main(role: u64) -> u32 {
    match role {
        0 => cost(),
        1 => revoker(),
        3 => delete_cost(),
        _ => sleeper(),
    }
}

fn cost() -> u32 {
    let mut checks = Checks::new("caps_revoke_chain");
    let boot = tryst::boot_info();
    let memory = slot(boot.memory_slot);
    for chained in [true, false] {
        let shape = if chained { "chained" } else { "flat" };
        let mut last_per_copy = None;
        for length in LENGTHS {
            let first = boot.first_free_slot;
            let Some(revoke) =
                checks.ok("revoke", revoke_common::time_revoke(memory, first, length, chained))
            else {
                return checks.finish();
            };
            checks.equal("capabilities the revoke deleted", revoke.deleted, length);
            let (cost, per_copy) = (revoke.instructions, revoke.per_copy());
            println!("caps_revoke_chain: {length} {shape} copies revoked in {cost} instructions, {per_copy} per copy");
            if let Some(last) = last_per_copy {
                checks.holds(
                    "the cost per copy at twice the length is at most 1.5 times what it was",
                    per_copy * 2 <= last * 3,
                );
            }
            last_per_copy = Some(per_copy);
        }
    }
    checks.finish()
}

fn delete_cost() -> u32 {
    let mut checks = Checks::new("caps_revoke_chain");
    let boot = tryst::boot_info();
    let memory = slot(boot.memory_slot);
    for chained in [true, false] {
        let shape = if chained { "chained" } else { "flat" };
        let mut costs = [(0, 0); DELETE_LENGTHS.len()];
        for (n, length) in DELETE_LENGTHS.into_iter().enumerate() {
            let first = boot.first_free_slot;
            let Some(delete) =
                checks.ok("delete", revoke_common::time_delete(memory, first, length, chained))
            else {
                return checks.finish();
            };
            let (space, original) = (delete.space, delete.original);
            println!(
                "caps_revoke_chain: {length} {shape} copies: a capability space of 128 of them deleted in {space} instructions, the original in {original}"
            );
            costs[n] = (space, original);
        }
        let ((space_short, original_short), (space_long, original_long)) = (costs[0], costs[1]);
        checks.holds(
            "deleting the capability space costs at most 1.5 times as much below 4 times as many copies",
            space_long * 2 <= space_short * 3,
        );
        checks.holds(
            "deleting the original costs at most 1.5 times as much above 4 times as many copies",
            original_long * 2 <= original_short * 3,
        );
    }
    checks.finish()
}

fn revoker() -> u32 {
    let mut checks = Checks::new("caps_revoke_chain revoker");
    checks.ok("wait for the sleeper", ipc::recv(boot_endpoint(0)));
    let boot = tryst::boot_info();
    let memory = slot(boot.memory_slot);
    if let Some(revoke) =
        checks.ok("revoke the chain", revoke_common::time_revoke(memory, boot.first_free_slot, DEEP, true))
    {
        let (cost, ticks) = (revoke.instructions, revoke.ticks);
        println!("caps_revoke_chain revoker: {DEEP} chained copies revoked in {cost} instructions, over {ticks} ticks");
        checks.equal("capabilities the revoke deleted", revoke.deleted, DEEP);
    }
    checks.ok("tell the sleeper", ipc::send(boot_endpoint(0), Message::short(1, &[])));
    checks.finish()
}

fn sleeper() -> u32 {
    let mut checks = Checks::new("caps_revoke_chain sleeper");
    let endpoint = boot_endpoint(0);
    let _ = tryst::sleep(1);
    let start = timestamp();
    for _ in 0..CALIBRATION_TICKS {
        let _ = tryst::sleep(1);
    }
    let period = (timestamp() - start) / CALIBRATION_TICKS;
    checks.ok("let the revoker start", ipc::send(endpoint, Message::short(0, &[])));
    let (mut last, mut longest, mut wakeups) = (timestamp(), 0, 0);
    // Until the revoker is done (a message waits), or 3,000 ticks at most.
    while ipc::nb_recv(endpoint).is_err() && wakeups < 3_000 {
        let _ = tryst::sleep(1);
        let now = timestamp();
        (longest, last, wakeups) = (longest.max(now - last), now, wakeups + 1);
    }
    let gap = longest * 10 / period.max(1);
    println!(
        "caps_revoke_chain sleeper: woke {wakeups} times, at most {}.{} timer periods apart",
        gap / 10,
        gap % 10
    );
    checks.holds("the revoker finished while the sleeper watched", wakeups < 3_000);
    checks.holds("the sleeper woke at least every 2 timer periods", longest <= MAX_GAP * period);
    checks.finish()
}
