//! Every way into the kernel and the one way out: the `syscall` entry, the exception and
//! interrupt stubs, and `resume`, which restores a thread's registers and returns to ring 3.
//!
//! The kernel keeps one stack and is never preempted. On every entry from user mode the user
//! registers are saved straight into the current thread's [`UserContext`]: the CPU pushes its
//! interrupt frame at `TSS.rsp0`, which always points at the end of the current context, and
//! the stubs push the rest below it (the `syscall` entry builds the same frame by hand, from
//! the same `TSS.rsp0`). Then the stubs switch to the kernel stack and call
//! [`crate::entry::from_user`] (the `syscall` entry calls [`crate::entry::from_syscall`]),
//! which never returns: it ends by calling [`resume`] for whichever thread runs next.

use core::cell::UnsafeCell;

use crate::cpu::{USER_CODE_SELECTOR, USER_DATA_SELECTOR};

/// The number of IDT vectors the stubs cover: the 32 exceptions and the 16 legacy PIC lines.
pub const STUB_VECTORS: usize = 48;

/// A thread's user registers, in the order the entry stubs push them.
///
/// The context of every started thread is sanitized: user code and stack selectors, and
/// RFLAGS within [`USER_RFLAGS`] with interrupts on. The entry stubs sanitize what they save
/// (the CPU's frame, or the `syscall` stub's), and the kernel builds every other context with
/// [`UserContext::new`], so returning to a thread needs only its RIP checked (see [`resume`]).
/// (The slot of a thread never started holds [`UserContext::ZERO`], and is never resumed.)
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug)]
pub struct UserContext {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// The vector of the exception or interrupt that saved this context. The `syscall` entry
    /// leaves it and the error code as they were: nothing reads them for a system call.
    pub vector: u64,
    /// The CPU's error code for exceptions that push one, else 0.
    pub error_code: u64,
    // The interrupt frame, as the CPU pushes it.
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

// The CPU aligns the stack to 16 bytes before pushing an interrupt frame, so the end of a
// context (where TSS.rsp0 points) must be 16-byte aligned: the size must be a multiple of 16.
const _: () = assert!(core::mem::size_of::<UserContext>().is_multiple_of(16));

/// RFLAGS a user thread may hold: the arithmetic flags, TF excluded, DF, AC (alignment checks
/// in user mode); never IOPL, NT, VM, VIF/VIP or RF.
const USER_RFLAGS: u64 = 0x0000_0cd5 | (1 << 18);
const RFLAGS_IF: u64 = 1 << 9;
const RFLAGS_RESERVED_ONE: u64 = 1 << 1;

impl UserContext {
    /// All registers zero: the context of a slot with no thread.
    pub const ZERO: UserContext = UserContext {
        r15: 0,
        r14: 0,
        r13: 0,
        r12: 0,
        r11: 0,
        r10: 0,
        r9: 0,
        r8: 0,
        rbp: 0,
        rdi: 0,
        rsi: 0,
        rdx: 0,
        rcx: 0,
        rbx: 0,
        rax: 0,
        vector: 0,
        error_code: 0,
        rip: 0,
        cs: 0,
        rflags: 0,
        rsp: 0,
        ss: 0,
    };

    /// A context that starts at `entry` with stack `stack_top` and `argument` in `rdi`.
    pub fn new(entry: u64, stack_top: u64, argument: u64) -> UserContext {
        UserContext {
            rip: entry,
            rsp: stack_top,
            rdi: argument,
            cs: u64::from(USER_CODE_SELECTOR),
            ss: u64::from(USER_DATA_SELECTOR),
            rflags: RFLAGS_IF | RFLAGS_RESERVED_ONE,
            ..UserContext::ZERO
        }
    }
}

/// Storage that only the single CPU touches, with interrupts disabled. Transparent: the
/// `syscall` stub reads the TSS's `rsp0` through the static's own address.
#[repr(transparent)]
pub struct CpuLocal<T>(UnsafeCell<T>);

// SAFETY: there is one CPU, and the kernel runs with interrupts disabled, so at most one
// execution context ever accesses the contents (see `CpuLocal::with`).
unsafe impl<T> Sync for CpuLocal<T> {}

impl<T> CpuLocal<T> {
    pub const fn new(value: T) -> Self {
        CpuLocal(UnsafeCell::new(value))
    }

    /// Runs `f` with exclusive access. Callers must not nest `with` on the same cell.
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: single CPU, interrupts disabled in the kernel, and no nesting: this is the
        // only live reference. The entry stubs write the contents only while no Rust code runs.
        f(unsafe { &mut *self.0.get() })
    }
}

/// The user contexts, indexed like ipc-core's thread table.
pub static CONTEXTS: CpuLocal<[UserContext; ipc_core::MAX_THREADS]> =
    CpuLocal::new([UserContext::ZERO; ipc_core::MAX_THREADS]);

/// The user stack pointer while the `syscall` entry builds its frame.
#[unsafe(no_mangle)]
static mut TRAP_USER_RSP: u64 = 0;

/// A context that cannot be resumed: its RIP is not a user address (for example a `syscall`
/// at the very top of user space leaves RCX just past it). The thread must be faulted.
pub struct NotResumable {
    pub rip: u64,
}

/// Returns to user mode in thread `index`'s context, whose address space must be active.
/// Returns only when the context cannot be resumed: its RIP is not a canonical user address,
/// where `iretq` would fault in ring 0 (the one field a sanitized context can still have
/// wrong, after a `syscall` at the very top of user space).
pub fn resume(index: usize) -> NotResumable {
    let context = CONTEXTS.with(|contexts| {
        let context = &mut contexts[index];
        if context.rip < ipc_core::abi::USER_END {
            Ok(context as *mut UserContext)
        } else {
            Err(context.rip)
        }
    });
    let context = match context {
        Ok(context) => context,
        Err(rip) => return NotResumable { rip },
    };
    let top = context as u64 + core::mem::size_of::<UserContext>() as u64;
    // SAFETY: `top` is the end of a context in CONTEXTS, a kernel static: canonical. Every
    // entry from user mode, the `syscall` stub's too, saves into the context that ends at
    // TSS.rsp0: set it unconditionally (one store costs what comparing first would).
    // `context` is a context of a live thread in CONTEXTS, sanitized (see `UserContext`) and
    // with a user RIP; the stub pops it and leaves through iretq (which restores RCX, R11 and
    // RFLAGS exactly).
    unsafe {
        crate::cpu::set_kernel_entry_stack(top);
        core::arch::asm!("mov rsp, {0}", "jmp trap_resume", in(reg) context, options(noreturn));
    }
}

/// The address of the entry stub for each vector, for the IDT.
pub fn stub_addresses() -> [u64; STUB_VECTORS] {
    unsafe extern "C" {
        static trap_stub_table: [u64; STUB_VECTORS];
    }
    // SAFETY: the table is read-only data emitted below with exactly STUB_VECTORS entries.
    unsafe { trap_stub_table }
}

/// The `syscall` entry point, for `LSTAR`.
pub fn syscall_entry_address() -> u64 {
    unsafe extern "C" {
        fn syscall_entry();
    }
    syscall_entry as *const () as u64
}

/// Checks at compile time that the stubs agree with the struct layout.
const _: () = {
    assert!(core::mem::offset_of!(UserContext, vector) == 15 * 8);
    assert!(core::mem::offset_of!(UserContext, rip) == 17 * 8);
    assert!(core::mem::offset_of!(UserContext, cs) == 18 * 8);
    assert!(core::mem::offset_of!(UserContext, rflags) == 19 * 8);
    assert!(core::mem::offset_of!(UserContext, ss) == 21 * 8);
    // `and` with a sign-extended 32-bit immediate keeps the upper half clear.
    assert!(USER_RFLAGS < 1 << 31);
    assert!(core::mem::size_of::<UserContext>() == 22 * 8);
};

// The stubs. Intel syntax. Error-code vectors (8, 10-14, 17, 21, 29, 30) get no dummy push.
core::arch::global_asm!(
    r#"
    .macro SAVE_GPRS
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    .endm

    .macro RESTORE_GPRS
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    .endm

    .macro STUB vector
    .balign 16
trap_stub_\vector:
    .if (\vector == 8) || ((\vector >= 10) && (\vector <= 14)) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
    .else
    push 0
    .endif
    push \vector
    .if (\vector == 2) || (\vector == 8) || (\vector == 18)
    /* NMI, double fault, machine check: on the emergency stack (IST), not in a context, and
       fatal wherever they came from. */
    jmp trap_from_kernel
    .else
    jmp trap_common
    .endif
    .endm

    .section .text.trap, "ax"
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    STUB \v
    .endr

trap_common:
    test byte ptr [rsp + 24], 3     /* the saved CS: from user mode? */
    jz trap_from_kernel
    SAVE_GPRS                       /* into the current UserContext */
    /* Sanitize the CPU's frame (see UserContext): RFLAGS, and the selectors. */
    and qword ptr [rsp + 19 * 8], {user_rflags}
    or qword ptr [rsp + 19 * 8], {rflags_on}
    mov qword ptr [rsp + 18 * 8], {user_cs}
    mov qword ptr [rsp + 21 * 8], {user_ss}
    jmp trap_enter_kernel

trap_from_kernel:
    /* Only the idle loop runs with interrupts on; kernel faults, and the emergency vectors
       from anywhere, end in a panic. */
    SAVE_GPRS
    mov rdi, rsp
    call {kernel_trap}
    RESTORE_GPRS
    add rsp, 16
    iretq

    .global syscall_entry
syscall_entry:
    /* Interrupts are off (FMASK). Build an iretq frame in the current context. */
    mov [rip + TRAP_USER_RSP], rsp
    mov rsp, [rip + {tss} + {tss_rsp0}]  /* the end of the current context (TSS.rsp0) */
    push {user_ss}
    push qword ptr [rip + TRAP_USER_RSP]
    /* User RFLAGS, sanitized (see UserContext): one mask, which keeps IF and bit 1 as they
       are, set (user code runs with interrupts on, and at I/O privilege 0 it cannot turn
       them off). */
    and r11, {syscall_rflags}
    push r11
    push {user_cs}
    push rcx                        /* user RIP */
    sub rsp, 16                     /* error code and vector: left as they were */
    SAVE_GPRS                       /* FMASK cleared IF, DF, AC and the rest: flags are known */
    lea rsp, [rip + kernel_stack_top]
    call {from_syscall}
    ud2

trap_enter_kernel:
    /* Off the context first: a push here would land in the context below it. */
    lea rsp, [rip + kernel_stack_top]
    push 2
    popfq                           /* known flags: DF and AC clear (the gate cleared IF) */
    call {from_user}
    ud2

    .global trap_resume
trap_resume:
    /* rsp points at a sanitized UserContext. */
    RESTORE_GPRS
    add rsp, 16
    iretq

    .section .rodata.trap, "a"
    .balign 8
    .global trap_stub_table
trap_stub_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .quad trap_stub_\v
    .endr
    "#,
    kernel_trap = sym crate::entry::from_kernel,
    from_user = sym crate::entry::from_user,
    from_syscall = sym crate::entry::from_syscall,
    user_ss = const USER_DATA_SELECTOR as u64,
    user_cs = const USER_CODE_SELECTOR as u64,
    user_rflags = const USER_RFLAGS,
    rflags_on = const RFLAGS_IF | RFLAGS_RESERVED_ONE,
    syscall_rflags = const USER_RFLAGS | RFLAGS_IF | RFLAGS_RESERVED_ONE,
    tss = sym crate::cpu::TSS,
    tss_rsp0 = const core::mem::offset_of!(x86_64::structures::tss::TaskStateSegment, privilege_stack_table),
);
