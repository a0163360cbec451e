//! The raw machine instructions and fixed pages the library needs: `syscall`, `rdtsc`, the
//! IPC buffer, the boot-info page and the entry code of AST handlers. The only `unsafe` in
//! the user library.

use core::cell::UnsafeCell;

use tryst_abi::{BootInfo, IpcBuffer, SyscallNumber, BOOT_INFO_ADDR, VALUE_SLOTS};

use crate::ast::Handler;

/// Makes system call `number` with `args` in the argument slots; returns the status slot and
/// the value slots.
///
/// # Safety
/// The kernel validates everything it is given, so no call can harm the kernel or another
/// process; but a call can end or block this process, and a buffer argument must describe
/// memory that Rust considers initialized when the kernel reads it.
pub unsafe fn syscall(number: u64, args: [u64; 6]) -> (u64, [u64; VALUE_SLOTS]) {
    let status: u64;
    let mut v = [0u64; VALUE_SLOTS];
    // SAFETY: `syscall` clobbers rcx and r11 and returns the status in rax and the values in
    // the argument registers (rdi, rsi, rdx, r10, r8, r9).
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") number => status,
            inlateout("rdi") args[0] => v[0],
            inlateout("rsi") args[1] => v[1],
            inlateout("rdx") args[2] => v[2],
            inlateout("r10") args[3] => v[3],
            inlateout("r8") args[4] => v[4],
            inlateout("r9") args[5] => v[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    (status, v)
}

/// Reads word `index` of this thread's IPC buffer (`index < IpcBuffer::WORDS`).
#[cfg(not(test))]
pub fn ipc_word(index: usize) -> u64 {
    assert!(index < IpcBuffer::WORDS);
    // SAFETY: the kernel maps this thread's IPC buffer read-write at IPC_BUFFER_ADDR before the
    // program starts and never unmaps it; the index is inside it. Volatile: the kernel writes it.
    unsafe { core::ptr::read_volatile((tryst_abi::IPC_BUFFER_ADDR as *const u64).add(index)) }
}

/// Writes word `index` of this thread's IPC buffer (`index < IpcBuffer::WORDS`).
#[cfg(not(test))]
pub fn set_ipc_word(index: usize, value: u64) {
    assert!(index < IpcBuffer::WORDS);
    // SAFETY: as in `ipc_word`; the page is this thread's alone and holds plain words.
    unsafe { core::ptr::write_volatile((tryst_abi::IPC_BUFFER_ADDR as *mut u64).add(index), value) }
}

/// Writes `words` into this thread's IPC buffer from word `start` on, in one `rep movsq`
/// (`start + words.len() <= IpcBuffer::WORDS`): a long message's words cost one instruction
/// each, with no call to `memcpy`.
#[cfg(not(test))]
#[inline]
pub fn set_ipc_words(start: usize, words: &[u64]) {
    assert!(start + words.len() <= IpcBuffer::WORDS);
    // SAFETY: as in `ipc_word`; the range is inside the buffer, and `words` is this process's
    // own memory, never the IPC buffer page itself (no Rust reference points into it). The
    // direction flag is clear, as the Rust ABI requires.
    unsafe {
        core::arch::asm!(
            "rep movsq",
            inout("rcx") words.len() => _,
            inout("rsi") words.as_ptr() => _,
            inout("rdi") (tryst_abi::IPC_BUFFER_ADDR as *mut u64).add(start) => _,
            options(nostack, preserves_flags),
        )
    }
}

// Host tests have no IPC buffer page: each test thread gets an array in its place, so that
// long messages can be built and read back.
#[cfg(test)]
std::thread_local! {
    static TEST_IPC_BUFFER: core::cell::Cell<[u64; IpcBuffer::WORDS]> =
        const { core::cell::Cell::new([0; IpcBuffer::WORDS]) };
}

/// Reads word `index` of this test thread's stand-in IPC buffer.
#[cfg(test)]
pub fn ipc_word(index: usize) -> u64 {
    TEST_IPC_BUFFER.with(|buffer| buffer.get()[index])
}

/// Writes word `index` of this test thread's stand-in IPC buffer.
#[cfg(test)]
pub fn set_ipc_word(index: usize, value: u64) {
    TEST_IPC_BUFFER.with(|buffer| {
        let mut words = buffer.get();
        words[index] = value;
        buffer.set(words);
    })
}

/// Writes `words` into this test thread's stand-in IPC buffer from word `start` on.
#[cfg(test)]
pub fn set_ipc_words(start: usize, words: &[u64]) {
    for (i, &word) in words.iter().enumerate() {
        set_ipc_word(start + i, word);
    }
}

/// Runs `f` and then puts this thread's IPC buffer back as it was: for code that makes IPC
/// calls of its own in the middle of someone else's (printing, AST handlers).
pub fn preserving_ipc_buffer<T>(f: impl FnOnce() -> T) -> T {
    let saved: [u64; IpcBuffer::WORDS] = core::array::from_fn(ipc_word);
    let result = f();
    for (i, &word) in saved.iter().enumerate() {
        set_ipc_word(i, word);
    }
    result
}

/// A copy of this process's boot-info page.
pub fn boot_info() -> BootInfo {
    // SAFETY: the kernel maps the boot-info page read-only at BOOT_INFO_ADDR before the program
    // starts and fills it with a `BootInfo`, which is plain words.
    unsafe { core::ptr::read_volatile(BOOT_INFO_ADDR as *const BootInfo) }
}

/// The boot images the kernel mapped at `addr` (from the boot-info page; 0: none).
pub fn boot_images(addr: u64) -> Option<tryst_abi::BootImages<'static>> {
    if addr == 0 {
        return None;
    }
    // SAFETY: a non-zero `images_addr` means the kernel mapped the boot images read-only at
    // that address before the program started and never unmaps them; they begin with two
    // plain words, and the total length they record is all mapped.
    let bytes = unsafe {
        let header = core::ptr::read_volatile(addr as *const [u64; 2]);
        let len = tryst_abi::BootImages::total_len(header)?;
        core::slice::from_raw_parts(addr as *const u8, len)
    };
    tryst_abi::BootImages::parse(bytes)
}

/// Copies `bytes` to `page + offset`, where `page` is a page this process has just mapped
/// read-write for the purpose (see `memory::write_frame`), and `offset + bytes.len()` fits.
pub fn copy_to_mapped_page(page: u64, offset: usize, bytes: &[u8]) {
    assert!(offset + bytes.len() <= tryst_abi::PAGE_SIZE as usize);
    // SAFETY: the caller has just mapped a whole writable page at `page`, which no Rust
    // reference points into, and the range stays inside it; `bytes` is elsewhere (this
    // process's own memory, not that page).
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), (page as *mut u8).add(offset), bytes.len()) }
}

/// Reads the time-stamp counter, serialized so that earlier instructions have finished and
/// later ones have not started. Under QEMU with `-icount shift=0` one tick is one guest
/// instruction.
pub fn timestamp() -> u64 {
    let low: u32;
    let high: u32;
    // SAFETY: lfence and rdtsc only order execution and read the TSC (user mode may: the
    // kernel leaves CR4.TSD clear).
    unsafe {
        core::arch::asm!("lfence", "rdtsc", "lfence", out("eax") low, out("edx") high, options(nomem, nostack));
    }
    (u64::from(high) << 32) | u64::from(low)
}

/// A stack for AST handlers (see [`crate::ast`]): 16 KiB, kept in a `static`.
#[repr(C, align(16))]
pub struct AstStack(UnsafeCell<[u64; AstStack::WORDS]>);

// SAFETY: Rust code never reads or writes the stack's contents through the static: only
// `prepare` writes its top word (before any handler runs on it), and the handler's own frames
// live in it below that word while the kernel runs the handler. One thread's ASTs at a time
// use a stack (ASTs of one thread do not nest), as `crate::ast::set_handler` documents.
unsafe impl Sync for AstStack {}

impl AstStack {
    const WORDS: usize = 2048;

    /// A stack, all zero.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> AstStack {
        AstStack(UnsafeCell::new([0; AstStack::WORDS]))
    }

    /// Stores `handler` in the stack's top 16 bytes and returns the stack pointer a handler
    /// starts with: that word's address (16-byte aligned).
    pub(crate) fn prepare(&'static self, handler: Handler) -> u64 {
        // SAFETY: the index is inside the array; no reference into it exists (see `Sync`).
        unsafe {
            let top = (self.0.get() as *mut u64).add(AstStack::WORDS - 2);
            core::ptr::write_volatile(top as *mut Handler, handler);
            top as u64
        }
    }
}

/// Where the kernel starts AST handlers: [`AstStack::prepare`]'s stack pointer, the bits in
/// `rdi`, whether a blocked call was interrupted in `rsi`.
pub(crate) fn ast_entry_address() -> u64 {
    unsafe extern "C" {
        fn tryst_ast_entry();
    }
    tryst_ast_entry as *const () as u64
}

// Calls `ast::dispatch(bits, interrupted, handler)` with the handler from the top of the
// stack, then `ast_return`, which never returns.
core::arch::global_asm!(
    r#"
    .section .text.tryst_ast_entry, "ax"
    .global tryst_ast_entry
tryst_ast_entry:
    mov rdx, [rsp]
    and rsp, -16
    call {dispatch}
    mov eax, {ast_return}
    syscall
    ud2
    "#,
    dispatch = sym crate::ast::dispatch,
    ast_return = const SyscallNumber::AstReturn as u64,
);
