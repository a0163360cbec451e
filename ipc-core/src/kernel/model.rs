//! Model-based test of the kernel core: random system-call sequences by a few threads, each
//! step checked against a small reference model of the intended semantics (DESIGN.md §3–4).
//!
//! The model is deliberately naive and shares nothing with the kernel's data structures:
//! per-thread slot tables, capabilities with explicit parent pointers (deleting one hands its
//! children to its parent; revoke deletes the transitive closure), objects that live while
//! something refers to them (Memory use is recomputed from the live objects every time), and
//! wait queues as "the waiting thread of highest priority that came first". It covers
//! capability copy, mint, move, delete, revoke and identify; Endpoint and Memory creation with
//! budgets, charges and refunds; send, nb_send, call, recv, nb_recv, reply and reply_recv with
//! badges, long messages, capability transfer, Grant and GrantReply; one-shot reply rights;
//! `PeerGone` on endpoint death, on the loss of the last capability with a sender's badge, on an
//! abandoned reply right, on exit and on `thread_destroy` (of a running, queued or calling
//! thread); wrong types, missing rights, empty and occupied slots; and malformed system calls.
//!
//! Ops name slots by what they should hold ([`Pick`]), resolved against the caller's slots when
//! the op runs, so that most calls get past their checks and reach the interesting paths.
//!
//! After every step the test compares, for every thread: its state (ready, running, queued on
//! which endpoint, awaiting a reply, gone) and the reply right it holds; the status and values
//! of every system call that has completed; its IPC buffer; and slots `0..USED_SLOTS` (object,
//! kind, rights, badge). It also compares which objects are alive, every Memory object's budget
//! and use, and `kernel_stats`, and runs `check_invariants`. Model objects are matched to kernel
//! objects the first time a slot shows them, and that matching must stay one-to-one.
//! Scheduling is checked loosely: the thread the kernel runs must be runnable in the model and
//! of the highest runnable priority (the order among equals is the scheduler's business).

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestCaseError};

use super::Kernel;
use crate::abi::{
    BootInfo, Error, IpcBuffer, Message, MessageInfo, ObjectKind, Rights, SendKind, Slot, Syscall,
    SyscallNumber, ARG_SLOTS, CSPACE_SLOTS, ENDPOINT_COST, MEMORY_COST, REGISTER_WORDS, VALUE_SLOTS,
};
use crate::cspace::{Object, SlotRef};
use crate::mock::Mock;
use crate::thread::{ThreadId, ThreadState};

/// The rights of an original capability to anything but a Frame (the model makes no Frames).
const OBJECT_RIGHTS: Rights = Rights::of(ObjectKind::Endpoint);

/// Ops name only slots `0..USED_SLOTS`, so that they hit each other's capabilities often; no
/// capability ever lands anywhere else, which is why comparing these slots (and the total
/// count) is comparing whole capability spaces.
const USED_SLOTS: u64 = 8;
/// A raw slot number outside every capability space.
const BAD_SLOT: u64 = CSPACE_SLOTS + 72;
/// Every thread starts with the boot Memory object here (thread 0 the original, the others copies).
const MEMORY_SLOT: u64 = BootInfo::MEMORY_SLOT;
/// Every thread starts with an unbadged endpoint here (thread 0 the original, the others copies).
const SHARED_SLOT: u64 = 2;
/// Thread 0 starts with the original of a second endpoint here; thread `i` with a copy badged
/// `i` that lacks Grant (odd `i`) or GrantReply (even `i`), so that both are missed sometimes.
const BADGED_SLOT: u64 = 3;
/// Thread `i` starts with a Thread capability to thread `i + 1` (the last to thread 0) here.
const THREAD_SLOT: u64 = 4;
/// The boot Memory budget: room for a handful of objects, so that `OutOfMemory` happens.
const BOOT_BUDGET: u64 = 12 * ENDPOINT_COST;

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// One system call, made by whichever thread the kernel runs at that step. Generated ops name
/// slots by [`Pick`]; just before the call each pick becomes a slot number (`Op<u64>`).
/// `DestroyThread` is `thread_destroy`. Creating threads, capability spaces, Frames and
/// address spaces is not generated: unit tests (`threads_tests.rs`, `pages_tests.rs`) cover
/// those.
#[derive(Clone, Debug)]
enum Op<S = u64> {
    CreateEndpoint { memory: S, dest: S },
    CreateMemory { memory: S, dest: S, budget: u64 },
    Copy { source: S, dest: S },
    Mint { source: S, dest: S, rights: Rights, badge: u64 },
    Move { source: S, dest: S },
    Delete { slot: S },
    Revoke { slot: S },
    Identify { slot: S },
    MemoryInfo { slot: S },
    KernelStats,
    Send { kind: SendKind, endpoint: S, message: Msg, buffer: Buffer<S> },
    Recv { endpoint: S, blocking: bool, buffer: Buffer<S> },
    Reply { message: Msg, buffer: Buffer<S> },
    ReplyRecv { endpoint: S, message: Msg, buffer: Buffer<S> },
    DestroyThread { slot: S },
    Yield,
    Exit,
    Malformed(Malformed),
}

impl<S: Copy> Op<S> {
    /// The same op with every slot `s` replaced by `f(s)`, in field order.
    fn map<T>(&self, mut f: impl FnMut(S) -> T) -> Op<T> {
        match *self {
            Op::CreateEndpoint { memory, dest } => Op::CreateEndpoint { memory: f(memory), dest: f(dest) },
            Op::CreateMemory { memory, dest, budget } => {
                Op::CreateMemory { memory: f(memory), dest: f(dest), budget }
            }
            Op::Copy { source, dest } => Op::Copy { source: f(source), dest: f(dest) },
            Op::Mint { source, dest, rights, badge } => {
                Op::Mint { source: f(source), dest: f(dest), rights, badge }
            }
            Op::Move { source, dest } => Op::Move { source: f(source), dest: f(dest) },
            Op::Delete { slot } => Op::Delete { slot: f(slot) },
            Op::Revoke { slot } => Op::Revoke { slot: f(slot) },
            Op::Identify { slot } => Op::Identify { slot: f(slot) },
            Op::MemoryInfo { slot } => Op::MemoryInfo { slot: f(slot) },
            Op::KernelStats => Op::KernelStats,
            Op::Send { kind, endpoint, message, buffer } => {
                Op::Send { kind, endpoint: f(endpoint), message, buffer: buffer.map(f) }
            }
            Op::Recv { endpoint, blocking, buffer } => {
                Op::Recv { endpoint: f(endpoint), blocking, buffer: buffer.map(f) }
            }
            Op::Reply { message, buffer } => Op::Reply { message, buffer: buffer.map(f) },
            Op::ReplyRecv { endpoint, message, buffer } => {
                Op::ReplyRecv { endpoint: f(endpoint), message, buffer: buffer.map(f) }
            }
            Op::DestroyThread { slot } => Op::DestroyThread { slot: f(slot) },
            Op::Yield => Op::Yield,
            Op::Exit => Op::Exit,
            Op::Malformed(malformed) => Op::Malformed(malformed),
        }
    }
}

/// A slot as a generated op names it, found among the calling thread's slots `0..USED_SLOTS`
/// when the op runs: most operations then find what they need, and the ones that fail were
/// meant to. Counting goes round; when nothing fits, the pick is slot `n % USED_SLOTS`.
#[derive(Clone, Copy, Debug)]
enum Pick {
    /// The `n`-th slot that holds a capability.
    Full(u8),
    /// The `n`-th empty slot.
    Empty(u8),
    /// The `n`-th slot that holds a capability to this kind of object.
    Holding(ObjectKind, u8),
    /// This slot number, whatever the slot holds (in a buffer, it may be out of range).
    Number(u64),
}

/// A message as an op describes it. Its words are derived from the label, so every delivered
/// word says which message it came from.
#[derive(Clone, Copy, Debug)]
struct Msg {
    label: u64,
    length: u8,
    caps: u8,
}

impl Msg {
    fn word(self, i: usize) -> u64 {
        self.label * 100 + i as u64
    }

    fn message(self) -> Message {
        let info = MessageInfo { label: self.label, length: self.length, caps: self.caps };
        Message { info, words: [0, 1, 2, 3].map(|i| self.word(i)) }
    }
}

/// What an IPC op writes into the caller's IPC buffer first: raw slot numbers (some out of
/// range) of the capabilities to send and of the slots where received ones should land.
#[derive(Clone, Copy, Debug)]
struct Buffer<S = u64> {
    send_caps: [S; 3],
    receive_slots: [S; 3],
}

impl<S: Copy> Buffer<S> {
    fn map<T>(&self, mut f: impl FnMut(S) -> T) -> Buffer<T> {
        Buffer { send_caps: self.send_caps.map(&mut f), receive_slots: self.receive_slots.map(&mut f) }
    }
}

/// A raw system call the decoder must reject, and with what.
#[derive(Clone, Copy, Debug)]
enum Malformed {
    SlotOutOfRange,
    UnknownNumber,
    BudgetForEndpoint,
    UnknownRights,
    MessageTooLong,
}

impl Malformed {
    fn raw(self) -> (u64, [u64; ARG_SLOTS]) {
        match self {
            Malformed::SlotOutOfRange => (SyscallNumber::CapDelete.into(), [BAD_SLOT, 0, 0, 0, 0, 0]),
            Malformed::UnknownNumber => (1000, [0; ARG_SLOTS]),
            Malformed::BudgetForEndpoint => {
                (SyscallNumber::Create.into(), [MEMORY_SLOT, ObjectKind::Endpoint.into(), 7, 64, 0, 0])
            }
            Malformed::UnknownRights => (SyscallNumber::CapMint.into(), [SHARED_SLOT, 7, 1 << 5, 0, 0, 0]),
            Malformed::MessageTooLong => (SyscallNumber::Send.into(), [SHARED_SLOT, 65, 0, 0, 0, 0]),
        }
    }

    fn error(self) -> Error {
        match self {
            Malformed::SlotOutOfRange => Error::InvalidSlot,
            Malformed::UnknownNumber => Error::UnknownSyscall,
            Malformed::BudgetForEndpoint | Malformed::UnknownRights => Error::InvalidArgument,
            Malformed::MessageTooLong => Error::MessageTooLong,
        }
    }
}

/// The number and arguments of the system call `op` makes.
fn encode(op: &Op) -> (u64, [u64; ARG_SLOTS]) {
    let s = |n: u64| Slot::new(n).expect("ops name slots below USED_SLOTS");
    let call = match *op {
        Op::CreateEndpoint { memory, dest } => {
            Syscall::Create { memory: s(memory), kind: ObjectKind::Endpoint, dest: s(dest).into(), budget: 0 }
        }
        Op::CreateMemory { memory, dest, budget } => {
            Syscall::Create { memory: s(memory), kind: ObjectKind::Memory, dest: s(dest).into(), budget }
        }
        Op::Copy { source, dest } => {
            Syscall::CapMint { source: s(source).into(), dest: s(dest).into(), rights: None, badge: 0 }
        }
        Op::Mint { source, dest, rights, badge } => {
            Syscall::CapMint { source: s(source).into(), dest: s(dest).into(), rights: Some(rights), badge }
        }
        Op::Move { source, dest } => Syscall::CapMove { source: s(source).into(), dest: s(dest).into() },
        Op::Delete { slot } => Syscall::CapDelete { slot: s(slot).into() },
        Op::Revoke { slot } => Syscall::CapRevoke { slot: s(slot).into() },
        Op::Identify { slot } => Syscall::CapIdentify { slot: s(slot).into() },
        Op::MemoryInfo { slot } => Syscall::MemoryInfo { memory: s(slot) },
        Op::KernelStats => Syscall::KernelStats,
        Op::Send { kind, endpoint, message, .. } => {
            Syscall::Send { endpoint: s(endpoint), message: message.message(), kind }
        }
        Op::Recv { endpoint, blocking, .. } => Syscall::Recv { endpoint: s(endpoint), blocking },
        Op::Reply { message, .. } => Syscall::Reply { message: message.message() },
        Op::ReplyRecv { endpoint, message, .. } => {
            Syscall::ReplyRecv { endpoint: s(endpoint), message: message.message() }
        }
        Op::DestroyThread { slot } => Syscall::ThreadDestroy { thread: s(slot) },
        Op::Yield => Syscall::Yield,
        Op::Exit => Syscall::Exit { status: 0 },
        Op::Malformed(malformed) => return malformed.raw(),
    };
    call.encode()
}

/// What `op` writes into the caller's IPC buffer before the call: (word index, value) pairs.
fn buffer_writes(op: &Op) -> Vec<(usize, u64)> {
    let (message, buffer) = match *op {
        Op::Send { message, buffer, .. }
        | Op::Reply { message, buffer }
        | Op::ReplyRecv { message, buffer, .. } => (Some(message), buffer),
        Op::Recv { buffer, .. } => (None, buffer),
        _ => return Vec::new(),
    };
    let mut writes = Vec::new();
    if let Some(message) = message {
        writes.extend((REGISTER_WORDS..usize::from(message.length)).map(|i| (i, message.word(i))));
    }
    for i in 0..3 {
        writes.push((IpcBuffer::SEND_CAPS + i, buffer.send_caps[i]));
        writes.push((IpcBuffer::RECEIVE_SLOTS + i, buffer.receive_slots[i]));
    }
    writes
}

// ---------------------------------------------------------------------------------------------
// The reference model
// ---------------------------------------------------------------------------------------------

/// A model object: threads and their capability spaces are numbered by thread, the others in
/// creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Obj {
    Thread(usize),
    CSpace(usize),
    Endpoint(usize),
    Memory(usize),
}

impl Obj {
    fn kind(self) -> ObjectKind {
        match self {
            Obj::Thread(_) => ObjectKind::Thread,
            Obj::CSpace(_) => ObjectKind::CSpace,
            Obj::Endpoint(_) => ObjectKind::Endpoint,
            Obj::Memory(_) => ObjectKind::Memory,
        }
    }
}

/// Names a capability for its whole life: an index into `Model::caps`, never reused.
type CapId = usize;

#[derive(Clone, Copy, Debug)]
struct Cap {
    object: Obj,
    rights: Rights,
    badge: u64,
    /// The capability it was derived from (copied, minted or transferred); `None` for an original.
    parent: Option<CapId>,
}

struct EndpointModel {
    /// The Memory object charged for it.
    memory: usize,
    alive: bool,
}

struct MemoryModel {
    budget: u64,
    /// The Memory object charged for it (`None` for boot memory).
    parent: Option<usize>,
    alive: bool,
}

/// A message waiting in its blocked sender, with what the sending capability allowed then.
#[derive(Clone, Copy, Debug)]
struct Pending {
    badge: u64,
    grant: bool,
    /// `Some(grant_reply)` for a call.
    call: Option<bool>,
    message: Message,
}

#[derive(Clone, Copy, Debug)]
enum Run {
    Ready,
    Running,
    /// Queued on an endpoint; `since` orders arrivals (first come, first served).
    Sending {
        endpoint: usize,
        pending: Pending,
        since: u64,
    },
    Receiving {
        endpoint: usize,
        since: u64,
    },
    AwaitingReply,
    Dead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ReplyRight {
    caller: usize,
    grant: bool,
}

/// How a completed system call ended, as the thread sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Only the status (and `val0`).
    Status(Result<u64, Error>),
    /// Success with every value slot.
    Values([u64; VALUE_SLOTS]),
}

struct ThreadModel {
    priority: u8,
    run: Run,
    reply_to: Option<ReplyRight>,
    /// The outcome of its last completed system call; `None` before its first.
    outcome: Option<Outcome>,
    buffer: [u64; IpcBuffer::WORDS],
}

struct Model {
    threads: Vec<ThreadModel>,
    /// Per thread, per slot: the capability there.
    slots: Vec<[Option<CapId>; CSPACE_SLOTS as usize]>,
    /// Every capability ever made; `None` once deleted.
    caps: Vec<Option<Cap>>,
    endpoints: Vec<EndpointModel>,
    memories: Vec<MemoryModel>,
    /// Increases with every thread that queues on an endpoint.
    arrivals: u64,
}

impl Model {
    /// Threads of these priorities, each with the capability to its own space in slot 0.
    fn new(priorities: &[u8]) -> Model {
        let mut model = Model {
            threads: Vec::new(),
            slots: Vec::new(),
            caps: Vec::new(),
            endpoints: Vec::new(),
            memories: Vec::new(),
            arrivals: 0,
        };
        for (t, &priority) in priorities.iter().enumerate() {
            model.threads.push(ThreadModel {
                priority,
                run: Run::Ready,
                reply_to: None,
                outcome: None,
                buffer: [0; IpcBuffer::WORDS],
            });
            model.slots.push([None; CSPACE_SLOTS as usize]);
            let own = Cap { object: Obj::CSpace(t), rights: OBJECT_RIGHTS, badge: 0, parent: None };
            model.place(t, BootInfo::CSPACE_SLOT, own);
        }
        model
    }

    // --- Slots and capabilities ---

    fn place(&mut self, thread: usize, slot: u64, cap: Cap) {
        let here = &mut self.slots[thread][slot as usize];
        assert!(here.is_none(), "model bug: placed a capability in an occupied slot");
        *here = Some(self.caps.len());
        self.caps.push(Some(cap));
    }

    fn cap_at(&self, thread: usize, slot: u64) -> Option<(CapId, Cap)> {
        let id = self.slots[thread][slot as usize]?;
        Some((id, self.caps[id].expect("slots hold live capabilities")))
    }

    fn live_caps(&self) -> impl Iterator<Item = (CapId, &Cap)> {
        self.caps.iter().enumerate().filter_map(|(id, cap)| Some((id, cap.as_ref()?)))
    }

    fn capability(&self, thread: usize, slot: u64) -> Result<(CapId, Cap), Error> {
        self.cap_at(thread, slot).ok_or(Error::EmptySlot)
    }

    fn check_empty(&self, thread: usize, slot: u64) -> Result<(), Error> {
        match self.slots[thread][slot as usize] {
            Some(_) => Err(Error::SlotOccupied),
            None => Ok(()),
        }
    }

    fn endpoint_cap(&self, thread: usize, slot: u64, needs: Rights) -> Result<(usize, Cap), Error> {
        let (_, cap) = self.capability(thread, slot)?;
        let Obj::Endpoint(endpoint) = cap.object else { return Err(Error::WrongType) };
        if !cap.rights.contains(needs) {
            return Err(Error::MissingRights);
        }
        Ok((endpoint, cap))
    }

    fn has_cap(&self, object: Obj) -> bool {
        self.live_caps().any(|(_, c)| c.object == object)
    }

    /// Every (endpoint, badge) pair some capability carries.
    fn endpoint_badges(&self) -> HashSet<(usize, u64)> {
        self.live_caps()
            .filter_map(|(_, c)| match c.object {
                Obj::Endpoint(e) => Some((e, c.badge)),
                _ => None,
            })
            .collect()
    }

    /// Every capability derived, directly or not, from `root`.
    fn descendants(&self, root: CapId) -> Vec<CapId> {
        let mut found = vec![root];
        let mut i = 0;
        while i < found.len() {
            let parent = found[i];
            found.extend(self.live_caps().filter(|(_, c)| c.parent == Some(parent)).map(|(id, _)| id));
            i += 1;
        }
        found.remove(0);
        found
    }

    /// Deletes capabilities one by one (each one's children become its parent's), then lets
    /// objects die and waiters wake. Deleting only ever removes capabilities, so whether a
    /// badge or an object lost its last capability does not depend on the order.
    fn delete_caps(&mut self, doomed: Vec<CapId>) {
        let badges_before = self.endpoint_badges();
        for id in doomed {
            let Some(gone) = self.caps[id].take() else { continue };
            for slot in self.slots.iter_mut().flatten().filter(|slot| **slot == Some(id)) {
                *slot = None;
            }
            for cap in self.caps.iter_mut().flatten() {
                if cap.parent == Some(id) {
                    cap.parent = gone.parent;
                }
            }
        }
        let badges_after = self.endpoint_badges();
        for e in 0..self.endpoints.len() {
            if self.endpoints[e].alive && !self.has_cap(Obj::Endpoint(e)) {
                // Its last capability is gone: it dies, everyone waiting on it wakes.
                self.endpoints[e].alive = false;
                for t in 0..self.threads.len() {
                    if matches!(self.threads[t].run,
                        Run::Sending { endpoint, .. } | Run::Receiving { endpoint, .. } if endpoint == e)
                    {
                        self.wake(t, Error::PeerGone);
                    }
                }
            }
        }
        for &(e, badge) in badges_before.difference(&badges_after) {
            if !self.endpoints[e].alive {
                continue;
            }
            // The last capability with this badge is gone: nobody waits to send with it.
            for t in 0..self.threads.len() {
                if matches!(self.threads[t].run,
                    Run::Sending { endpoint, pending, .. } if endpoint == e && pending.badge == badge)
                {
                    self.wake(t, Error::PeerGone);
                }
            }
        }
        self.reclaim_memories();
        self.free_unused_memory();
    }

    /// A Memory object with no capability left takes every object charged to it along:
    /// the capabilities to its endpoints and child Memory objects go, wherever they are (and
    /// a child is reclaimed in turn).
    fn reclaim_memories(&mut self) {
        loop {
            // The boot Memory object (no parent) is never reclaimed this way.
            let reclaimed = |m: usize| {
                self.memories[m].alive && self.memories[m].parent.is_some() && !self.has_cap(Obj::Memory(m))
            };
            let charged = |object: Obj| match object {
                Obj::Endpoint(e) => self.endpoints[e].alive && reclaimed(self.endpoints[e].memory),
                Obj::Memory(c) => self.memories[c].alive && self.memories[c].parent.is_some_and(reclaimed),
                _ => false,
            };
            let doomed: Vec<CapId> =
                self.live_caps().filter(|(_, c)| charged(c.object)).map(|(id, _)| id).collect();
            if doomed.is_empty() {
                return;
            }
            self.delete_caps(doomed);
        }
    }

    // --- Objects and accounting ---

    /// Live objects charged to Memory object `m`, with what each costs it.
    fn charges(&self, m: usize) -> Vec<u64> {
        let endpoints = self.endpoints.iter().filter(|e| e.alive && e.memory == m).map(|_| ENDPOINT_COST);
        let memories =
            self.memories.iter().filter(|c| c.alive && c.parent == Some(m)).map(|c| MEMORY_COST + c.budget);
        endpoints.chain(memories).collect()
    }

    fn used(&self, m: usize) -> u64 {
        self.charges(m).iter().sum()
    }

    /// A Memory object lives while a capability names it or a live object is charged to it.
    fn free_unused_memory(&mut self) {
        while let Some(m) = (0..self.memories.len())
            .find(|&m| self.memories[m].alive && !self.has_cap(Obj::Memory(m)) && self.charges(m).is_empty())
        {
            self.memories[m].alive = false;
        }
    }

    // --- Threads ---

    fn status(&mut self, thread: usize, result: Result<(), Error>) {
        self.threads[thread].outcome = Some(Outcome::Status(result.map(|()| 0)));
    }

    fn values(&mut self, thread: usize, values: [u64; VALUE_SLOTS]) {
        self.threads[thread].outcome = Some(Outcome::Values(values));
    }

    fn wake(&mut self, thread: usize, error: Error) {
        self.threads[thread].run = Run::Ready;
        self.status(thread, Err(error));
    }

    fn runnable(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.threads.len()).filter(|&t| matches!(self.threads[t].run, Run::Ready | Run::Running))
    }

    /// Who a sender (or receiver) arriving at `endpoint` meets: the waiting thread of highest
    /// priority, first come first served among equals.
    fn first_waiting(&self, endpoint: usize, senders: bool) -> Option<usize> {
        (0..self.threads.len())
            .filter_map(|t| match self.threads[t].run {
                Run::Sending { endpoint: e, since, .. } if senders && e == endpoint => Some((t, since)),
                Run::Receiving { endpoint: e, since } if !senders && e == endpoint => Some((t, since)),
                _ => None,
            })
            .min_by_key(|&(t, since)| (Reverse(self.threads[t].priority), since))
            .map(|(t, _)| t)
    }

    fn queue(&mut self, thread: usize, endpoint: usize, pending: Option<Pending>) {
        self.arrivals += 1;
        let since = self.arrivals;
        self.threads[thread].run = match pending {
            Some(pending) => Run::Sending { endpoint, pending, since },
            None => Run::Receiving { endpoint, since },
        };
    }

    // --- System calls ---

    fn apply(&mut self, t: usize, op: &Op) {
        let result = match *op {
            Op::CreateEndpoint { memory, dest } => self.create(t, memory, ObjectKind::Endpoint, dest, 0),
            Op::CreateMemory { memory, dest, budget } => {
                self.create(t, memory, ObjectKind::Memory, dest, budget)
            }
            Op::Copy { source, dest } => self.mint(t, source, dest, None, 0),
            Op::Mint { source, dest, rights, badge } => self.mint(t, source, dest, Some(rights), badge),
            Op::Move { source, dest } => self.move_cap(t, source, dest),
            Op::Delete { slot } => self.capability(t, slot).map(|(id, _)| self.delete_caps(vec![id])),
            Op::Revoke { slot } => self.capability(t, slot).map(|(id, cap)| {
                self.delete_caps(self.descendants(id));
                // A Memory object revoked takes back everything made from it.
                if let Obj::Memory(m) = cap.object {
                    let charged = |object: Obj| match object {
                        Obj::Endpoint(e) => self.endpoints[e].alive && self.endpoints[e].memory == m,
                        Obj::Memory(c) => self.memories[c].alive && self.memories[c].parent == Some(m),
                        _ => false,
                    };
                    let doomed =
                        self.live_caps().filter(|(_, c)| charged(c.object)).map(|(id, _)| id).collect();
                    self.delete_caps(doomed);
                }
            }),
            Op::Identify { slot } => self.capability(t, slot).map(|(_, cap)| {
                self.values(t, [cap.object.kind().into(), cap.rights.bits(), cap.badge, 0, 0, 0]);
            }),
            Op::MemoryInfo { slot } => self.memory_info(t, slot),
            Op::KernelStats => {
                let live_threads =
                    self.threads.iter().filter(|th| !matches!(th.run, Run::Dead)).count() as u64;
                let endpoints = self.endpoints.iter().filter(|e| e.alive).count() as u64;
                let memories = self.memories.iter().filter(|m| m.alive).count() as u64;
                let caps = self.live_caps().count() as u64;
                self.values(t, [live_threads, endpoints, memories, caps, live_threads, 0]);
                Ok(())
            }
            Op::Send { kind, endpoint, message, .. } => self.send(t, endpoint, message.message(), kind),
            Op::Recv { endpoint, blocking, .. } => self.recv(t, endpoint, blocking),
            Op::Reply { message, .. } => self.reply(t, message.message()),
            Op::ReplyRecv { endpoint, message, .. } => self.reply_recv(t, endpoint, message.message()),
            Op::Yield => {
                self.threads[t].run = Run::Ready;
                Ok(())
            }
            Op::Exit => {
                self.end_thread(t);
                return;
            }
            Op::DestroyThread { slot } => match self.capability(t, slot) {
                Ok((_, Cap { object: Obj::Thread(target), rights, .. }))
                    if rights.contains(Rights::WRITE) =>
                {
                    if target == t {
                        // Like `exit`: nobody is left to see a status.
                        self.end_thread(t);
                        return;
                    }
                    self.end_thread(target);
                    Ok(())
                }
                Ok((_, Cap { object: Obj::Thread(_), .. })) => Err(Error::MissingRights),
                Ok(_) => Err(Error::WrongType),
                Err(error) => Err(error),
            },
            Op::Malformed(malformed) => Err(malformed.error()),
        };
        // Calls that set their values or blocked have said all they say; the others report a status.
        let reports_status = match (op, result) {
            (_, Err(_)) => true,
            (Op::Identify { .. } | Op::MemoryInfo { .. } | Op::KernelStats, Ok(())) => false,
            (Op::Send { .. } | Op::Recv { .. } | Op::Reply { .. } | Op::ReplyRecv { .. }, Ok(())) => false,
            _ => true,
        };
        if reports_status {
            self.status(t, result);
        }
    }

    fn create(
        &mut self,
        t: usize,
        memory: u64,
        kind: ObjectKind,
        dest: u64,
        budget: u64,
    ) -> Result<(), Error> {
        let (_, cap) = self.capability(t, memory)?;
        let Obj::Memory(m) = cap.object else { return Err(Error::WrongType) };
        if !cap.rights.contains(Rights::WRITE) {
            return Err(Error::MissingRights);
        }
        self.check_empty(t, dest)?;
        let cost = match kind {
            ObjectKind::Endpoint => ENDPOINT_COST,
            ObjectKind::Memory => MEMORY_COST.checked_add(budget).ok_or(Error::OutOfMemory)?,
            ObjectKind::CSpace
            | ObjectKind::Thread
            | ObjectKind::Frame
            | ObjectKind::AddressSpace
            | ObjectKind::Notification
            | ObjectKind::IrqControl
            | ObjectKind::IrqHandler
            | ObjectKind::IoPort => {
                panic!("the model generates only Endpoint and Memory creation")
            }
        };
        if cost > self.memories[m].budget - self.used(m) {
            return Err(Error::OutOfMemory);
        }
        let object = if kind == ObjectKind::Memory {
            self.memories.push(MemoryModel { budget, parent: Some(m), alive: true });
            Obj::Memory(self.memories.len() - 1)
        } else {
            self.endpoints.push(EndpointModel { memory: m, alive: true });
            Obj::Endpoint(self.endpoints.len() - 1)
        };
        self.place(t, dest, Cap { object, rights: OBJECT_RIGHTS, badge: 0, parent: None });
        Ok(())
    }

    fn give_thread_cap(&mut self, t: usize, slot: u64, target: usize) {
        self.place(
            t,
            slot,
            Cap { object: Obj::Thread(target), rights: OBJECT_RIGHTS, badge: 0, parent: None },
        );
    }

    fn boot_memory(&mut self, t: usize, slot: u64, budget: u64) {
        self.memories.push(MemoryModel { budget, parent: None, alive: true });
        let object = Obj::Memory(self.memories.len() - 1);
        self.place(t, slot, Cap { object, rights: OBJECT_RIGHTS, badge: 0, parent: None });
    }

    fn mint(
        &mut self,
        t: usize,
        source: u64,
        dest: u64,
        rights: Option<Rights>,
        badge: u64,
    ) -> Result<(), Error> {
        self.mint_into(t, source, t, dest, rights, badge)
    }

    /// `mint` into another thread's slot (only the test's setup does that).
    fn mint_into(
        &mut self,
        t: usize,
        source: u64,
        to: usize,
        dest: u64,
        rights: Option<Rights>,
        badge: u64,
    ) -> Result<(), Error> {
        let (id, cap) = self.capability(t, source)?;
        self.check_empty(to, dest)?;
        let rights = rights.unwrap_or(cap.rights);
        if !cap.rights.contains(rights) {
            return Err(Error::MissingRights);
        }
        let badge = match (badge, cap.object) {
            (0, _) => cap.badge,
            (badge, Obj::Endpoint(_)) if cap.badge == 0 => badge,
            _ => return Err(Error::InvalidArgument),
        };
        self.place(to, dest, Cap { rights, badge, parent: Some(id), ..cap });
        Ok(())
    }

    fn move_cap(&mut self, t: usize, source: u64, dest: u64) -> Result<(), Error> {
        let (id, _) = self.capability(t, source)?;
        self.check_empty(t, dest)?;
        // The capability keeps its identity, hence its parent and children.
        self.slots[t][source as usize] = None;
        self.slots[t][dest as usize] = Some(id);
        Ok(())
    }

    fn memory_info(&mut self, t: usize, slot: u64) -> Result<(), Error> {
        let (_, cap) = self.capability(t, slot)?;
        let Obj::Memory(m) = cap.object else { return Err(Error::WrongType) };
        if !cap.rights.contains(Rights::READ) {
            return Err(Error::MissingRights);
        }
        self.values(t, [self.memories[m].budget, self.used(m), 0, 0, 0, 0]);
        Ok(())
    }

    /// Capabilities in a message need Grant, and each named slot must hold one.
    fn check_caps_to_send(&self, t: usize, info: MessageInfo, grant: bool) -> Result<(), Error> {
        if info.caps == 0 {
            return Ok(());
        }
        if !grant {
            return Err(Error::GrantRequired);
        }
        for i in 0..usize::from(info.caps) {
            let slot = self.threads[t].buffer[IpcBuffer::SEND_CAPS + i];
            if slot >= CSPACE_SLOTS {
                return Err(Error::InvalidSlot);
            }
            self.capability(t, slot)?;
        }
        Ok(())
    }

    fn send(&mut self, t: usize, slot: u64, message: Message, kind: SendKind) -> Result<(), Error> {
        let (endpoint, cap) = self.endpoint_cap(t, slot, Rights::WRITE)?;
        let pending = Pending {
            badge: cap.badge,
            grant: cap.rights.contains(Rights::GRANT),
            call: (kind == SendKind::Call).then_some(cap.rights.contains(Rights::GRANT_REPLY)),
            message,
        };
        self.check_caps_to_send(t, message.info, pending.grant)?;
        match self.first_waiting(endpoint, false) {
            None if kind == SendKind::NonBlocking => return Err(Error::WouldBlock),
            None => self.queue(t, endpoint, Some(pending)),
            Some(receiver) => {
                self.rendezvous(t, receiver, pending);
                self.threads[receiver].run = Run::Ready;
            }
        }
        Ok(())
    }

    fn recv(&mut self, t: usize, slot: u64, blocking: bool) -> Result<(), Error> {
        let (endpoint, _) = self.endpoint_cap(t, slot, Rights::READ)?;
        let sender = self.first_waiting(endpoint, true);
        if sender.is_none() && !blocking {
            return Err(Error::WouldBlock);
        }
        // Receiving again abandons any call this thread has not answered.
        self.drop_reply_right(t);
        match sender {
            Some(sender) => {
                let Run::Sending { pending, .. } = self.threads[sender].run else { unreachable!() };
                self.rendezvous(sender, t, pending);
            }
            None => self.queue(t, endpoint, None),
        }
        Ok(())
    }

    /// `pending` goes from `sender` to `receiver`: a plain send completes, a call waits for
    /// the reply and the receiver gets the right to give it.
    fn rendezvous(&mut self, sender: usize, receiver: usize, pending: Pending) {
        self.deliver(sender, receiver, pending.badge, pending.message);
        match pending.call {
            Some(grant) => {
                self.threads[receiver].reply_to = Some(ReplyRight { caller: sender, grant });
                self.threads[sender].run = Run::AwaitingReply;
            }
            None => {
                // A queued sender wakes; one that found its receiver waiting runs on.
                if let Run::Sending { .. } = self.threads[sender].run {
                    self.threads[sender].run = Run::Ready;
                }
                self.status(sender, Ok(()));
            }
        }
    }

    fn drop_reply_right(&mut self, t: usize) {
        if let Some(right) = self.threads[t].reply_to.take() {
            if matches!(self.threads[right.caller].run, Run::AwaitingReply) {
                self.wake(right.caller, Error::PeerGone);
            }
        }
    }

    fn reply(&mut self, t: usize, message: Message) -> Result<(), Error> {
        let right = self.threads[t].reply_to.ok_or(Error::NoReply)?;
        self.check_caps_to_send(t, message.info, right.grant)?;
        self.answer(t, right, message)
    }

    fn reply_recv(&mut self, t: usize, slot: u64, message: Message) -> Result<(), Error> {
        self.endpoint_cap(t, slot, Rights::READ)?;
        let right = self.threads[t].reply_to.ok_or(Error::NoReply)?;
        self.check_caps_to_send(t, message.info, right.grant)?;
        self.answer(t, right, message)?;
        self.recv(t, slot, true)
    }

    /// Uses up the reply right; the answer reaches the caller if it still waits for it.
    fn answer(&mut self, t: usize, right: ReplyRight, message: Message) -> Result<(), Error> {
        self.threads[t].reply_to = None;
        if !matches!(self.threads[right.caller].run, Run::AwaitingReply) {
            return Err(Error::PeerGone);
        }
        self.deliver(t, right.caller, 0, message);
        self.threads[right.caller].run = Run::Ready;
        self.status(t, Ok(()));
        Ok(())
    }

    /// Copies a message into `to`: words past the registers buffer to buffer, capabilities
    /// (children of the sender's) until one cannot land, and the values with the count that did.
    fn deliver(&mut self, from: usize, to: usize, badge: u64, message: Message) {
        let length = usize::from(message.info.length);
        if length > REGISTER_WORDS {
            let words = self.threads[from].buffer;
            self.threads[to].buffer[REGISTER_WORDS..length].copy_from_slice(&words[REGISTER_WORDS..length]);
        }
        let mut arrived = 0;
        for i in 0..usize::from(message.info.caps) {
            let source = self.threads[from].buffer[IpcBuffer::SEND_CAPS + i];
            let dest = self.threads[to].buffer[IpcBuffer::RECEIVE_SLOTS + i];
            if source >= CSPACE_SLOTS || dest >= CSPACE_SLOTS {
                break;
            }
            // The sender's slot may have been emptied while it waited.
            let Some((id, cap)) = self.cap_at(from, source) else { break };
            if self.slots[to][dest as usize].is_some() {
                break;
            }
            self.place(to, dest, Cap { parent: Some(id), ..cap });
            arrived += 1;
        }
        let info = MessageInfo { caps: arrived, ..message.info };
        self.values(to, Message { info, words: message.words }.values(badge));
    }

    /// Thread `t` exits or is destroyed, whatever it was doing: it leaves any queue (queues
    /// are just thread states here), the caller it owed an answer wakes, and its capabilities
    /// go, with every capability anywhere to it or to its capability space.
    fn end_thread(&mut self, t: usize) {
        self.drop_reply_right(t);
        self.threads[t].run = Run::Dead;
        let mut doomed: Vec<CapId> = self.slots[t].iter().flatten().copied().collect();
        let names_it = |c: &Cap| c.object == Obj::CSpace(t) || c.object == Obj::Thread(t);
        doomed.extend(self.live_caps().filter(|(_, c)| names_it(c)).map(|(id, _)| id));
        self.delete_caps(doomed);
    }
}

// ---------------------------------------------------------------------------------------------
// Kernel and model side by side
// ---------------------------------------------------------------------------------------------

struct World {
    kernel: Box<Kernel>,
    mock: Mock,
    /// Kernel thread ids, in model thread order.
    ids: Vec<ThreadId>,
    model: Model,
    /// The one-to-one matching of model objects and kernel objects seen so far.
    to_kernel: HashMap<Obj, Object>,
    to_model: HashMap<Object, Obj>,
}

fn slot(n: u64) -> Slot {
    Slot::new(n).expect("a valid slot number")
}

impl World {
    /// Threads of the given priorities; thread 0 holds the boot Memory object and two
    /// endpoints, every other thread a copy of each (of the second one badged with its index,
    /// see `BADGED_SLOT`); each thread holds a Thread capability to the next one.
    fn new(priorities: &[u8]) -> World {
        let mut kernel = Box::new(Kernel::new());
        let ids: Vec<ThreadId> = priorities
            .iter()
            .enumerate()
            .map(|(t, &priority)| kernel.spawn(&format!("t{t}"), priority).expect("room for the threads"))
            .collect();
        let mut model = Model::new(priorities);
        let at = |kernel: &Kernel, t: usize, n: u64| kernel.slot_of(ids[t], slot(n)).expect("a live thread");

        let mut mock = Mock::default();
        kernel.boot_memory(at(&kernel, 0, MEMORY_SLOT), BOOT_BUDGET).expect("boot memory");
        model.boot_memory(0, MEMORY_SLOT, BOOT_BUDGET);
        for n in [SHARED_SLOT, BADGED_SLOT] {
            kernel
                .create(&mut mock, at(&kernel, 0, MEMORY_SLOT), ObjectKind::Endpoint, at(&kernel, 0, n), 0)
                .expect("endpoint");
            model.create(0, MEMORY_SLOT, ObjectKind::Endpoint, n, 0).expect("endpoint");
        }
        for t in 1..ids.len() {
            let badged_rights = match t % 2 {
                1 => OBJECT_RIGHTS - Rights::GRANT,
                _ => OBJECT_RIGHTS - Rights::GRANT_REPLY,
            };
            let copies = [
                (MEMORY_SLOT, None, 0),
                (SHARED_SLOT, None, 0),
                (BADGED_SLOT, Some(badged_rights), t as u64),
            ];
            for (n, rights, badge) in copies {
                kernel.mint(at(&kernel, 0, n), at(&kernel, t, n), rights, badge).expect("copy");
                model.mint_into(0, n, t, n, rights, badge).expect("copy");
            }
        }
        for t in 0..ids.len() {
            let target = (t + 1) % ids.len();
            kernel.give_thread_cap(ids[target], at(&kernel, t, THREAD_SLOT)).expect("thread capability");
            model.give_thread_cap(t, THREAD_SLOT, target);
        }
        let mut world =
            World { kernel, mock, ids, model, to_kernel: HashMap::new(), to_model: HashMap::new() };
        for t in 0..world.ids.len() {
            let cspace = world.kernel.thread(world.ids[t]).and_then(|t| t.cspace).expect("a live thread");
            let pairs =
                [(Obj::CSpace(t), Object::CSpace(cspace)), (Obj::Thread(t), Object::Thread(world.ids[t]))];
            for (model, kernel) in pairs {
                world.to_kernel.insert(model, kernel);
                world.to_model.insert(kernel, model);
            }
        }
        world
    }

    /// Lets the kernel choose who runs, and checks the model agrees that thread may run.
    /// `None` when nobody can run any more.
    fn schedule(&mut self) -> Result<Option<usize>, String> {
        let chosen = self.kernel.schedule();
        let runnable: Vec<usize> = self.model.runnable().collect();
        let Some(id) = chosen else {
            return match runnable.is_empty() {
                true => Ok(None),
                false => Err(format!("the kernel idles while threads {runnable:?} can run")),
            };
        };
        let t = self.ids.iter().position(|&i| i == id).ok_or("the kernel runs a thread it never had")?;
        if !runnable.contains(&t) {
            return Err(format!("the kernel runs thread {t}, which is {:?}", self.model.threads[t].run));
        }
        let top = runnable.iter().map(|&r| self.model.threads[r].priority).max();
        if Some(self.model.threads[t].priority) != top {
            return Err(format!("the kernel runs thread {t} while a more urgent one can run"));
        }
        for r in runnable {
            self.model.threads[r].run = if r == t { Run::Running } else { Run::Ready };
        }
        Ok(Some(t))
    }

    /// Thread `t` (the current one) makes the system call `op`, in the kernel and in the model.
    fn step(&mut self, t: usize, op: &Op) {
        for (index, value) in buffer_writes(op) {
            self.mock.buffer(self.ids[t])[index] = value;
            self.model.threads[t].buffer[index] = value;
        }
        let (number, args) = encode(op);
        self.mock.raw(&mut self.kernel, number, args);
        self.model.apply(t, op);
    }

    /// The slot `pick` names for thread `t` now. The model's slots are the kernel's (compared
    /// after every step), so looking at the model here predicts nothing.
    fn resolve(&self, t: usize, pick: Pick) -> u64 {
        let fits = |n: u64| {
            let cap = self.model.cap_at(t, n).map(|(_, cap)| cap);
            match pick {
                Pick::Full(_) => cap.is_some(),
                Pick::Empty(_) => cap.is_none(),
                Pick::Holding(kind, _) => cap.is_some_and(|c| c.object.kind() == kind),
                Pick::Number(_) => false,
            }
        };
        let n = match pick {
            Pick::Full(n) | Pick::Empty(n) | Pick::Holding(_, n) => u64::from(n),
            Pick::Number(number) => return number,
        };
        let candidates: Vec<u64> = (0..USED_SLOTS).filter(|&slot| fits(slot)).collect();
        match candidates.len() {
            0 => n % USED_SLOTS,
            count => candidates[n as usize % count],
        }
    }

    /// Records that `model` is `kernel`, or checks it against what was recorded before.
    fn matches(&mut self, model: Obj, kernel: Object) -> Result<(), String> {
        if model.kind() != kernel.kind() {
            return Err(format!("{kernel:?} where the model has {model:?}"));
        }
        // The two maps are always each other's inverse, so one lookup settles the usual case.
        match self.to_model.get(&kernel) {
            Some(&known) if known == model => Ok(()),
            None if !self.to_kernel.contains_key(&model) => {
                self.to_kernel.insert(model, kernel);
                self.to_model.insert(kernel, model);
                Ok(())
            }
            _ => Err(format!(
                "{kernel:?} where the model has {model:?}, matched to {:?}",
                self.to_kernel.get(&model)
            )),
        }
    }

    /// Compares everything the kernel shows with the model.
    fn compare(&mut self) -> Result<(), String> {
        self.kernel.check_invariants().map_err(|e| format!("invariant broken: {e}"))?;
        for t in 0..self.model.threads.len() {
            self.compare_thread(t).map_err(|e| format!("thread {t}: {e}"))?;
        }
        self.compare_objects()
    }

    fn compare_thread(&mut self, t: usize) -> Result<(), String> {
        let id = self.ids[t];
        let model = &self.model.threads[t];
        let Some(kernel) = self.kernel.thread(id) else {
            return match model.run {
                Run::Dead => Ok(()),
                run => Err(format!("gone from the kernel, {run:?} in the model")),
            };
        };
        let endpoint_is = |e: usize, id| self.to_kernel.get(&Obj::Endpoint(e)) == Some(&Object::Endpoint(id));
        let same_state = match (model.run, kernel.state) {
            (Run::Ready, ThreadState::Ready)
            | (Run::Running, ThreadState::Running)
            | (Run::AwaitingReply, ThreadState::AwaitingReply) => true,
            // A thread woken while the CPU is free (on the fastpath, or by `make_ready`) may
            // be put on it at once; the next `schedule` checks that the model agrees it may run.
            (Run::Ready, ThreadState::Running) => self.kernel.current() == Some(id),
            (Run::Sending { endpoint, .. }, ThreadState::Sending { endpoint: id, .. }) => {
                endpoint_is(endpoint, id)
            }
            (Run::Receiving { endpoint, .. }, ThreadState::Receiving { endpoint: id }) => {
                endpoint_is(endpoint, id)
            }
            _ => false,
        };
        if !same_state {
            return Err(format!("kernel state {:?}, model {:?}", kernel.state, model.run));
        }
        let kernel_right = kernel.reply_to.map(|r| (r.caller, r.grant));
        let model_right = model.reply_to.map(|r| (self.ids[r.caller], r.grant));
        if kernel_right != model_right {
            return Err(format!("holds reply right {kernel_right:?}, the model says {model_right:?}"));
        }
        // A blocked thread's call has not completed: what the mock holds for it is stale.
        if matches!(model.run, Run::Ready | Run::Running) {
            let status = self.mock.results.get(&id.index()).copied();
            let values = self.mock.values.get(&id.index()).copied();
            let agrees = match model.outcome {
                None => status.is_none(),
                Some(Outcome::Status(expected)) => status == Some(expected),
                Some(Outcome::Values(expected)) => {
                    status == Some(Ok(expected[0])) && values == Some(expected)
                }
            };
            if !agrees {
                return Err(format!(
                    "last call returned {status:?} (values {values:?}), the model expects {:?}",
                    model.outcome
                ));
            }
        }
        let buffer = self.mock.ipc.get(&id.index()).copied().unwrap_or([0; IpcBuffer::WORDS]);
        if buffer != model.buffer {
            return Err(format!("IPC buffer {buffer:?}, the model expects {:?}", model.buffer));
        }
        let cspace = kernel.cspace.ok_or("a live thread has no capability space")?;
        for n in 0..USED_SLOTS {
            let in_kernel = self.kernel.caps.get(SlotRef { cspace, slot: slot(n) }).ok();
            match (in_kernel, self.model.cap_at(t, n)) {
                (None, None) => {}
                (Some(k), Some((_, m))) => {
                    self.matches(m.object, k.object).map_err(|e| format!("slot {n}: {e}"))?;
                    if (k.rights, k.badge) != (m.rights, m.badge) {
                        return Err(format!("slot {n} holds {k:?}, the model has {m:?}"));
                    }
                }
                (k, m) => return Err(format!("slot {n} holds {k:?}, the model has {m:?}")),
            }
        }
        Ok(())
    }

    fn compare_objects(&self) -> Result<(), String> {
        let model = &self.model;
        for (e, endpoint) in model.endpoints.iter().enumerate() {
            let alive = match self.to_kernel.get(&Obj::Endpoint(e)) {
                Some(&Object::Endpoint(id)) => self.kernel.endpoints.get(id).is_some(),
                _ => return Err(format!("endpoint {e} was never seen in a slot")),
            };
            if alive != endpoint.alive {
                return Err(format!(
                    "endpoint {e}: alive {alive} in the kernel, {} in the model",
                    endpoint.alive
                ));
            }
        }
        for (m, memory) in model.memories.iter().enumerate() {
            let in_kernel = match self.to_kernel.get(&Obj::Memory(m)) {
                Some(&Object::Memory(id)) => self.kernel.memories.get(id).map(|k| (k.budget, k.used)),
                _ => return Err(format!("Memory {m} was never seen in a slot")),
            };
            let in_model = memory.alive.then(|| (memory.budget, model.used(m)));
            if in_kernel != in_model {
                return Err(format!(
                    "Memory {m}: (budget, used) {in_kernel:?} in the kernel, {in_model:?} in the model"
                ));
            }
        }
        let live_threads = model.threads.iter().filter(|t| !matches!(t.run, Run::Dead)).count() as u64;
        let expected = crate::Stats {
            threads: live_threads,
            endpoints: model.endpoints.iter().filter(|e| e.alive).count() as u64,
            memories: model.memories.iter().filter(|m| m.alive).count() as u64,
            capabilities: model.live_caps().count() as u64,
            cspaces: live_threads,
            frames: 0,
            spaces: 0,
            notifications: 0,
        };
        let stats = self.kernel.stats();
        if stats != expected {
            return Err(format!("kernel stats {stats:?}, the model expects {expected:?}"));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Generators and the test
// ---------------------------------------------------------------------------------------------

// Picks come from a plain (choice, number) pair rather than nested unions: the unoptimized
// test profile spends much of its time building and copying union value trees.

/// `wanted(n)` eight times out of `9 + others.len()`; otherwise each of `others`, or any slot
/// whatever it holds, equally often.
fn pick(wanted: fn(u8) -> Pick, others: &'static [fn(u8) -> Pick]) -> impl Strategy<Value = Pick> {
    let choices = 8 + others.len() as u8 + 1;
    (0..choices, any::<u8>()).prop_map(move |(choice, n)| match choice {
        0..=7 => wanted(n),
        c if usize::from(c - 8) < others.len() => others[usize::from(c - 8)](n),
        _ => Pick::Number(u64::from(n) % USED_SLOTS),
    })
}

/// A slot that should hold a capability.
fn full() -> impl Strategy<Value = Pick> {
    pick(Pick::Full, &[])
}

/// A slot that should be empty.
fn empty() -> impl Strategy<Value = Pick> {
    pick(Pick::Empty, &[])
}

/// Slots that should hold a capability to a Memory object, an endpoint or a thread; now and
/// then any full slot (wrong type) or any slot.
fn memory() -> impl Strategy<Value = Pick> {
    pick(|n| Pick::Holding(ObjectKind::Memory, n), &[Pick::Full])
}

fn endpoint() -> impl Strategy<Value = Pick> {
    pick(|n| Pick::Holding(ObjectKind::Endpoint, n), &[Pick::Full])
}

fn thread() -> impl Strategy<Value = Pick> {
    pick(|n| Pick::Holding(ObjectKind::Thread, n), &[Pick::Full])
}

fn out_of_range(_: u8) -> Pick {
    Pick::Number(BAD_SLOT)
}

/// Capabilities to send from full slots, to land in empty ones; now and then a slot number out
/// of range, or a receive slot that is already taken.
fn buffer() -> impl Strategy<Value = Buffer<Pick>> {
    let send = || pick(Pick::Full, &[out_of_range]);
    let receive = || pick(Pick::Empty, &[Pick::Full, out_of_range]);
    let (sends, receives) = (proptest::array::uniform3(send()), proptest::array::uniform3(receive()));
    (sends, receives).prop_map(|(send_caps, receive_slots)| Buffer { send_caps, receive_slots })
}

fn msg() -> impl Strategy<Value = Msg> {
    let caps = prop_oneof![5 => Just(0u8), 2 => 1..=3u8];
    (0..1000u64, 0..=6u8, caps).prop_map(|(label, length, caps)| Msg { label, length, caps })
}

fn rights() -> impl Strategy<Value = Rights> {
    (0..16u64).prop_map(Rights::from_bits_truncate)
}

/// Badges 1..=3 are also the initial badges, so minted ones share them.
fn badge() -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(0u64), 2 => 1..=3u64]
}

fn budget() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(ENDPOINT_COST),
        Just(3 * ENDPOINT_COST),
        Just(2 * BOOT_BUDGET),
        Just(u64::MAX - 8)
    ]
}

fn cap_op() -> impl Strategy<Value = Op<Pick>> {
    prop_oneof![
        2 => (memory(), empty()).prop_map(|(memory, dest)| Op::CreateEndpoint { memory, dest }),
        1 => (memory(), empty(), budget()).prop_map(|(memory, dest, budget)| Op::CreateMemory { memory, dest, budget }),
        3 => (full(), empty()).prop_map(|(source, dest)| Op::Copy { source, dest }),
        3 => (full(), empty(), rights(), badge())
            .prop_map(|(source, dest, rights, badge)| Op::Mint { source, dest, rights, badge }),
        1 => (full(), empty()).prop_map(|(source, dest)| Op::Move { source, dest }),
        3 => full().prop_map(|slot| Op::Delete { slot }),
        3 => full().prop_map(|slot| Op::Revoke { slot }),
        1 => full().prop_map(|slot| Op::Identify { slot }),
        1 => memory().prop_map(|slot| Op::MemoryInfo { slot }),
    ]
}

fn ipc_op() -> impl Strategy<Value = Op<Pick>> {
    let kind =
        prop_oneof![2 => Just(SendKind::Send), 1 => Just(SendKind::NonBlocking), 3 => Just(SendKind::Call)];
    prop_oneof![
        5 => (kind, endpoint(), msg(), buffer())
            .prop_map(|(kind, endpoint, message, buffer)| Op::Send { kind, endpoint, message, buffer }),
        4 => (endpoint(), prop::bool::weighted(0.75), buffer())
            .prop_map(|(endpoint, blocking, buffer)| Op::Recv { endpoint, blocking, buffer }),
        4 => (msg(), buffer()).prop_map(|(message, buffer)| Op::Reply { message, buffer }),
        4 => (endpoint(), msg(), buffer())
            .prop_map(|(endpoint, message, buffer)| Op::ReplyRecv { endpoint, message, buffer }),
    ]
}

fn other_op() -> impl Strategy<Value = Op<Pick>> {
    let malformed = prop_oneof![
        Just(Malformed::SlotOutOfRange),
        Just(Malformed::UnknownNumber),
        Just(Malformed::BudgetForEndpoint),
        Just(Malformed::UnknownRights),
        Just(Malformed::MessageTooLong),
    ];
    prop_oneof![
        3 => Just(Op::Yield),
        1 => Just(Op::Exit),
        1 => Just(Op::KernelStats),
        1 => thread().prop_map(|slot| Op::DestroyThread { slot }),
        1 => malformed.prop_map(Op::Malformed),
    ]
}

fn op() -> impl Strategy<Value = Op<Pick>> {
    // Boxed: nested unions otherwise make value trees of kilobytes, which the unoptimized
    // test profile spends much of its time copying.
    prop_oneof![10 => cap_op().boxed(), 12 => ipc_op().boxed(), 2 => other_op().boxed()]
}

/// Runs `ops` on a fresh kernel and model; stops early when no thread can run any more.
fn run(priorities: &[u8], ops: &[Op<Pick>]) -> Result<(), TestCaseError> {
    let mut world = World::new(priorities);
    world.compare().map_err(|e| TestCaseError::fail(format!("after setup: {e}")))?;
    for (step, op) in ops.iter().enumerate() {
        let scheduled =
            world.schedule().map_err(|e| TestCaseError::fail(format!("before step {step}: {e}")))?;
        let Some(t) = scheduled else { break };
        let call = op.map(|pick| world.resolve(t, pick));
        world.step(t, &call);
        world
            .compare()
            .map_err(|e| TestCaseError::fail(format!("step {step}, thread {t} made {call:?}: {e}")))?;
    }
    Ok(())
}

proptest! {
    // XorShift rather than the default ChaCha: in the unoptimized test profile, seeding ChaCha
    // for every case costs a fifth of the run.
    #![proptest_config(ProptestConfig {
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::with_cases(10_000)
    })]

    /// The kernel and the reference model agree on every step of random system-call sequences
    /// by three or four threads of a few priorities.
    #[test]
    fn model_matches_reference(priorities in vec(1u8..=3, 3..=4), ops in vec(op(), 5..=25)) {
        run(&priorities, &ops)?;
    }
}
