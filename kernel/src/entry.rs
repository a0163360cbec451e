//! The kernel side of every entry: turn what the CPU saved into a call on ipc-core's state
//! machine, then resume whichever thread it says runs next (or idle until one can).

use core::sync::atomic::{AtomicU64, Ordering};

use core::ops::Range;

use ipc_core::abi::{Error, FaultKind, Rights, ARG_SLOTS, VALUE_SLOTS};
use ipc_core::machine::Interrupted;
use ipc_core::thread::AstHandler;
use ipc_core::{Access, AfterSyscall, Fault, Kernel, Machine, ThreadId, MAX_THREADS};
use x86_64::registers::control::Cr2;

use crate::memory::{allocate_zeroed_frame, FRAMES};
use crate::space::AddressSpace;
use crate::timer::{self, PIC_BASE, TIMER_VECTOR};
use crate::trap::{self, CpuLocal, UserContext, CONTEXTS};

pub static KERNEL: CpuLocal<Kernel> = CpuLocal::new(Kernel::new());
/// The root (PML4) of the address space each thread runs in (0: none), for reading user
/// memory; ipc-core owns the address spaces themselves.
pub static SPACE_ROOTS: CpuLocal<[u64; MAX_THREADS]> = CpuLocal::new([0; MAX_THREADS]);
/// Physical address of each thread's IPC buffer page (0: none).
pub static IPC_BUFFERS: CpuLocal<[u64; MAX_THREADS]> = CpuLocal::new([0; MAX_THREADS]);
/// Each thread's user context while its AST handler runs: only the kernel can reach it, and
/// `ast_return` puts it back exactly.
static AST_SAVED: CpuLocal<[UserContext; MAX_THREADS]> = CpuLocal::new([UserContext::ZERO; MAX_THREADS]);
/// Timer ticks that arrived while the kernel idled, not yet given to ipc-core.
static PENDING_TICKS: AtomicU64 = AtomicU64::new(0);
/// Device lines that fired while the kernel idled, not yet given to ipc-core (bit per line).
static PENDING_LINES: AtomicU64 = AtomicU64::new(0);
/// Free frames before the first process was made: when all are gone, all must be back.
pub static FREE_FRAMES_BEFORE: AtomicU64 = AtomicU64::new(u64::MAX);

/// `thread`'s place in the per-thread arrays: its table index, always below MAX_THREADS
/// (ipc-core's thread table has that many slots). Masked rather than bounds-checked, which
/// saves a comparison and a branch on every entry.
#[inline(always)]
fn slot(thread: ThreadId) -> usize {
    const { assert!(MAX_THREADS.is_power_of_two()) };
    thread.index() % MAX_THREADS
}

/// The hardware under ipc-core's [`Machine`] trait.
pub struct Hardware;

impl Machine for Hardware {
    fn read_user(&mut self, thread: ThreadId, addr: u64, buf: &mut [u8]) -> Result<(), Error> {
        match SPACE_ROOTS.with(|roots| roots[slot(thread)]) {
            0 => Err(Error::BadAddress),
            root => AddressSpace::at(root).read(addr, buf),
        }
    }

    fn console_write(&mut self, bytes: &[u8]) {
        crate::serial::write_bytes(bytes);
    }

    fn set_result(&mut self, thread: ThreadId, result: Result<u64, Error>) {
        CONTEXTS.with(|contexts| {
            let context = &mut contexts[slot(thread)];
            match result {
                Ok(value) => {
                    context.rax = 0;
                    context.rdi = value;
                }
                Err(error) => context.rax = error.into(),
            }
        });
    }

    #[inline(always)]
    fn set_values(&mut self, thread: ThreadId, values: [u64; VALUE_SLOTS]) {
        // On the fastpath: inlined whole, so that the values go from registers to the context.
        CONTEXTS.with(
            #[inline(always)]
            |contexts| {
                let c = &mut contexts[slot(thread)];
                c.rax = 0;
                [c.rdi, c.rsi, c.rdx, c.r10, c.r8, c.r9] = values;
            },
        );
    }

    #[inline(always)]
    fn pass_registers(&mut self, from: ThreadId, to: ThreadId, badge: u64) {
        CONTEXTS.with(
            #[inline(always)]
            |contexts| {
                let f = &contexts[slot(from)];
                let (info, w0, w1, w2, w3) = (f.rsi, f.rdx, f.r10, f.r8, f.r9);
                let t = &mut contexts[slot(to)];
                (t.rax, t.rdi, t.rsi, t.rdx, t.r10, t.r8, t.r9) = (0, badge, info, w0, w1, w2, w3);
            },
        );
    }

    #[inline(always)]
    fn pass_words(&mut self, from: ThreadId, to: ThreadId, badge: u64, info: u64) {
        CONTEXTS.with(
            #[inline(always)]
            |contexts| {
                let f = &contexts[slot(from)];
                let (w0, w1, w2, w3) = (f.rdx, f.r10, f.r8, f.r9);
                let t = &mut contexts[slot(to)];
                (t.rax, t.rdi, t.rsi, t.rdx, t.r10, t.r8, t.r9) = (0, badge, info, w0, w1, w2, w3);
            },
        );
    }

    #[inline(always)]
    fn arguments(&self, thread: ThreadId) -> [u64; ARG_SLOTS] {
        CONTEXTS.with(
            #[inline(always)]
            |contexts| {
                let c = &contexts[slot(thread)];
                [c.rdi, c.rsi, c.rdx, c.r10, c.r8, c.r9]
            },
        )
    }

    #[inline(always)]
    fn syscall_number(&self, thread: ThreadId) -> u64 {
        CONTEXTS.with(|contexts| contexts[slot(thread)].rax)
    }

    fn read_ipc_buffer(&mut self, thread: ThreadId, offset: usize, words: &mut [u64]) {
        let frame = IPC_BUFFERS.with(|buffers| buffers[slot(thread)]);
        AddressSpace::read_words(frame, offset, words);
    }

    #[inline(always)]
    fn copy_ipc_words(&mut self, from: ThreadId, to: ThreadId, range: Range<usize>) {
        let (from, to) = IPC_BUFFERS.with(|buffers| (buffers[slot(from)], buffers[slot(to)]));
        AddressSpace::copy_words(from, to, range);
    }

    fn set_thread_space(&mut self, thread: ThreadId, root: u64, ipc_buffer: u64) {
        SPACE_ROOTS.with(|roots| roots[slot(thread)] = root);
        IPC_BUFFERS.with(|buffers| buffers[slot(thread)] = ipc_buffer);
    }

    fn set_thread_entry(&mut self, thread: ThreadId, ip: u64, sp: u64, argument: u64) {
        CONTEXTS.with(|contexts| contexts[slot(thread)] = UserContext::new(ip, sp, argument));
    }

    fn enter_ast(&mut self, thread: ThreadId, handler: AstHandler, bits: u64, interrupted: Interrupted) {
        CONTEXTS.with(|contexts| {
            let context = &mut contexts[slot(thread)];
            let mut saved = *context;
            if let Interrupted::Blocked { number, arg0 } = interrupted {
                // Back onto the two-byte `syscall` instruction, to make the call again.
                saved.rip = saved.rip.wrapping_sub(2);
                saved.rax = number.into();
                saved.rdi = arg0.unwrap_or(saved.rdi);
            }
            AST_SAVED.with(|contexts| contexts[slot(thread)] = saved);
            *context = UserContext::new(handler.entry, handler.stack, bits);
            context.rsi = interrupted.code();
        });
    }

    fn leave_ast(&mut self, thread: ThreadId) {
        let saved = AST_SAVED.with(|contexts| contexts[slot(thread)]);
        CONTEXTS.with(|contexts| contexts[slot(thread)] = saved);
    }

    fn mask_irq(&mut self, line: u8) {
        timer::mask_line(line);
    }

    fn unmask_irq(&mut self, line: u8) {
        timer::unmask_line(line);
    }

    fn port_in(&mut self, port: u16, width: u8) -> u32 {
        crate::ports::read(port, width)
    }

    fn port_out(&mut self, port: u16, width: u8, value: u32) {
        crate::ports::write(port, width, value);
    }

    fn interrupt_pending(&mut self) -> bool {
        timer::interrupt_pending()
    }

    fn restart_syscall(&mut self, thread: ThreadId) {
        // Back onto the two-byte `syscall` instruction; `rax` still holds the number, and
        // the arguments are untouched.
        CONTEXTS.with(|contexts| {
            let context = &mut contexts[slot(thread)];
            context.rip = context.rip.wrapping_sub(2);
        });
    }

    fn release(&mut self, thread: ThreadId) {
        IPC_BUFFERS.with(|buffers| buffers[slot(thread)] = 0);
        SPACE_ROOTS.with(|roots| roots[slot(thread)] = 0);
        CONTEXTS.with(|contexts| contexts[slot(thread)] = UserContext::ZERO);
    }

    fn allocate_page(&mut self) -> Option<u64> {
        allocate_zeroed_frame(&mut FRAMES.lock())
    }

    fn free_page(&mut self, page: u64) {
        // Pages come back exactly once (ipc-core frees a Frame's page with its last capability).
        let _ = FRAMES.lock().free(page);
    }

    fn create_space(&mut self) -> Option<u64> {
        AddressSpace::new(&mut FRAMES.lock()).ok().map(|space| space.root())
    }

    fn destroy_space(&mut self, root: u64) {
        AddressSpace::at(root).destroy(&mut FRAMES.lock());
    }

    fn map_page(
        &mut self,
        root: u64,
        vaddr: u64,
        page: u64,
        rights: Rights,
        max_tables: u32,
    ) -> Result<u32, Error> {
        AddressSpace::at(root).map_page(&mut FRAMES.lock(), vaddr, page, rights, max_tables)
    }

    fn unmap_page(&mut self, root: u64, vaddr: u64) {
        AddressSpace::at(root).unmap_page(vaddr);
    }
}

/// Entered from the `syscall` stub (on the kernel stack, interrupts off) after the thread's
/// registers were saved into its context, where each path reads the number and arguments it
/// needs. Its calling convention (`rust-preserve-none`, as `from_user`'s) saves none of the
/// caller's registers: it never returns, so there is nothing to keep them for.
pub extern "rust-preserve-none" fn from_syscall() -> ! {
    match KERNEL.with(|kernel| kernel.syscall(&mut Hardware)) {
        AfterSyscall::Caller(caller) => resume_in_loaded_space(caller),
        AfterSyscall::Switch(partner) => resume(partner),
        AfterSyscall::Schedule => {}
    }
    run_next()
}

/// Entered from the exception and interrupt stubs (on the kernel stack, interrupts off)
/// after a thread's registers were saved into its context.
pub extern "rust-preserve-none" fn from_user() -> ! {
    let Some(thread) = KERNEL.with(|kernel| kernel.current()) else {
        panic!("entry from user mode with no current thread");
    };
    let vector = CONTEXTS.with(|contexts| contexts[slot(thread)].vector);
    match vector {
        // (NMI, double fault and machine check never come here: their stubs go to
        // `from_kernel`, as their frames are on the emergency stack, not in a context.)
        0..=31 => {
            let fault = CONTEXTS.with(|contexts| user_fault(&contexts[slot(thread)]));
            KERNEL.with(|kernel| kernel.fault(&mut Hardware, fault));
        }
        v if v == u64::from(TIMER_VECTOR) => {
            timer::end_of_interrupt(TIMER_VECTOR);
            KERNEL.with(|kernel| kernel.tick(&mut Hardware));
        }
        v => {
            let line = device_interrupt(v);
            KERNEL.with(|kernel| kernel.interrupt(&mut Hardware, line));
        }
    }
    run_next()
}

/// A device's PIC line fired (vector `vector`): masks it until its driver acknowledges it,
/// tells the PIC it was taken, and returns the line.
fn device_interrupt(vector: u64) -> u8 {
    let line = (vector - u64::from(PIC_BASE)) as u8;
    timer::mask_line(line);
    timer::end_of_interrupt(vector as u8);
    line
}

/// Describes a CPU exception taken in user mode.
fn user_fault(context: &UserContext) -> Fault {
    // Vectors a user can raise but the ABI does not name (reserved ones) count as #GP.
    let kind = FaultKind::try_from(context.vector).unwrap_or(FaultKind::GeneralProtection);
    let page = (kind == FaultKind::PageFault).then(|| {
        let access = if context.error_code & (1 << 4) != 0 {
            Access::Execute
        } else if context.error_code & (1 << 1) != 0 {
            Access::Write
        } else {
            Access::Read
        };
        (Cr2::read_raw(), access)
    });
    Fault { kind, ip: context.rip, page }
}

/// Entered from the stubs for an interrupt or exception in kernel mode, and for NMI, double
/// fault and machine check from anywhere (on the emergency stack). Only the idle loop runs
/// with interrupts on, so this is a timer tick or device line to record, or the end.
pub extern "C" fn from_kernel(frame: &mut UserContext) {
    match frame.vector {
        v if v == u64::from(TIMER_VECTOR) => {
            PENDING_TICKS.fetch_add(1, Ordering::Relaxed);
            timer::end_of_interrupt(TIMER_VECTOR);
        }
        v if v >= u64::from(PIC_BASE) => {
            let line = device_interrupt(v);
            PENDING_LINES.fetch_or(1 << line, Ordering::Relaxed);
        }
        // NMI, double fault and machine check, from user or kernel mode: the machine itself
        // is in trouble.
        v @ (2 | 8 | 18) => panic!(
            "fatal exception {v} at rip {:#x} (cs {:#x}), error code {:#x}",
            frame.rip, frame.cs, frame.error_code
        ),
        v => panic!(
            "kernel exception {v} at rip {:#x}, error code {:#x}, cr2 {:#x}",
            frame.rip,
            frame.error_code,
            Cr2::read_raw()
        ),
    }
}

/// Resumes the thread ipc-core chooses; idles (interrupts on, `hlt`) while none is ready.
/// Out of line, so that the entries' own returns (the fastpath's above all) keep the
/// registers to themselves: a call on the general path buys fewer spills on the fastpath.
#[inline(never)]
pub fn run_next() -> ! {
    loop {
        match KERNEL.with(|kernel| kernel.schedule()) {
            Some(thread) => resume(thread),
            None => idle(),
        }
    }
}

/// Returns to user mode in `thread`, in its address space; a context that cannot be resumed
/// faults the thread instead (and the next one runs).
#[inline(always)]
fn resume(thread: ThreadId) {
    match SPACE_ROOTS.with(|roots| roots[slot(thread)]) {
        0 => panic!("thread {} has no address space", thread.number()),
        root => AddressSpace::at(root).activate(),
    }
    resume_in_loaded_space(thread);
}

/// [`resume`] for a thread whose address space is the loaded one.
#[inline(always)]
fn resume_in_loaded_space(thread: ThreadId) {
    let bad = trap::resume(slot(thread));
    not_resumable(bad.rip);
}

/// The current thread's context could not be resumed (its RIP is not a user address): it
/// takes a general-protection fault there.
#[cold]
#[inline(never)]
fn not_resumable(rip: u64) {
    let fault = Fault { kind: FaultKind::GeneralProtection, ip: rip, page: None };
    KERNEL.with(|kernel| kernel.fault(&mut Hardware, fault));
}

/// No thread is ready: waits for an interrupt and hands it to ipc-core. When no thread is
/// left at all, the system has finished: reports and leaves QEMU.
#[cold]
#[inline(never)]
fn idle() {
    if KERNEL.with(|kernel| kernel.thread_count()) == 0 {
        let free = FRAMES.lock().free_count();
        let before = FREE_FRAMES_BEFORE.load(Ordering::Relaxed);
        kprintln!("tryst: all processes have finished; {free} frames free, {before} before they started");
        let left = KERNEL.with(|kernel| kernel.stats());
        kprintln!(
            "tryst: kernel objects left: {} endpoints, {} memory objects, {} capabilities, {} frames, {} address spaces, {} notifications",
            left.endpoints,
            left.memories,
            left.capabilities,
            left.frames,
            left.spaces,
            left.notifications
        );
        crate::exit::success();
    }
    x86_64::instructions::interrupts::enable_and_hlt();
    x86_64::instructions::interrupts::disable();
    let ticks = PENDING_TICKS.swap(0, Ordering::Relaxed);
    for _ in 0..ticks {
        KERNEL.with(|kernel| kernel.tick(&mut Hardware));
    }
    let mut lines = PENDING_LINES.swap(0, Ordering::Relaxed);
    while lines != 0 {
        let line = lines.trailing_zeros() as u8;
        lines &= lines - 1;
        KERNEL.with(|kernel| kernel.interrupt(&mut Hardware, line));
    }
}
