//! Capabilities and kernel objects: copy, mint, move, delete, revoke, identify, and making
//! objects from a Memory capability.
//!
//! The capability operations take a [`SlotPath`]: a plain [`Slot`] of the caller's own
//! capability space, or `SlotPath::within(cspace, slot)`, a slot of the space a CSpace
//! capability (with Write) in the caller's slot `cspace` names — how a parent fills a
//! child's slots.

pub use tryst_abi::SlotPath;
use tryst_abi::{ObjectKind, Rights, Slot, Syscall};

use crate::{call, Error};

/// What a slot holds, as `cap_identify` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapInfo {
    /// The kind of object (`None` for a kind this library does not know).
    pub kind: Option<ObjectKind>,
    /// What the capability allows.
    pub rights: Rights,
    /// Its badge (0: none).
    pub badge: u64,
}

/// Live kernel objects, as `kernel_stats` reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelStats {
    /// Threads.
    pub threads: u64,
    /// Endpoints.
    pub endpoints: u64,
    /// Memory objects.
    pub memories: u64,
    /// Occupied capability slots, in all capability spaces.
    pub capabilities: u64,
    /// Capability spaces.
    pub cspaces: u64,
    /// Frames.
    pub frames: u64,
}

/// A slot number, checked against the capability-space size.
pub fn slot(number: u64) -> Result<Slot, Error> {
    Slot::new(number)
}

/// `cap_copy`: a copy of `source` in the empty slot `dest`, derived from it.
pub fn copy(source: impl Into<SlotPath>, dest: impl Into<SlotPath>) -> Result<(), Error> {
    call(Syscall::CapMint { source: source.into(), dest: dest.into(), rights: None, badge: 0 }).map(drop)
}

/// `cap_mint`: a copy with `rights` (a subset of the source's) and, for an unbadged endpoint
/// capability, `badge` (0 keeps the source's).
pub fn mint(
    source: impl Into<SlotPath>,
    dest: impl Into<SlotPath>,
    rights: Rights,
    badge: u64,
) -> Result<(), Error> {
    let (source, dest) = (source.into(), dest.into());
    call(Syscall::CapMint { source, dest, rights: Some(rights), badge }).map(drop)
}

/// `cap_move`: moves `source` to the empty slot `dest`.
pub fn move_cap(source: impl Into<SlotPath>, dest: impl Into<SlotPath>) -> Result<(), Error> {
    call(Syscall::CapMove { source: source.into(), dest: dest.into() }).map(drop)
}

/// `cap_delete`: empties `slot`; an object dies with its last capability.
pub fn delete(slot: impl Into<SlotPath>) -> Result<(), Error> {
    call(Syscall::CapDelete { slot: slot.into() }).map(drop)
}

/// `cap_revoke`: deletes every capability derived from `slot`, in every process.
pub fn revoke(slot: impl Into<SlotPath>) -> Result<(), Error> {
    call(Syscall::CapRevoke { slot: slot.into() }).map(drop)
}

/// `cap_identify`: what `slot` holds.
pub fn identify(slot: impl Into<SlotPath>) -> Result<CapInfo, Error> {
    call(Syscall::CapIdentify { slot: slot.into() }).map(|v| CapInfo {
        kind: ObjectKind::try_from(v[0]).ok(),
        rights: Rights::from_bits_truncate(v[1]),
        badge: v[2],
    })
}

/// `create`: makes an object of `kind` charged to the Memory capability `memory` (a Memory
/// object's budget is `budget`; other kinds take 0), its capability in `dest`.
pub fn create(memory: Slot, kind: ObjectKind, dest: impl Into<SlotPath>, budget: u64) -> Result<(), Error> {
    call(Syscall::Create { memory, kind, dest: dest.into(), budget }).map(drop)
}

/// Makes an endpoint charged to the Memory capability `memory`, its capability in `dest`.
pub fn create_endpoint(memory: Slot, dest: impl Into<SlotPath>) -> Result<(), Error> {
    create(memory, ObjectKind::Endpoint, dest, 0)
}

/// Makes a child Memory object with `budget` bytes, charged to `memory`, its capability in `dest`.
pub fn create_memory(memory: Slot, dest: impl Into<SlotPath>, budget: u64) -> Result<(), Error> {
    create(memory, ObjectKind::Memory, dest, budget)
}

/// Makes a Frame (one zero-filled 4 KiB page) charged to `memory`, its capability in `dest`.
pub fn create_frame(memory: Slot, dest: impl Into<SlotPath>) -> Result<(), Error> {
    create(memory, ObjectKind::Frame, dest, 0)
}

/// Makes an empty address space charged to `memory` (as are the page tables mapping into it
/// later adds), its capability in `dest`.
pub fn create_address_space(memory: Slot, dest: impl Into<SlotPath>) -> Result<(), Error> {
    create(memory, ObjectKind::AddressSpace, dest, 0)
}

/// Makes an empty capability space charged to `memory`, its capability in `dest`.
pub fn create_cspace(memory: Slot, dest: impl Into<SlotPath>) -> Result<(), Error> {
    create(memory, ObjectKind::CSpace, dest, 0)
}

/// Makes a thread charged to `memory`, its capability in `dest`; see [`crate::thread`] for
/// configuring and starting it.
pub fn create_thread(memory: Slot, dest: impl Into<SlotPath>) -> Result<(), Error> {
    create(memory, ObjectKind::Thread, dest, 0)
}

/// Makes a notification charged to `memory`, its capability in `dest`; see [`crate::notify`].
pub fn create_notification(memory: Slot, dest: impl Into<SlotPath>) -> Result<(), Error> {
    create(memory, ObjectKind::Notification, dest, 0)
}

/// A Memory object's `(budget, used)` in bytes.
pub fn memory_info(memory: Slot) -> Result<(u64, u64), Error> {
    call(Syscall::MemoryInfo { memory }).map(|v| (v[0], v[1]))
}

/// `thread_destroy`: ends the thread the Thread capability in `thread` names (needs Write).
/// Whatever it was blocked in is cancelled as if it had exited; a call it was answering
/// fails for its caller with `PeerGone`.
pub fn destroy_thread(thread: Slot) -> Result<(), Error> {
    call(Syscall::ThreadDestroy { thread }).map(drop)
}

/// How many kernel objects of each kind exist.
pub fn kernel_stats() -> KernelStats {
    // kernel_stats takes no arguments and cannot fail.
    let v = call(Syscall::KernelStats).unwrap_or_default();
    KernelStats {
        threads: v[0],
        endpoints: v[1],
        memories: v[2],
        capabilities: v[3],
        cspaces: v[4],
        frames: v[5],
    }
}

/// `thread_set_fault_handler`: from now on the faults of the thread `thread` names (needs
/// Write) become messages to the endpoint in slot `handler` of *that thread's* capability
/// space, looked up when the fault happens (`None`: no handler, a fault stops the thread).
/// See [`crate::fault`] for the message and how to answer it.
pub fn set_fault_handler(thread: Slot, handler: Option<Slot>) -> Result<(), Error> {
    call(Syscall::ThreadSetFaultHandler { thread, handler }).map(drop)
}
