//! `ast_during_blocked_recv`: this process binds its notification (second boot capability)
//! for ASTs and waits in `recv` on its endpoint (first boot capability). A signal arrives
//! while it waits: the handler runs, told that it interrupted a blocked call, and returns;
//! the `recv` is made again and receives, as if nothing had happened, the message a sender
//! sends later. Exits 0 when every check holds.
#![no_std]
#![no_main]

mod caps_common;

use core::sync::atomic::{AtomicU64, Ordering};

use caps_common::{boot_endpoint, slot, Checks, Hex};
use tryst::abi::BindMode;
use tryst::ast::{self, AstStack};
use tryst::{ipc, notify, println};

tryst::entry!(main);

static STACK: AstStack = AstStack::new();
/// The bits the handler took, and 1 << 63 when it was told a blocked call was cancelled.
static SEEN: AtomicU64 = AtomicU64::new(0);

fn on_ast(bits: u64, interrupted_a_blocked_call: bool) {
    println!("ast_recv: handler ran with bits {bits:#x} (blocked call: {interrupted_a_blocked_call})");
    SEEN.store(bits | u64::from(interrupted_a_blocked_call) << 63, Ordering::Relaxed);
}

fn main(_: u64) -> u32 {
    let mut checks = Checks::new("ast_recv");
    let me = slot(tryst::boot_info().thread_slot);
    checks.ok("set the AST handler", ast::set_handler(me, on_ast, &STACK));
    checks.ok("bind the notification for ASTs", notify::bind(me, boot_endpoint(1), BindMode::Ast));
    checks.note(format_args!("receiving"));
    let received = ipc::recv(boot_endpoint(0));
    checks.note(format_args!("received"));
    checks.equal("the handler saw", Hex(SEEN.load(Ordering::Relaxed)), Hex(1 << 63 | 0x8));
    let received = received.map(|(badge, m)| (badge, m.info.label, m.info.length, m.words));
    checks.equal("the recv's result", received, Ok((0, 42, 4, [1, 2, 3, 4])));
    checks.finish()
}
