//! Threads made from user space: configure a new thread's capability space, address space,
//! IPC buffer and priority, start it, suspend and resume it, name it, hear when it ends.
//!
//! The usual order: `caps::create_thread`, [`configure`], [`set_name`], [`start`]. A thread
//! ends when it exits, is destroyed (`caps::destroy_thread`), or is not running (never
//! started, or suspended) when its last capability goes.

use tryst_abi::{Slot, Syscall, ThreadRunState, UserBuffer};

use crate::{call, Error};

/// `thread_configure`: gives the new thread in `thread` the capability space in `cspace`, the
/// address space in `space` (both with Write), its IPC buffer (the Frame in `ipc_buffer`,
/// with Read and Write; the thread finds it at `IPC_BUFFER_ADDR`, so map it there) and
/// `priority` (at most the caller's own). Once only, before the thread starts.
pub fn configure(
    thread: Slot,
    cspace: Slot,
    space: Slot,
    ipc_buffer: Slot,
    priority: u8,
) -> Result<(), Error> {
    call(Syscall::ThreadConfigure { thread, cspace, space, ipc_buffer, priority }).map(drop)
}

/// `thread_start`: the configured thread in `thread` starts at `ip` with stack pointer `sp`
/// and `argument` in its first argument register (what `tryst::entry!`'s `main` receives).
pub fn start(thread: Slot, ip: u64, sp: u64, argument: u64) -> Result<(), Error> {
    call(Syscall::ThreadStart { thread, ip, sp, argument }).map(drop)
}

/// `thread_suspend`: the thread in `thread` runs no more until resumed. If it is blocked, its
/// operation still completes, but it does not run on.
pub fn suspend(thread: Slot) -> Result<(), Error> {
    call(Syscall::ThreadSuspend { thread }).map(drop)
}

/// `thread_resume`: the suspended thread in `thread` may run again.
pub fn resume(thread: Slot) -> Result<(), Error> {
    call(Syscall::ThreadResume { thread }).map(drop)
}

/// `thread_set_name`: the name the kernel's reports give the thread in `thread` (at most
/// `THREAD_NAME_MAX` bytes).
pub fn set_name(thread: Slot, name: &str) -> Result<(), Error> {
    let name = UserBuffer { addr: name.as_ptr() as u64, len: name.len() as u64 };
    call(Syscall::ThreadSetName { thread, name }).map(drop)
}

/// `thread_notify_exit`: when the thread in `thread` ends, however it ends (exit, a fault
/// with no handler, destruction), the notification in `notification` (with Write) is
/// signalled with that capability's badge. A later call replaces the earlier one.
pub fn notify_exit(thread: Slot, notification: Slot) -> Result<(), Error> {
    call(Syscall::ThreadNotifyExit { thread, notification }).map(drop)
}

/// What `thread_info` tells about a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadInfo {
    /// The number the kernel's reports give it (`process N`).
    pub number: u64,
    /// What it is doing.
    pub state: ThreadRunState,
    /// Its priority.
    pub priority: u8,
    /// Whether it is suspended.
    pub suspended: bool,
}

/// `thread_info`: the number, state and priority of the thread in `thread` (needs Read).
pub fn info(thread: Slot) -> Result<ThreadInfo, Error> {
    let v = call(Syscall::ThreadInfo { thread })?;
    Ok(ThreadInfo {
        number: v[0],
        state: ThreadRunState::try_from(v[1]).unwrap_or(ThreadRunState::Inactive),
        priority: v[2] as u8,
        suspended: v[3] != 0,
    })
}
