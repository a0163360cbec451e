//! `suspended_caller_call_cancelled`: DESIGN.md decision 6 through real system calls. The
//! process serves an endpoint of its own; a second thread of it calls that endpoint.
//!
//! 1. The server receives the call, then suspends the caller: the call is cancelled, and
//!    the server's reply returns `PeerGone`.
//! 2. Resumed, the caller sees its call return `Cancelled`.
//! 3. It calls again, and this call is answered as usual.
//!
//! Exits 0 when every check holds.
#![no_std]
#![no_main]

mod caps_common;

use core::sync::atomic::{AtomicU64, Ordering};

use caps_common::{slot, Checks};
use tryst::ipc::{self, MessageExt};
use tryst::memory::{self, PAGE, READ_WRITE};
use tryst::{caps, thread, Error, Message, Slot};

tryst::entry!(main);

/// The scenario's priority, which the caller thread gets too.
const PRIORITY: u8 = 3;
/// Where the caller's stack page goes.
const STACK: u64 = 0x6000_0000;
/// What each of the caller's two calls returned (see `outcome`); 0 until it returns.
static FIRST: AtomicU64 = AtomicU64::new(0);
static SECOND: AtomicU64 = AtomicU64::new(0);

/// A call's result in one word: an error's code, or 1000 plus the reply's first word.
fn outcome(result: Result<Message, Error>) -> u64 {
    match result {
        Ok(reply) => 1000 + reply.words[0],
        Err(error) => u64::from(error),
    }
}

/// The caller: two calls on the endpoint in slot `endpoint`, then it waits to be destroyed.
extern "C" fn caller(endpoint: u64) -> ! {
    let Ok(endpoint) = Slot::new(endpoint) else {
        loop {
            tryst::yield_now()
        }
    };
    FIRST.store(outcome(ipc::call(endpoint, Message::short(1, &[1]))), Ordering::Relaxed);
    SECOND.store(outcome(ipc::call(endpoint, Message::short(2, &[2]))), Ordering::Relaxed);
    loop {
        tryst::yield_now();
    }
}

/// Yields until `word` is set (at most 100 times); returns it.
fn await_word(word: &AtomicU64) -> u64 {
    for _ in 0..100 {
        if word.load(Ordering::Relaxed) != 0 {
            break;
        }
        tryst::yield_now();
    }
    word.load(Ordering::Relaxed)
}

fn main(_: u64) -> u32 {
    let mut checks = Checks::new("ipc_suspended_caller");
    let boot = tryst::boot_info();
    let (memory, cspace, space) = (slot(boot.memory_slot), slot(boot.cspace_slot), slot(boot.space_slot));
    let first = boot.first_free_slot;
    let (endpoint, worker, stack, buffer) = (slot(first), slot(first + 1), slot(first + 2), slot(first + 3));
    checks.ok("create the endpoint", caps::create_endpoint(memory, endpoint));
    checks.ok("create the caller thread", caps::create_thread(memory, worker));
    checks.ok("create its stack frame", caps::create_frame(memory, stack));
    checks.ok("create its IPC-buffer frame", caps::create_frame(memory, buffer));
    checks.ok("map the stack", memory::map(space, stack, STACK, READ_WRITE));
    checks.ok("configure it", thread::configure(worker, cspace, space, buffer, PRIORITY));
    let entry = caller as extern "C" fn(u64) -> ! as *const () as u64;
    checks.ok("start it", thread::start(worker, entry, STACK + PAGE - 8, endpoint.into()));

    // 1. The call arrives; the caller is suspended while it waits for the reply.
    if let Some((_, call)) = checks.ok("receive the first call", ipc::recv(endpoint)) {
        checks.equal("its word", call.words[0], 1);
    }
    checks.ok("suspend the caller", thread::suspend(worker));
    checks.error("reply to the cancelled call", ipc::reply(Message::short(0, &[10])), Error::PeerGone);
    // 2. Resumed, the caller gets its error back.
    checks.ok("resume the caller", thread::resume(worker));
    checks.equal("what the first call returned", await_word(&FIRST), u64::from(Error::Cancelled));
    // 3. The next call is served as usual.
    if let Some((_, call)) = checks.ok("receive the second call", ipc::recv(endpoint)) {
        checks.equal("its word", call.words[0], 2);
    }
    checks.ok("answer it", ipc::reply(Message::short(0, &[20])));
    checks.equal("what the second call returned", await_word(&SECOND), 1020);

    checks.ok("destroy the caller", caps::destroy_thread(worker));
    for object in [endpoint, stack, buffer] {
        checks.ok("delete", caps::delete(object));
    }
    checks.finish()
}
