//! ASTs (asynchronous system traps): a notification bound in [`BindMode::Ast`] interrupts its
//! thread the way a Unix signal does.
//!
//! ```ignore
//! static STACK: AstStack = AstStack::new();
//! fn on_ast(bits: u64, interrupted_a_blocked_call: bool) { /* … */ }
//! ast::set_handler(me, on_ast, &STACK)?;
//! notify::bind(me, notification, BindMode::Ast)?;
//! ```
//!
//! When the notification is signalled, the thread is interrupted at its next return to user
//! mode: the kernel keeps its registers and flags (there is no FPU/SSE state: Tryst code is
//! built soft-float), and the handler runs on its own stack with the bits it took. When the
//! handler returns, the thread goes on exactly where it was. A thread blocked in `recv`,
//! `send`, `call` (before the server took the message), `wait` or `sleep` has that call
//! cancelled and made again afterwards, so the program sees it complete as if nothing had
//! happened (`sleep` keeps its deadline; `reply_recv` only receives again, its reply was
//! sent). A thread awaiting a reply takes the AST once the reply is in.
//!
//! ASTs do not nest: signals arriving while the handler runs wait until it returns, as they do
//! while the thread has them [`mask`]ed. This library saves and restores the thread's IPC
//! buffer around the handler, so the handler may make IPC calls of its own.

pub use tryst_abi::BindMode;
use tryst_abi::Syscall;

use crate::{call, raw, Error, Slot};

/// An AST handler: called with the bits taken from the notification, and whether the AST
/// cancelled a blocked system call (which is made again when the handler returns).
pub type Handler = fn(bits: u64, interrupted_a_blocked_call: bool);

/// A stack for AST handlers: 16 KiB, in a `static`. One thread's ASTs at a time may use it.
pub use raw::AstStack;

/// The thread in `thread` (needs Write) takes its ASTs in `handler`, on `stack`.
pub fn set_handler(thread: Slot, handler: Handler, stack: &'static AstStack) -> Result<(), Error> {
    let top = stack.prepare(handler);
    call(Syscall::AstSetHandler { thread, entry: raw::ast_entry_address(), stack: top }).map(drop)
}

/// Holds this thread's ASTs pending; returns whether they were held already.
pub fn mask() -> bool {
    // Masking takes no slot and cannot fail.
    call(Syscall::AstMask { masked: true }).is_ok_and(|v| v[0] != 0)
}

/// Lets this thread's ASTs in again (one pending runs before this returns); returns whether
/// they were held.
pub fn unmask() -> bool {
    call(Syscall::AstMask { masked: false }).is_ok_and(|v| v[0] != 0)
}

/// Called by the entry code in `raw` on the AST stack: runs the handler with the thread's IPC
/// buffer saved around it.
// A `fn` pointer is a plain code address in a register: only the entry code calls this.
#[allow(improper_ctypes_definitions)]
pub(crate) extern "C" fn dispatch(bits: u64, interrupted: u64, handler: Handler) {
    raw::preserving_ipc_buffer(|| handler(bits, interrupted != 0));
}
