//! Notifications: a word of bits for asynchronous events. [`signal`] ORs the badge of the
//! capability used into the word (an unbadged capability signals bit 0) and never blocks;
//! [`wait`] takes the word, blocking while it is zero; [`poll`] takes it without blocking.
//! Signals that nobody has taken yet are kept, merged into the one word.
//!
//! A notification bound to a thread ([`bind`]) also reaches it while it waits for messages
//! ([`BindMode::Receive`]: see [`crate::ipc::recv_event`]) or interrupts it with an AST
//! ([`BindMode::Ast`]: see [`crate::ast`]).

pub use tryst_abi::BindMode;
use tryst_abi::Syscall;

use crate::{call, Error, Slot};

/// Signals the notification in `notification` (needs Write) with the capability's badge.
pub fn signal(notification: Slot) -> Result<(), Error> {
    call(Syscall::Signal { notification }).map(drop)
}

/// Waits until the notification in `notification` (needs Read) has bits; returns them and
/// clears the word. [`Error::PeerGone`] if the notification goes while this thread waits.
pub fn wait(notification: Slot) -> Result<u64, Error> {
    call(Syscall::Wait { notification, blocking: true }).map(|v| v[0])
}

/// Takes the bits of the notification in `notification` (needs Read) without blocking: 0
/// when none are pending.
pub fn poll(notification: Slot) -> Result<u64, Error> {
    call(Syscall::Wait { notification, blocking: false }).map(|v| v[0])
}

/// Binds the notification in `notification` (needs Read) to the thread in `thread` (needs
/// Write). [`Error::AlreadyBound`] when either is bound already; [`BindMode::Ast`] needs the
/// thread's AST handler set first ([`Error::InvalidState`]).
pub fn bind(thread: Slot, notification: Slot, mode: BindMode) -> Result<(), Error> {
    call(Syscall::NotificationBind { thread, notification, mode }).map(drop)
}

/// Undoes the binding of the thread in `thread` (needs Write).
pub fn unbind(thread: Slot) -> Result<(), Error> {
    call(Syscall::NotificationUnbind { thread }).map(drop)
}
