//! Threads: their kernel-visible state and where they are in their life.

use crate::abi::Slot;
use crate::arena::{Arena, Handle, Vacant};
use crate::cspace::CSpaceId;
use crate::fault::Fault;
use crate::objects::{EndpointId, MemoryId, NotificationId};
use crate::pages::{FrameId, SpaceId};

/// How many threads can exist at once.
pub const MAX_THREADS: usize = 64;

/// Scheduling priority: higher numbers run first.
pub type Priority = u8;

/// Names one thread. Generation-checked: an id kept after its thread is gone never reaches
/// the thread that later reuses the slot.
pub type ThreadId = Handle<Thread>;

/// The table of threads.
pub type ThreadTable = Arena<Thread, MAX_THREADS>;

/// A short, fixed-size name for reports (no allocation in the kernel).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name {
    bytes: [u8; Name::CAPACITY],
    len: u8,
}

impl Name {
    /// The longest name kept; longer names are cut at a character boundary.
    pub const CAPACITY: usize = 24;

    /// Makes a name from `text`, cut to [`Name::CAPACITY`] bytes.
    pub fn new(text: &str) -> Name {
        let mut len = text.len().min(Self::CAPACITY);
        while !text.is_char_boundary(len) {
            len -= 1;
        }
        let mut bytes = [0; Self::CAPACITY];
        bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
        Name { bytes, len: len as u8 }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        // The bytes were cut from a `&str` at a character boundary, so this cannot fail.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("?")
    }
}

impl core::fmt::Debug for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// Where a thread is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// Not started yet, or suspended: it runs when started or resumed.
    Inactive,
    /// Waiting in the run queue.
    Ready,
    /// On the CPU (exactly one thread at a time, or none while idle).
    Running,
    /// Blocked in `sleep` until the tick count reaches `until`.
    Sleeping { until: u64 },
    /// Queued on `endpoint` in `send` or `call`; the message waits in its registers and IPC
    /// buffer until a receiver takes it.
    Sending { endpoint: EndpointId, sender: Sender },
    /// Queued on `endpoint` in `recv` or `reply_recv`.
    Receiving { endpoint: EndpointId },
    /// Its `call` was received; it waits for the answer.
    AwaitingReply,
    /// Blocked in `wait` on `notification`, queued there.
    Waiting { notification: NotificationId },
}

/// What a queued sender's capability allowed, kept with it until a receiver comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sender {
    /// The badge the receiver will see.
    pub badge: u64,
    /// Whether the message may carry capabilities (Grant).
    pub grant: bool,
    /// `Some` for a `call`: whether the reply may carry capabilities (GrantReply).
    pub call: Option<bool>,
}

/// The one-shot right to answer a `call`, held by the thread that received it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyRight {
    /// The caller waiting for the answer.
    pub caller: ThreadId,
    /// The endpoint the call came through, whose counters the answer adds to.
    pub endpoint: EndpointId,
    /// Whether the answer may carry capabilities (the caller's capability had GrantReply).
    pub grant: bool,
}

/// One thread's kernel-visible state. Register contents are arch state and live in the kernel
/// crate, in an array indexed by [`Handle::index`].
#[derive(Clone, Debug)]
pub struct Thread {
    /// For reports.
    pub name: Name,
    /// Set at creation (boot threads) or by `thread_configure`.
    pub priority: Priority,
    /// Ticks left in the current time slice.
    pub slice_left: u32,
    /// Where the thread is in its life.
    pub state: ThreadState,
    /// Its capability space (`None` until `thread_configure`; a thread never runs without).
    pub cspace: Option<CSpaceId>,
    /// Its address space (`None` until `thread_configure`, and in host tests that need none).
    pub space: Option<SpaceId>,
    /// The Frame that is its IPC buffer (`None` for boot threads, whose buffer the kernel
    /// made, and until `thread_configure`).
    pub ipc_buffer: Option<FrameId>,
    /// Who pays for it ([`crate::abi::THREAD_COST`]); `None` for boot threads.
    pub memory: Option<MemoryId>,
    /// Capabilities that name it. A thread that is not running (never started, or
    /// suspended) ends when its last capability goes: nothing could ever start it again.
    pub caps: u32,
    /// Whether `thread_start` (or boot) has set it going.
    pub started: bool,
    /// Whether `thread_suspend` holds it: when it would become ready it becomes inactive.
    pub suspended: bool,
    /// The caller it owes an answer, if any.
    pub reply_to: Option<ReplyRight>,
    /// The slot of its own capability space whose endpoint its faults are sent to.
    pub fault_handler: Option<Slot>,
    /// The fault it is stopped on while its handler deals with it (it is then sending or
    /// awaiting the reply that resumes it).
    pub fault: Option<Fault>,
    /// Its bound notification, if any, and how signals reach it.
    pub binding: Option<Binding>,
    /// The notification to signal when it ends, and the bits (`thread_notify_exit`).
    pub exit_notification: Option<(NotificationId, u64)>,
    /// Its AST handler and whether ASTs may interrupt it now.
    pub ast: AstState,
}

impl Vacant for Thread {
    /// Also the base of [`Thread::new`]: nothing set up, nothing naming it.
    const VACANT: Self = Thread {
        name: Name { bytes: [0; Name::CAPACITY], len: 0 },
        priority: 0,
        slice_left: 0,
        state: ThreadState::Inactive,
        cspace: None,
        space: None,
        ipc_buffer: None,
        memory: None,
        caps: 0,
        started: false,
        suspended: false,
        reply_to: None,
        fault_handler: None,
        fault: None,
        binding: None,
        exit_notification: None,
        ast: AstState { handler: None, masked: false, in_handler: false },
    };
}

/// A thread's bound notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    pub notification: NotificationId,
    /// Signals interrupt the thread as ASTs (else they end its `recv`).
    pub ast: bool,
}

/// Where a thread's ASTs run, and whether one may run now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AstState {
    /// Set by `ast_set_handler`.
    pub handler: Option<AstHandler>,
    /// `ast_mask(true)`: signals stay pending in the notification.
    pub masked: bool,
    /// The handler is running (it ends with `ast_return`); ASTs do not nest.
    pub in_handler: bool,
}

/// The entry point and stack top of a thread's AST handler (user addresses, unchecked
/// beyond that: a bad one faults the thread in user mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AstHandler {
    pub entry: u64,
    pub stack: u64,
}

impl Thread {
    /// A thread that has not started: no capability space, address space or IPC buffer yet,
    /// priority 0, nothing naming it. `memory` pays for it (`None`: a boot thread).
    pub fn new(name: &str, memory: Option<MemoryId>) -> Thread {
        Thread {
            name: Name::new(name),
            slice_left: crate::kernel::TIME_SLICE_TICKS,
            memory,
            ..Thread::VACANT
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_at_a_char_boundary() {
        let name = Name::new("ééééééééééééééééééééééééé");
        assert!(name.as_str().len() <= Name::CAPACITY);
        assert!(name.as_str().chars().all(|c| c == 'é'));
    }
}
