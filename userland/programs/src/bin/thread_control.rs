//! `threads_from_user_space`: a process makes a second thread of its own through
//! capabilities — a Thread, a Frame for its stack and one for its IPC buffer — configures and
//! starts it in its own capability space and address space, and then steers it:
//!
//! 1. the worker counts in a shared word and yields; the controller sees the count rise;
//! 2. suspended, the worker does not run (the count stands still while the controller yields);
//! 3. resumed, it counts again;
//! 4. destroyed through its Thread capability, it is gone (the kernel reports it) and the
//!    count stands still for good.
//!
//! Along the way the refusals: configuring or starting twice (`InvalidState`), a priority
//! above the caller's (`MissingRights`), a start before configuring (`InvalidState`); and a
//! thread never started goes when its last capability is deleted. At the end the Memory
//! figures and thread count are as at the start. Exits 0 when every check holds.
#![no_std]
#![no_main]

mod caps_common;

use core::sync::atomic::{AtomicU64, Ordering};

use caps_common::{slot, Checks};
use tryst::memory::{self, PAGE, READ_WRITE};
use tryst::{caps, thread, Error};

tryst::entry!(main);

/// The controller's priority (the scenario's), which the worker gets too.
const PRIORITY: u8 = 3;
/// Where the worker's stack page goes.
const STACK: u64 = 0x6000_0000;
/// The worker's count of its rounds.
static ROUNDS: AtomicU64 = AtomicU64::new(0);

/// The worker: counts and yields, for ever (it is destroyed).
extern "C" fn worker(step: u64) -> ! {
    // Through the kernel's debug output, not the console server: the library finds a thread's
    // IPC buffer at IPC_BUFFER_ADDR, which is the first thread's, so this thread cannot send
    // a long message (per-thread IPC-buffer addresses are still to come).
    let mut line = *b"thread_control worker: running, counting by ?\n";
    line[line.len() - 2] = b'0' + (step % 10) as u8; // the step is a single digit
    let _ = tryst::debug_write(&line);
    loop {
        ROUNDS.fetch_add(step, Ordering::Relaxed);
        tryst::yield_now();
    }
}

/// Yields `n` times and returns how far the worker counted meanwhile.
fn counted_over(n: u32) -> u64 {
    let before = ROUNDS.load(Ordering::Relaxed);
    for _ in 0..n {
        tryst::yield_now();
    }
    ROUNDS.load(Ordering::Relaxed) - before
}

fn main(_: u64) -> u32 {
    let mut checks = Checks::new("thread_control");
    let boot = tryst::boot_info();
    let (memory, cspace, space) = (slot(boot.memory_slot), slot(boot.cspace_slot), slot(boot.space_slot));
    let first = boot.first_free_slot;
    let (worker_thread, stack, buffer, idle) =
        (slot(first), slot(first + 1), slot(first + 2), slot(first + 3));
    let start_threads = caps::kernel_stats().threads;
    let start_memory = caps::memory_info(memory);

    checks.ok("create a thread", caps::create_thread(memory, worker_thread));
    checks.ok("create its stack frame", caps::create_frame(memory, stack));
    checks.ok("create its IPC-buffer frame", caps::create_frame(memory, buffer));
    checks.ok("map the stack", memory::map(space, stack, STACK, READ_WRITE));
    checks.equal("threads after create", caps::kernel_stats().threads, start_threads + 1);
    let entry = worker as extern "C" fn(u64) -> ! as *const () as u64;
    checks.error(
        "start before configuring",
        thread::start(worker_thread, entry, STACK + PAGE - 8, 1),
        Error::InvalidState,
    );
    checks.error(
        "configure above the caller's priority",
        thread::configure(worker_thread, cspace, space, buffer, PRIORITY + 1),
        Error::MissingRights,
    );
    checks.ok("configure", thread::configure(worker_thread, cspace, space, buffer, PRIORITY));
    checks.error(
        "configure again",
        thread::configure(worker_thread, cspace, space, buffer, PRIORITY),
        Error::InvalidState,
    );
    checks.ok("name it", thread::set_name(worker_thread, "thread_control worker"));
    checks.ok("start", thread::start(worker_thread, entry, STACK + PAGE - 8, 1));
    checks.error(
        "start again",
        thread::start(worker_thread, entry, STACK + PAGE - 8, 1),
        Error::InvalidState,
    );

    checks.holds("the worker counts while the controller yields", counted_over(5) > 0);
    checks.ok("suspend it", thread::suspend(worker_thread));
    checks.ok("suspend it again (nothing changes)", thread::suspend(worker_thread));
    checks.equal("what it counts while suspended", counted_over(5), 0);
    checks.ok("resume it", thread::resume(worker_thread));
    checks.holds("the worker counts again once resumed", counted_over(5) > 0);
    checks.ok("destroy it", caps::destroy_thread(worker_thread));
    checks.equal("what it counts once destroyed", counted_over(5), 0);
    checks.equal(
        "its capability after the destroy",
        caps::identify(worker_thread).map(|c| c.kind),
        Err(Error::EmptySlot),
    );

    checks.ok("create a thread never to start", caps::create_thread(memory, idle));
    checks.ok("delete its only capability", caps::delete(idle));
    checks.equal("threads at the end, against the start", caps::kernel_stats().threads, start_threads);
    checks.ok("delete the stack frame", caps::delete(stack));
    checks.ok("delete the IPC-buffer frame", caps::delete(buffer));
    checks.equal("Memory figures at the end, against the start", caps::memory_info(memory), start_memory);
    checks.finish()
}
