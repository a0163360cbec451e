//! `ast_masked_deferred`: this process binds its own notification (first boot capability,
//! every right) for ASTs. Masked, its signals stay pending (the handler does not run however
//! long it waits) and merge; unmasked, the handler runs before `ast_mask` returns, once, with
//! all of them. A signal raised inside the handler waits for the handler to return, then runs
//! it again. Exits 0 when every check holds.
#![no_std]
#![no_main]

mod caps_common;

use core::sync::atomic::{AtomicU64, Ordering};

use caps_common::{boot_endpoint, slot, Checks, Hex};
use tryst::abi::{BindMode, Rights};
use tryst::ast::{self, AstStack};
use tryst::{caps, notify, println};

tryst::entry!(main);

static STACK: AstStack = AstStack::new();
/// How many times the handler ran, and the bits of each run (4 bits each, newest lowest).
static RUNS: AtomicU64 = AtomicU64::new(0);
static BITS: AtomicU64 = AtomicU64::new(0);
/// Whether a handler is running now (it must never be entered twice at once).
static INSIDE: AtomicU64 = AtomicU64::new(0);
/// The slot of a capability that signals bit 3, for the handler to signal itself with.
static AGAIN: AtomicU64 = AtomicU64::new(0);

fn on_ast(bits: u64, _: bool) {
    if INSIDE.swap(1, Ordering::Relaxed) != 0 {
        println!("ast_mask: handler entered twice at once: FAILED");
    }
    let run = RUNS.fetch_add(1, Ordering::Relaxed) + 1;
    BITS.store(BITS.load(Ordering::Relaxed) << 4 | bits, Ordering::Relaxed);
    println!("ast_mask: handler run {run} with bits {bits:#x}");
    let again = AGAIN.swap(0, Ordering::Relaxed);
    if again != 0 {
        // Pending until this run returns.
        let _ = notify::signal(slot(again));
        println!("ast_mask: signalled again from inside the handler");
    }
    INSIDE.store(0, Ordering::Relaxed);
}

fn main(_: u64) -> u32 {
    let mut checks = Checks::new("ast_mask");
    let boot = tryst::boot_info();
    let (me, ntfn) = (slot(boot.thread_slot), boot_endpoint(0));
    let (one, two, eight) =
        (slot(boot.first_free_slot), slot(boot.first_free_slot + 1), boot.first_free_slot + 2);
    checks.ok("mint a copy signalling bit 0", caps::mint(ntfn, one, Rights::WRITE, 0x1));
    checks.ok("mint a copy signalling bit 1", caps::mint(ntfn, two, Rights::WRITE, 0x2));
    checks.ok("mint a copy signalling bit 3", caps::mint(ntfn, slot(eight), Rights::WRITE, 0x8));
    checks.ok("set the AST handler", ast::set_handler(me, on_ast, &STACK));
    checks.ok("bind the notification for ASTs", notify::bind(me, ntfn, BindMode::Ast));
    checks.equal("mask (it was not masked)", ast::mask(), false);
    checks.ok("signal bit 0", notify::signal(one));
    checks.ok("signal bit 1", notify::signal(two));
    for _ in 0..3 {
        let _ = tryst::sleep(1);
    }
    checks.equal("handler runs while masked, three ticks later", RUNS.load(Ordering::Relaxed), 0);
    AGAIN.store(eight, Ordering::Relaxed);
    checks.equal("unmask (it was masked)", ast::unmask(), true);
    checks.equal("handler runs once unmask returned", RUNS.load(Ordering::Relaxed), 2);
    checks.equal("bits of each run", Hex(BITS.load(Ordering::Relaxed)), Hex(0x38));
    checks.error("ast_return outside a handler", ast_return(), tryst::Error::InvalidState);
    checks.finish()
}

/// `ast_return` made by hand, outside any handler.
fn ast_return() -> Result<[u64; 6], tryst::Error> {
    caps_common::raw(tryst::abi::SyscallNumber::AstReturn, [0; 6])
}
