//! `ast_interrupts_running_thread`: this process binds its notification (first boot
//! capability) for ASTs and spins in a long computation that never makes a system call. A
//! signaller interrupts it: the handler runs in the middle of the computation (it sees the
//! computation's progress counter part way), prints, and returns; the computation then
//! finishes with the right result, so every register it kept was restored exactly. Exits 0
//! when every check holds.
#![no_std]
#![no_main]

mod caps_common;

use core::hint::black_box;
use core::sync::atomic::{AtomicU64, Ordering};

use caps_common::{boot_endpoint, slot, Checks, Hex};
use tryst::abi::BindMode;
use tryst::ast::{self, AstStack};
use tryst::{notify, println};

tryst::entry!(main);

static STACK: AstStack = AstStack::new();
/// How far the computation is, in rounds.
static PROGRESS: AtomicU64 = AtomicU64::new(0);
/// The bits and the progress the handler saw (0: not run).
static SEEN_BITS: AtomicU64 = AtomicU64::new(0);
static SEEN_AT: AtomicU64 = AtomicU64::new(0);

const ROUNDS: u64 = 20_000;
const INNER: u64 = 1_000;

fn on_ast(bits: u64, interrupted_a_blocked_call: bool) {
    let at = PROGRESS.load(Ordering::Relaxed);
    SEEN_BITS.store(bits, Ordering::Relaxed);
    SEEN_AT.store(at, Ordering::Relaxed);
    // Work that uses every register the computation might hold.
    let mut scramble = bits;
    for i in 0..10_000u64 {
        scramble = black_box(scramble.rotate_left(7) ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
    println!(
        "ast_compute: handler ran with bits {bits:#x} at round {at} of {ROUNDS} (blocked call: {interrupted_a_blocked_call}, scramble {})",
        scramble & 1
    );
}

/// Several running sums held in registers across the whole loop.
fn compute() -> (u64, u64, u64) {
    let (mut a, mut b, mut c) = (0u64, 1u64, 0u64);
    for round in 0..ROUNDS {
        for i in 0..INNER {
            let x = round * INNER + i;
            a = a.wrapping_add(x);
            b = b.wrapping_mul(3).wrapping_add(x);
            c ^= x.rotate_left((x & 63) as u32);
        }
        PROGRESS.store(round + 1, Ordering::Relaxed);
    }
    (a, b, c)
}

/// The same sums, computed again after the fact with no AST to interrupt them.
fn expected() -> (u64, u64, u64) {
    let n = ROUNDS * INNER;
    let (mut b, mut c) = (1u64, 0u64);
    for x in 0..n {
        b = b.wrapping_mul(3).wrapping_add(x);
        c ^= x.rotate_left((x & 63) as u32);
    }
    (n * (n - 1) / 2, b, c)
}

fn main(_: u64) -> u32 {
    let mut checks = Checks::new("ast_compute");
    let me = slot(tryst::boot_info().thread_slot);
    checks.ok("set the AST handler", ast::set_handler(me, on_ast, &STACK));
    checks.ok("bind the notification for ASTs", notify::bind(me, boot_endpoint(0), BindMode::Ast));
    checks.note(format_args!("computing"));
    let got = black_box(compute());
    checks.note(format_args!("computed"));
    let (bits, at) = (SEEN_BITS.load(Ordering::Relaxed), SEEN_AT.load(Ordering::Relaxed));
    checks.equal("the handler's bits", Hex(bits), Hex(0x4));
    checks.holds("the handler ran in the middle of the computation", at > 0 && at < ROUNDS);
    checks.equal("the result after ast_return", got, expected());
    checks.finish()
}
