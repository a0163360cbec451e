//! A system-call fuzzer. Several copies run at once (scenario `syscall_fuzz_short`, and
//! `make fuzz`), at different priorities, sharing two endpoints and a notification that init
//! made. Each makes its share of random system calls, with arguments biased toward what finds
//! bugs: valid and invalid slots and slot paths, kernel, non-canonical and page-boundary
//! addresses, rights masks with unknown bits, every object kind and some that do not exist.
//! It creates, maps, mints, moves, revokes, binds and signals; it starts threads at bad
//! addresses, with and without fault handlers, so that they fault on purpose; it sends
//! messages with buffer words and capabilities to the other copies.
//!
//! Whatever it does, the kernel must answer every call (an error code is an answer), never
//! panic, and get every object and frame back once the processes are gone (the scenario's
//! check). A fuzzer that disables itself finds nothing, so it keeps its own life out of reach:
//! destructive calls name only its scratch slots (and paths through capability spaces found
//! there), and its own thread, spaces and Memory are never copied into them.
//!
//! A blocking call can wait for a partner that never comes: a watchdog thread of the same
//! priority notices when the fuzzer stops making progress, and frees it, first by suspending
//! and resuming it (which cancels its IPC), then by signalling every notification it can, then
//! by revoking the pool that the fuzzer makes its objects from.
//!
//! Argument: bits 0–7 which copy this is, 8–31 how many calls it makes, 32–63 the seed.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};

use tryst::abi::{
    BootInfo, IpcBuffer, ObjectKind, SyscallNumber, ThreadRunState, IPC_BUFFER_ADDR, MAX_MESSAGE_CAPS,
    MAX_MESSAGE_WORDS, NO_RECEIVE_SLOT, SLEEP_MAX_TICKS, USER_END,
};
use tryst::memory::{self, PAGE, READ_WRITE};
use tryst::{caps, println, thread, Slot};

tryst::entry!(main);

/// The slots destructive calls may name: the fuzzer's playground.
const SCRATCH: core::ops::Range<u64> = 16..48;
/// The endpoints and the notification init shares among the copies (scenario order).
const SHARED: [u64; 3] = [2, 3, 4];
/// Where the watchdog's stack is mapped.
const WATCHDOG_STACK: u64 = 0x6000_0000;
/// Pages the fuzzer maps frames into in its own space (nothing else is there).
const MAP_WINDOW: u64 = 0x5000_0000;
const MAP_WINDOW_PAGES: u64 = 16;
/// Kernel memory for the objects the fuzzer makes; the watchdog revokes it when stuck.
const POOL_BUDGET: u64 = 96 * 1024;

/// Calls the fuzzer has completed: the watchdog's evidence of progress.
static PROGRESS: AtomicU64 = AtomicU64::new(0);
/// How often the watchdog had to free the fuzzer.
static RESCUES: AtomicU64 = AtomicU64::new(0);
/// What a data page holds: the address of a static that is not code (an execute fault).
static NOT_CODE: [u8; 8] = [0xc3; 8];
/// The only readable bytes the fuzzer lets the kernel print: a line of its own that can
/// never join or split the lines the tests read.
static LINE: [u8; 1] = *b"\n";
/// The only readable bytes the fuzzer names threads with.
static NAME: [u8; 2] = *b"fz";

/// The slots the fuzzer keeps for itself, below `SCRATCH`.
#[derive(Clone, Copy)]
struct Own {
    cspace: u64,
    memory: u64,
    space: u64,
    thread: u64,
    pool: u64,
    watchdog: u64,
}

fn main(argument: u64) -> u32 {
    let (index, calls, seed) = (argument & 0xff, (argument >> 8) & 0xff_ffff, argument >> 32);
    let boot = tryst::boot_info();
    let first = boot.first_free_slot;
    let own = Own {
        cspace: boot.cspace_slot,
        memory: boot.memory_slot,
        space: boot.space_slot,
        thread: boot.thread_slot,
        pool: first,
        watchdog: first + 1,
    };
    assert!(first + 4 <= SCRATCH.start, "the fuzzer's own slots overlap its scratch slots");
    let priority = thread::info(slot(own.thread)).map_or(1, |info| info.priority);
    if let Err(error) = start_watchdog(own, priority, first + 2, first + 3) {
        println!("fuzz {index}: cannot start the watchdog: {error:?}");
        return 1;
    }
    let mut fuzzer = Fuzzer { rng: Rng::new(seed, index), own, priority, tally: Tally::default() };
    while fuzzer.tally.calls() < calls {
        fuzzer.one_call();
    }
    let t = &fuzzer.tally;
    println!(
        "fuzz {index}: done: {} calls (seed {seed}): {} succeeded, {} refused, {} cancelled, {} blocked calls freed by the watchdog, {} threads started",
        t.calls(),
        t.succeeded,
        t.refused,
        t.cancelled,
        RESCUES.load(Ordering::Relaxed),
        t.started
    );
    0
}

/// The watchdog: a thread of the fuzzer's priority, in its spaces, with a stack of its own.
fn start_watchdog(own: Own, priority: u8, stack: u64, buffer: u64) -> Result<(), tryst::Error> {
    let memory = slot(own.memory);
    caps::create_memory(memory, slot(own.pool), POOL_BUDGET)?;
    caps::create_thread(memory, slot(own.watchdog))?;
    caps::create_frame(memory, slot(stack))?;
    caps::create_frame(memory, slot(buffer))?;
    memory::map(slot(own.space), slot(stack), WATCHDOG_STACK, READ_WRITE)?;
    thread::configure(slot(own.watchdog), slot(own.cspace), slot(own.space), slot(buffer), priority)?;
    let _ = thread::set_name(slot(own.watchdog), "fuzz watchdog");
    let entry = watchdog as extern "C" fn(u64) -> ! as *const () as u64;
    let own_word = own.thread | own.pool << 8;
    thread::start(slot(own.watchdog), entry, WATCHDOG_STACK + PAGE - 8, own_word)
}

/// Turns the watchdog gives the fuzzer's equals to answer a blocked call before it steps in.
const PATIENCE: u32 = 8;
/// Turns (ticks, by then) after which the watchdog gives up waiting for a `wait` to end.
const LAST_RESORT: u32 = 4 * PATIENCE;

/// Runs whenever the fuzzer is not running and nothing else of its priority is ready. If the
/// fuzzer made no call since the watchdog's last turn, it is blocked (or sleeping): after
/// `PATIENCE` turns the watchdog frees it, as the state it is blocked in requires. From then
/// on it takes a turn a tick, so that lower priorities run: the fuzzer may be waiting for one
/// of them (a notification only another copy can signal, or whose end wakes it).
extern "C" fn watchdog(own_word: u64) -> ! {
    let (fuzzer, pool) = (slot(own_word & 0xff), slot(own_word >> 8));
    let mut stalls = 0;
    loop {
        let seen = PROGRESS.load(Ordering::Relaxed);
        if stalls < PATIENCE {
            tryst::yield_now();
        } else {
            let _ = tryst::sleep(1);
        }
        if PROGRESS.load(Ordering::Relaxed) != seen {
            stalls = 0;
            continue;
        }
        let state = thread::info(fuzzer).map(|info| info.state);
        if state == Err(tryst::Error::EmptySlot) {
            // The fuzzer has ended (its capability went with it): so does its watchdog.
            tryst::exit(0);
        }
        stalls += 1;
        if state == Ok(ThreadRunState::Sleeping) {
            // It wakes by itself: meanwhile, lower priorities may run.
            stalls = stalls.max(PATIENCE + 1);
            continue;
        }
        if stalls == PATIENCE {
            RESCUES.fetch_add(1, Ordering::Relaxed);
            match state {
                // Wakes a `wait`, if the fuzzer waits on a notification in reach.
                Ok(ThreadRunState::Waiting) => {
                    for n in SHARED.into_iter().chain(SCRATCH) {
                        let _ = tryst::notify::signal(slot(n));
                    }
                }
                // Blocked in IPC: suspending cancels it (the call returns `Cancelled`).
                _ => {
                    let _ = thread::suspend(fuzzer);
                    let _ = thread::resume(fuzzer);
                }
            }
        } else if stalls == LAST_RESORT {
            // Whatever it waits on that the pool paid for goes, which wakes it with `PeerGone`.
            let _ = caps::revoke(pool);
        }
    }
}

/// How long a started thread spins, in loop turns (two instructions each).
const SPIN_TURNS: u32 = 1 << 16;

/// Where a started thread goes: it spins for a while at its priority, then exits. Bounded,
/// because it may outlive the copy that started it (paid for by another copy's Memory, which
/// its capabilities can reach) at a priority above the copies left. Needs no stack. (No
/// `pause`: QEMU's TCG leaves its execution loop at every one, which slows the whole machine
/// to a crawl.)
// SAFETY: the body is only the assembly below, which uses no stack and follows no calling
// convention: it counts down in ecx, then makes the `exit` system call, which never returns.
#[unsafe(naked)]
extern "C" fn spin() -> ! {
    core::arch::naked_asm!(
        "mov ecx, {turns}",
        "2: dec ecx",
        "jnz 2b",
        "mov eax, {exit}",
        "xor edi, edi",
        "syscall",
        "ud2",
        turns = const SPIN_TURNS,
        exit = const SyscallNumber::Exit as u64,
    )
}

/// Where a started thread faults at once: an invalid opcode.
extern "C" fn invalid_opcode() -> ! {
    // SAFETY: `ud2` only raises #UD, which the kernel reports (or sends to a fault handler).
    unsafe { core::arch::asm!("ud2", options(noreturn)) }
}

/// One of the fuzzer's own slots, which are all below `CSPACE_SLOTS`.
fn slot(number: u64) -> Slot {
    Slot::new(number).expect("the fuzzer's own slots are valid")
}

/// The outcomes the fuzzer counts.
#[derive(Default)]
struct Tally {
    succeeded: u64,
    refused: u64,
    cancelled: u64,
    started: u64,
}

impl Tally {
    fn calls(&self) -> u64 {
        self.succeeded + self.refused + self.cancelled
    }
}

/// splitmix64: small, fast, and every seed gives a different stream.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, index: u64) -> Rng {
        Rng(seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Slot numbers no capability space has, and raw paths no decoder accepts.
const INVALID_SLOTS: [u64; 7] = [128, 255, 256, 0x1_0000, NO_RECEIVE_SLOT, 1 << 32, u64::MAX - 1];
/// Addresses around every boundary a user buffer or mapping can cross.
const ADDRESSES: [u64; 16] = [
    0,
    8,
    0xfff,
    0x1000,
    0x40_0000,
    MAP_WINDOW - 1,
    WATCHDOG_STACK,
    IPC_BUFFER_ADDR,
    IPC_BUFFER_ADDR + PAGE - 4,
    USER_END - PAGE,
    USER_END - 1,
    USER_END,
    0xffff_8000_0000_0000,
    0xffff_9000_0000_0000,
    0xffff_ffff_8000_0000,
    0x8000_0000_0000_0000,
];

/// Addresses where nothing is mapped, or nothing user code may read.
const UNREADABLE: [u64; 9] = [
    0,
    0xfff,
    MAP_WINDOW - 1,
    USER_END - 1,
    USER_END,
    0xffff_8000_0000_0000,
    0xffff_ffff_8000_0000,
    u64::MAX - 7,
    0x8000_0000_0000_0000,
];

struct Fuzzer {
    rng: Rng,
    own: Own,
    priority: u8,
    tally: Tally,
}

impl Fuzzer {
    /// Makes one random system call, or a recipe of several.
    fn one_call(&mut self) {
        if self.rng.chance(4) {
            return self.start_a_thread();
        }
        let (number, args) = self.random_call();
        self.make(number, args);
    }

    /// Makes system call `number` with `args` and counts the outcome; whether it succeeded.
    fn make(&mut self, number: u64, args: [u64; 6]) -> bool {
        // SAFETY: the kernel validates every argument, and no call the fuzzer makes writes to
        // its memory except the IPC buffer, which Rust code only reads through volatile
        // accesses. Calls that could end or disable this process (exit, destructive calls on
        // its own slots) are never generated.
        let (status, _) = unsafe { tryst::raw::syscall(number, args) };
        PROGRESS.fetch_add(1, Ordering::Relaxed);
        const CANCELLED: u64 = tryst::Error::Cancelled as u64;
        match status {
            0 => self.tally.succeeded += 1,
            CANCELLED => self.tally.cancelled += 1,
            _ => self.tally.refused += 1,
        }
        status == 0
    }

    fn random_call(&mut self) -> (u64, [u64; 6]) {
        use SyscallNumber as N;
        let r = &mut self.rng;
        // The weights favour the calls with the most paths through the kernel.
        let number = match r.below(100) {
            0..=3 => r.pick(&[N::Yield, N::KernelStats, N::AstReturn, N::AstMask]),
            4..=6 => N::DebugWrite,
            7 => N::Sleep,
            8..=27 => r.pick(&[N::Send, N::NbSend, N::Call, N::Recv, N::NbRecv, N::Reply, N::ReplyRecv]),
            28..=47 => {
                r.pick(&[N::CapCopy, N::CapMint, N::CapMove, N::CapDelete, N::CapRevoke, N::CapIdentify])
            }
            48..=59 => N::Create,
            60..=63 => r.pick(&[N::MemoryInfo, N::EndpointStats, N::ThreadInfo]),
            64..=69 => r.pick(&[N::Map, N::Unmap]),
            70..=81 => r.pick(&[
                N::ThreadDestroy,
                N::ThreadSetFaultHandler,
                N::ThreadConfigure,
                N::ThreadStart,
                N::ThreadSuspend,
                N::ThreadResume,
                N::ThreadSetName,
                N::ThreadNotifyExit,
            ]),
            82..=91 => r.pick(&[N::Signal, N::Wait, N::Poll, N::NotificationBind, N::NotificationUnbind]),
            92..=94 => N::AstSetHandler,
            95..=97 => r.pick(&[
                N::IrqControlGet,
                N::IrqSetNotification,
                N::IrqAck,
                N::IoPortIssue,
                N::PortIn,
                N::PortOut,
            ]),
            // Numbers the kernel does not have.
            _ => return (r.pick(&[46, 47, 63, 64, 255, 1 << 32, u64::MAX]), [r.next(); 6]),
        };
        (number as u64, self.arguments(number))
    }

    /// Arguments for `number`, each of the kind the call expects most of the time.
    fn arguments(&mut self, number: SyscallNumber) -> [u64; 6] {
        use SyscallNumber as N;
        let mut args = match number {
            N::DebugWrite => {
                let (addr, len) = self.buffer(&LINE);
                [addr, len, 0, 0, 0, 0]
            }
            N::Yield | N::KernelStats | N::AstReturn => [0; 6],
            // Never generated (see `random_call`): it would end the run.
            N::Exit => [0; 6],
            N::Sleep => [self.ticks(), 0, 0, 0, 0, 0],
            N::Send | N::NbSend | N::Call | N::Reply | N::ReplyRecv => {
                let info = self.message();
                let endpoint = self.endpoint();
                let r = &mut self.rng;
                [endpoint, info, r.next(), r.next(), r.next(), r.next()]
            }
            N::Recv | N::NbRecv => {
                self.receive_slots();
                [self.endpoint(), 0, 0, 0, 0, 0]
            }
            N::CapCopy => [self.source(), self.destination(), 0, 0, 0, 0],
            N::CapMint => {
                let (source, dest) = (self.source(), self.destination());
                [source, dest, self.rights(), self.badge(), 0, 0]
            }
            N::CapMove => [self.scratch_path(), self.destination(), 0, 0, 0, 0],
            N::CapDelete | N::CapRevoke => [self.scratch_path(), 0, 0, 0, 0, 0],
            N::CapIdentify
            | N::MemoryInfo
            | N::EndpointStats
            | N::ThreadInfo
            | N::Signal
            | N::Wait
            | N::Poll => [self.usable(), 0, 0, 0, 0, 0],
            N::Create => {
                let (memory, kind, dest) = (self.memory(), self.kind(), self.destination());
                [memory, kind, dest, self.budget(), 0, 0]
            }
            N::ThreadDestroy | N::ThreadSuspend | N::ThreadResume | N::NotificationUnbind | N::Unmap => {
                [self.scratch(), 0, 0, 0, 0, 0]
            }
            N::Map => {
                let (space, frame) = (self.space(), self.usable());
                [space, frame, self.map_address(), self.rights(), 0, 0]
            }
            N::ThreadSetFaultHandler => [self.scratch(), self.usable(), 0, 0, 0, 0],
            N::ThreadConfigure => {
                let (thread, cspace, space, buffer) =
                    (self.scratch(), self.cspace(), self.space(), self.usable());
                [thread, cspace, space, buffer, self.priority_arg(), 0]
            }
            N::ThreadStart => [self.scratch(), self.ip(), self.sp(), self.rng.next(), 0, 0],
            N::ThreadSetName => {
                let (addr, len) = self.buffer(&NAME);
                [self.scratch(), addr, len, 0, 0, 0]
            }
            N::ThreadNotifyExit | N::NotificationBind => {
                let (thread, notification) = (self.scratch(), self.usable());
                [thread, notification, self.rng.pick(&[0, 1, 2, u64::MAX]), 0, 0, 0]
            }
            N::AstSetHandler => [self.scratch(), self.ip(), self.sp(), 0, 0, 0],
            N::AstMask => [self.rng.pick(&[0, 1, 2, u64::MAX]), 0, 0, 0, 0, 0],
            N::IrqControlGet
            | N::IrqSetNotification
            | N::IrqAck
            | N::IoPortIssue
            | N::PortIn
            | N::PortOut => {
                let r = &mut self.rng;
                let (line, width) =
                    (r.pick(&[0, 1, 4, 15, 16, 0x3f8, 0xffff, u64::MAX]), r.pick(&[0, 1, 2, 3, 4]));
                [self.usable(), line, width, self.destination(), 0, 0]
            }
        };
        // Now and then, one argument is anything at all.
        if self.rng.chance(3) {
            let which = self.rng.below(6) as usize;
            args[which] = self.rng.next();
        }
        args
    }

    /// A recipe that gets a thread started, which random arguments alone rarely manage:
    /// create it and its IPC buffer, configure it in this process's spaces or in a scratch
    /// one, maybe give it a fault handler or an AST binding, and start it somewhere bad.
    fn start_a_thread(&mut self) {
        use SyscallNumber as N;
        let (thread, buffer) = (self.rng.pick_scratch(), self.rng.pick_scratch());
        let pool = self.own.pool;
        self.make(N::CapDelete as u64, [thread, 0, 0, 0, 0, 0]);
        self.make(N::Create as u64, [pool, ObjectKind::Thread as u64, thread, 0, 0, 0]);
        if self.rng.chance(60) {
            self.make(N::CapDelete as u64, [buffer, 0, 0, 0, 0, 0]);
            self.make(N::Create as u64, [pool, ObjectKind::Frame as u64, buffer, 0, 0, 0]);
        }
        let (cspace, space) = (self.cspace(), self.space());
        // Mostly below every fuzzer: a spinning thread of its priority takes whole time slices.
        let priority = match self.rng.below(10) {
            0..=6 => 1,
            7..=8 => self.priority.saturating_sub(1),
            _ => self.priority,
        };
        let configure = [thread, cspace, space, buffer, u64::from(priority), 0];
        if !self.make(N::ThreadConfigure as u64, configure) {
            return;
        }
        if self.rng.chance(50) {
            let scratch = self.rng.pick_scratch();
            let handler = self.rng.pick(&[SHARED[0], SHARED[1], scratch]);
            self.make(N::ThreadSetFaultHandler as u64, [thread, handler, 0, 0, 0, 0]);
        }
        if self.rng.chance(20) {
            let scratch = self.rng.pick_scratch();
            let notification = self.rng.pick(&[SHARED[2], scratch]);
            self.make(N::NotificationBind as u64, [thread, notification, 1, 0, 0, 0]);
            let handler = [thread, self.ip(), self.sp(), 0, 0, 0];
            self.make(N::AstSetHandler as u64, handler);
        }
        let start = [thread, self.ip(), self.sp(), self.rng.next(), 0, 0];
        if self.make(N::ThreadStart as u64, start) {
            self.tally.started += 1;
        }
    }

    /// A slot for calls that use what it holds without harming it: scratch mostly, the
    /// shared objects and the pool, this process's own objects (for reads; the kernel
    /// refuses the rest), or no slot at all.
    fn usable(&mut self) -> u64 {
        let own = self.own;
        match self.rng.below(100) {
            0..=59 => self.rng.pick_scratch(),
            60..=74 => self.rng.pick(&[SHARED[0], SHARED[1], SHARED[2], own.pool]),
            75..=84 => self.rng.pick(&[own.cspace, own.memory, own.space, own.thread, own.watchdog]),
            _ => self.rng.pick(&INVALID_SLOTS),
        }
    }

    /// A slot for IPC: the endpoints the copies share half the time, so that their calls
    /// meet (and take the fastpath, when they can).
    fn endpoint(&mut self) -> u64 {
        if self.rng.chance(50) {
            self.rng.pick(&[SHARED[0], SHARED[1]])
        } else {
            self.usable()
        }
    }

    /// A slot a destructive call may name: scratch, or no slot at all.
    fn scratch(&mut self) -> u64 {
        if self.rng.chance(90) {
            self.rng.pick_scratch()
        } else {
            self.rng.pick(&INVALID_SLOTS)
        }
    }

    /// A path a destructive call may name: a scratch slot, a slot of a space whose capability
    /// is in a scratch slot, or something that is no path.
    fn scratch_path(&mut self) -> u64 {
        match self.rng.below(100) {
            0..=74 => self.rng.pick_scratch(),
            75..=89 => (self.rng.pick_scratch() + 1) << 8 | self.rng.below(130),
            _ => self.rng.pick(&[INVALID_SLOTS[0], 0x100 | 200, 200 << 8, 1 << 16, u64::MAX]),
        }
    }

    /// Where a new capability goes.
    fn destination(&mut self) -> u64 {
        self.scratch_path()
    }

    /// What a copy or mint copies: anything shareable. This process's own capability space,
    /// address space, thread and Memory are not: a copy would put them within reach of
    /// destructive calls and of other processes.
    fn source(&mut self) -> u64 {
        if self.rng.chance(20) {
            self.rng.pick(&[SHARED[0], SHARED[1], SHARED[2], self.own.pool])
        } else {
            self.scratch_path()
        }
    }

    fn memory(&mut self) -> u64 {
        match self.rng.below(100) {
            0..=54 => self.own.pool,
            55..=89 => self.rng.pick_scratch(),
            90..=93 => self.own.memory,
            _ => self.usable(),
        }
    }

    fn cspace(&mut self) -> u64 {
        if self.rng.chance(40) {
            self.own.cspace
        } else {
            self.usable()
        }
    }

    fn space(&mut self) -> u64 {
        if self.rng.chance(40) {
            self.own.space
        } else {
            self.usable()
        }
    }

    fn kind(&mut self) -> u64 {
        use ObjectKind as K;
        let kinds =
            [K::CSpace, K::Memory, K::Endpoint, K::Thread, K::Frame, K::AddressSpace, K::Notification];
        match self.rng.below(100) {
            0..=89 => self.rng.pick(&kinds) as u64,
            90..=94 => self.rng.pick(&[K::IrqControl, K::IrqHandler, K::IoPort]) as u64,
            _ => self.rng.pick(&[0, 11, 255, u64::MAX]),
        }
    }

    fn budget(&mut self) -> u64 {
        self.rng.pick(&[0, 64, 1000, 4096, 16 * 1024, 64 * 1024, 1 << 40, u64::MAX])
    }

    fn rights(&mut self) -> u64 {
        if self.rng.chance(85) {
            self.rng.below(32)
        } else {
            self.rng.next()
        }
    }

    fn badge(&mut self) -> u64 {
        let any = self.rng.next();
        self.rng.pick(&[0, 1, 2, 0xff, u64::MAX, any])
    }

    fn priority_arg(&mut self) -> u64 {
        let p = u64::from(self.priority);
        self.rng.pick(&[0, 1, p.saturating_sub(1), p, p + 1, 255, 256, u64::MAX])
    }

    fn ticks(&mut self) -> u64 {
        match self.rng.below(100) {
            0..=29 => 0,
            30..=79 => 1,
            80..=94 => 2 + self.rng.below(2),
            _ => self.rng.pick(&[SLEEP_MAX_TICKS + 1, u64::MAX]),
        }
    }

    /// A buffer the kernel reads: `readable` (a line break to print, or a short name), or
    /// an address no user code may read. Nothing else readable: it could print lines that look
    /// like the tests' verdicts.
    fn buffer(&mut self, readable: &'static [u8]) -> (u64, u64) {
        if self.rng.chance(40) {
            (readable.as_ptr() as u64, self.rng.below(readable.len() as u64 + 1))
        } else {
            (self.rng.pick(&UNREADABLE), self.rng.pick(&[0, 1, 7, 16, 4096, 1 << 20, u64::MAX]))
        }
    }

    /// Where to map a page: mostly the free window, sometimes anywhere at all.
    fn map_address(&mut self) -> u64 {
        if self.rng.chance(60) {
            MAP_WINDOW + self.rng.below(MAP_WINDOW_PAGES) * PAGE
        } else {
            self.rng.pick(&ADDRESSES)
        }
    }

    /// Where a thread starts (or an AST handler runs): code that spins or faults, data,
    /// nothing, or no user address at all.
    fn ip(&mut self) -> u64 {
        let spin = spin as extern "C" fn() -> ! as *const () as u64;
        let fault = invalid_opcode as extern "C" fn() -> ! as *const () as u64;
        let data = NOT_CODE.as_ptr() as u64;
        match self.rng.below(100) {
            0..=34 => spin,
            35..=54 => fault,
            55..=64 => data,
            _ => self.rng.pick(&ADDRESSES),
        }
    }

    fn sp(&mut self) -> u64 {
        self.rng.pick(&[0, WATCHDOG_STACK - 8, MAP_WINDOW + PAGE, USER_END, USER_END - 8, u64::MAX - 15])
    }

    /// A message-info word, with the IPC buffer prepared for it: words beyond the registers,
    /// capabilities to send, and slots to receive into.
    fn message(&mut self) -> u64 {
        let r = &mut self.rng;
        let length = match r.below(100) {
            0..=59 => r.below(5),
            60..=94 => 5 + r.below(MAX_MESSAGE_WORDS as u64 - 4),
            _ => r.pick(&[65, 100, 127]),
        };
        let caps = if r.chance(75) { 0 } else { 1 + r.below(MAX_MESSAGE_CAPS as u64) };
        let reserved = if r.chance(3) { 1 << 9 } else { 0 };
        let label = r.below(1 << 16) << 16;
        for i in 4..length.min(MAX_MESSAGE_WORDS as u64) as usize {
            let word = self.rng.next();
            tryst::raw::set_ipc_word(i, word);
        }
        for i in 0..MAX_MESSAGE_CAPS {
            let sent = self.source();
            tryst::raw::set_ipc_word(IpcBuffer::SEND_CAPS + i, sent);
        }
        self.receive_slots();
        label | reserved | caps << 7 | length
    }

    /// Where capabilities that arrive go: scratch slots, or none.
    fn receive_slots(&mut self) {
        for i in 0..MAX_MESSAGE_CAPS {
            let dest = match self.rng.below(10) {
                0..=6 => self.rng.pick_scratch(),
                7..=8 => NO_RECEIVE_SLOT,
                _ => self.rng.pick(&INVALID_SLOTS),
            };
            tryst::raw::set_ipc_word(IpcBuffer::RECEIVE_SLOTS + i, dest);
        }
    }
}

impl Rng {
    fn pick_scratch(&mut self) -> u64 {
        SCRATCH.start + self.below(SCRATCH.end - SCRATCH.start)
    }
}

const _: () = assert!(SCRATCH.end <= BootInfo::NAMES_SLOT);
