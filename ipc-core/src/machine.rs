//! The boundary between the portable kernel and the hardware: the one trait the kernel crate
//! implements and `ipc-core` drives (a mock implements it for the host tests).

use core::ops::Range;

use crate::abi::SyscallNumber;
use crate::abi::{Error, Rights, ARG_SLOTS, VALUE_SLOTS};
use crate::thread::{AstHandler, ThreadId};

/// What an AST interrupted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupted {
    /// The thread was running or ready: its context is resumed as it is.
    Running,
    /// The thread was blocked in a system call, which was cancelled before it took effect:
    /// the saved context makes system call `number` again (its `syscall` instruction is
    /// re-executed), with `arg0` replacing the first argument when given.
    Blocked { number: SyscallNumber, arg0: Option<u64> },
}

impl Interrupted {
    /// What the handler finds in its second argument register: 0 for `Running`, 1 for
    /// `Blocked`.
    pub fn code(self) -> u64 {
        match self {
            Interrupted::Running => 0,
            Interrupted::Blocked { .. } => 1,
        }
    }
}

/// What the semantics need from the machine underneath.
pub trait Machine {
    /// Copies `buf.len()` bytes of `thread`'s memory at user address `addr` into `buf`.
    /// Fails with [`Error::BadAddress`] unless every byte is mapped and user-readable;
    /// `buf` may then hold garbage, but nothing else has changed.
    fn read_user(&mut self, thread: ThreadId, addr: u64, buf: &mut [u8]) -> Result<(), Error>;

    /// Writes bytes to the kernel's debug console.
    fn console_write(&mut self, bytes: &[u8]);

    /// Sets the result a thread sees when it next returns from its system call: `Ok(value)`
    /// puts 0 in the status slot and `value` in `val0`; `Err(error)` puts the error code in
    /// the status slot.
    fn set_result(&mut self, thread: ThreadId, result: Result<u64, Error>);

    /// Sets a successful result with all value slots (a received message, a description).
    fn set_values(&mut self, thread: ThreadId, values: [u64; VALUE_SLOTS]);

    /// Hands a register-only message over: `to`'s call succeeds with `badge` in `val0` and
    /// `from`'s argument slots 1–5 (the info word and the four register words, as `from`
    /// made its call) in `val1`…`val5`. The fastpath's one copy of a message.
    fn pass_registers(&mut self, from: ThreadId, to: ThreadId, badge: u64) {
        let [_, info, w0, w1, w2, w3] = self.arguments(from);
        self.set_values(to, [badge, info, w0, w1, w2, w3]);
    }

    /// Hands the register words of `from`'s message over: `to`'s call succeeds with `badge`
    /// in `val0`, `info` in `val1` and `from`'s argument slots 2–5 (the four register words,
    /// as `from` made its call) in `val2`…`val5`. The general path's copy of a message's
    /// registers, which go context to context.
    fn pass_words(&mut self, from: ThreadId, to: ThreadId, badge: u64, info: u64) {
        let [_, _, w0, w1, w2, w3] = self.arguments(from);
        self.set_values(to, [badge, info, w0, w1, w2, w3]);
    }

    /// The argument slots of `thread`'s current system call, as it made it: where
    /// [`crate::Kernel::syscall`] reads them, and where a blocked sender's message waits until
    /// a receiver takes it.
    fn arguments(&self, thread: ThreadId) -> [u64; ARG_SLOTS];

    /// The number of the system call `thread` just made (its status slot as it entered).
    fn syscall_number(&self, thread: ThreadId) -> u64;

    /// Reads words `offset..offset + words.len()` of `thread`'s IPC buffer (see
    /// [`crate::abi::IpcBuffer`]). Every thread has one, always mapped.
    fn read_ipc_buffer(&mut self, thread: ThreadId, offset: usize, words: &mut [u64]);

    /// Copies words `range` of `from`'s IPC buffer to the same words of `to`'s.
    fn copy_ipc_words(&mut self, from: ThreadId, to: ThreadId, range: Range<usize>);

    /// `thread` runs in address space `root` with its IPC buffer in physical page
    /// `ipc_buffer` (`thread_configure`).
    fn set_thread_space(&mut self, thread: ThreadId, root: u64, ipc_buffer: u64);

    /// `thread` starts at `ip` with stack pointer `sp` and `argument` in its first argument
    /// register, every other register zero (`thread_start`).
    fn set_thread_entry(&mut self, thread: ThreadId, ip: u64, sp: u64, argument: u64);

    /// `thread` enters its AST handler: its user context is saved where only the kernel can
    /// reach it (adjusted by `interrupted` when its blocked system call must be made again),
    /// and it resumes at `handler.entry` with stack pointer `handler.stack`, `bits` in its
    /// first argument register and `interrupted.code()` in its second, every other register
    /// zero.
    fn enter_ast(&mut self, thread: ThreadId, handler: AstHandler, bits: u64, interrupted: Interrupted);

    /// `ast_return`: `thread`'s context becomes exactly the one [`Machine::enter_ast`] saved.
    fn leave_ast(&mut self, thread: ThreadId);

    /// Masks interrupt line `line` at the interrupt controller.
    fn mask_irq(&mut self, line: u8);

    /// Unmasks interrupt line `line`.
    fn unmask_irq(&mut self, line: u8);

    /// Reads `width` bytes (1, 2 or 4) from I/O port `port`.
    fn port_in(&mut self, port: u16, width: u8) -> u32;

    /// Writes the low `width` bytes of `value` to I/O port `port`.
    fn port_out(&mut self, port: u16, width: u8, value: u32);

    /// Whether an interrupt waits to be taken: long kernel work (`cap_revoke`) stops at a
    /// preemption point when one does.
    fn interrupt_pending(&mut self) -> bool;

    /// Makes `thread`, which entered the kernel by a system call, make the same call again
    /// when it next runs (its registers are as it made the call): for a call that stopped
    /// at a preemption point, to go on from where it stopped.
    fn restart_syscall(&mut self, thread: ThreadId);

    /// The thread is gone for good: release its arch state (its address space is ipc-core's
    /// business, see [`Machine::destroy_space`]).
    fn release(&mut self, thread: ThreadId);

    /// A fresh zero-filled physical page; `None` when physical memory is exhausted.
    fn allocate_page(&mut self) -> Option<u64>;

    /// Returns a page from [`Machine::allocate_page`] that nothing maps any more.
    fn free_page(&mut self, page: u64);

    /// A new address space with an empty user half; returns the physical address of its
    /// top-level table (its root), or `None` when physical memory is exhausted.
    fn create_space(&mut self) -> Option<u64>;

    /// Frees address space `root`: its page tables, and pages the machine itself put there
    /// (a boot image), but not pages mapped with [`Machine::map_page`]. Nothing runs in it.
    fn destroy_space(&mut self, root: u64);

    /// Maps `page` at the page-aligned user address `vaddr` of address space `root` with
    /// `rights` (Read, plus Write or Execute), adding at most `max_tables` page tables.
    /// Returns how many it added. Fails, changing nothing, with [`Error::AlreadyMapped`]
    /// when `vaddr` has a page, or [`Error::OutOfMemory`] when it needs more tables than
    /// allowed or available.
    fn map_page(
        &mut self,
        root: u64,
        vaddr: u64,
        page: u64,
        rights: Rights,
        max_tables: u32,
    ) -> Result<u32, Error>;

    /// Removes the page mapped at `vaddr` of address space `root`, keeping every TLB coherent.
    fn unmap_page(&mut self, root: u64, vaddr: u64);
}

/// `core::fmt` over the debug console, for the kernel's one-line reports.
pub(crate) struct Console<'a, M: Machine>(pub &'a mut M);

impl<M: Machine> core::fmt::Write for Console<'_, M> {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        self.0.console_write(text.as_bytes());
        Ok(())
    }
}
