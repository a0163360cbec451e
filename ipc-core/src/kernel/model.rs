//! Model-based test of the kernel core: random system-call sequences by a few threads, each
//! step checked against a small reference model of the intended semantics (DESIGN.md §3–4).
//!
//! The model is deliberately naive and shares nothing with the kernel's data structures:
//! per-space slot tables, capabilities with explicit parent pointers (deleting one hands its
//! children to its parent; revoke deletes the transitive closure), objects that live while
//! their lifetime rule says so, each rule checked from scratch over every object after every
//! change (Memory use is recomputed from the live objects every time), and wait queues as
//! "the waiting thread of highest priority that came first". It covers capability copy,
//! mint, move, delete, revoke and identify, within a space and into another through a CSpace
//! capability; the creation of endpoints, Memory objects, threads, capability spaces, Frames
//! and address spaces, with budgets, charges and refunds; send, nb_send, call, recv,
//! nb_recv, reply and reply_recv with badges, long messages, capability transfer, Grant and
//! GrantReply; one-shot reply rights; `PeerGone` on endpoint death, on the loss of the last
//! capability with a sender's badge, on an abandoned reply right, on exit and on
//! `thread_destroy` (of a running, queued or calling thread); `thread_configure`,
//! `thread_start`, `thread_suspend` (of a ready, running, queued or calling thread:
//! `Cancelled`) and `thread_resume`; `thread_set_fault_handler` and CPU faults (the fault
//! message goes to the handler's endpoint as a call, the reply resumes the thread untouched,
//! a thread with no handler or whose handler goes away ends); the lives of threads (a thread
//! nothing can start ends with its last capability), capability spaces (with their last
//! thread, or when only their own slots name them), address spaces and Frames (while named
//! or used); the reclamation of everything a Memory object paid for, cycles included, when
//! its last capability goes or it is revoked; wrong types, missing rights, empty and
//! occupied slots, bad states; and malformed system calls.
//!
//! Ops name slots by what they should hold ([`Pick`]), resolved against the caller's slots when
//! the op runs, so that most calls get past their checks and reach the interesting paths. A
//! few generated runs of ops make and start a whole thread (see `ops::thread_script`).
//!
//! After every step the test compares, for every thread: its state (inactive, ready, running,
//! queued on which endpoint, awaiting a reply, gone), whether it started, is suspended or is
//! stopped on a fault, its priority, fault-handler slot, the capability space, address space
//! and IPC buffer it uses, and the reply right it holds; the status and values of every
//! system call that has completed; its IPC buffer. For every capability space: whether it
//! lives, and its slots `0..USED_SLOTS` (object, kind, rights, badge). It also compares which
//! objects are alive, every Memory object's budget and use, and `kernel_stats`, and runs
//! `check_invariants`. Model objects are matched to kernel objects the first time a slot shows
//! them, and that matching must stay one-to-one. Scheduling is checked loosely: the thread the
//! kernel runs must be runnable in the model and of the highest runnable priority (the order
//! among equals is the scheduler's business).

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestCaseError};

use super::Kernel;
use crate::abi::{
    BootInfo, Error, IpcBuffer, Message, MessageInfo, ObjectKind, Rights, SendKind, Slot, CSPACE_COST,
    CSPACE_SLOTS, ENDPOINT_COST, FRAME_COST, MEMORY_COST, PAGE_TABLE_COST, REGISTER_WORDS, THREAD_COST,
    VALUE_SLOTS,
};
use crate::cspace::{Object, SlotRef};
use crate::fault::Fault;
use crate::mock::Mock;
use crate::thread::{ThreadId, ThreadState};

mod ops;

use ops::{buffer_writes, encode, ops, Op, Pick};

/// Ops name only slots `0..USED_SLOTS`, so that they hit each other's capabilities often; no
/// capability ever lands anywhere else, which is why comparing these slots (and the total
/// count) is comparing whole capability spaces.
const USED_SLOTS: u64 = 12;
/// A raw slot number outside every capability space.
const BAD_SLOT: u64 = CSPACE_SLOTS + 72;
/// Every thread starts with the boot Memory object here (thread 0 the original, the others copies).
const MEMORY_SLOT: u64 = BootInfo::MEMORY_SLOT;
/// Every thread starts with an unbadged endpoint here (thread 0 the original, the others
/// copies). Even-numbered threads have it as their fault handler.
const SHARED_SLOT: u64 = 2;
/// Thread 0 starts with the original of a second endpoint here; thread `i` with a copy badged
/// `i` that lacks Grant (odd `i`) or GrantReply (even `i`), so that both are missed sometimes.
const BADGED_SLOT: u64 = 3;
/// Thread `i` starts with a Thread capability to thread `i + 1` (the last to thread 0) here.
const THREAD_SLOT: u64 = 4;
/// What a thread costs with what it needs to run: its capability space, address space and
/// IPC buffer.
const THREAD_SET_COST: u64 = THREAD_COST + CSPACE_COST + PAGE_TABLE_COST + FRAME_COST;
/// The boot Memory budget: room for two threads and a handful of endpoints, so that
/// `OutOfMemory` happens.
const BOOT_BUDGET: u64 = 2 * THREAD_SET_COST + 12 * ENDPOINT_COST;
/// Where `thread_start` starts threads.
const ENTRY: (u64, u64) = (0x40_1000, 0x7fff_0000);

// ---------------------------------------------------------------------------------------------
// The reference model
// ---------------------------------------------------------------------------------------------

/// A model object: threads and capability spaces are numbered by creation (boot thread `t`
/// uses capability space `t`), the others too, each kind on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Obj {
    Thread(usize),
    CSpace(usize),
    Endpoint(usize),
    Memory(usize),
    Frame(usize),
    AddressSpace(usize),
}

impl Obj {
    fn kind(self) -> ObjectKind {
        match self {
            Obj::Thread(_) => ObjectKind::Thread,
            Obj::CSpace(_) => ObjectKind::CSpace,
            Obj::Endpoint(_) => ObjectKind::Endpoint,
            Obj::Memory(_) => ObjectKind::Memory,
            Obj::Frame(_) => ObjectKind::Frame,
            Obj::AddressSpace(_) => ObjectKind::AddressSpace,
        }
    }
}

/// Names a capability for its whole life: an index into `Model::caps`, never reused.
type CapId = usize;

/// A slot: (capability space, slot number).
type At = (usize, u64);

#[derive(Clone, Copy, Debug)]
struct Cap {
    object: Obj,
    rights: Rights,
    badge: u64,
    /// The capability it was derived from (copied, minted or transferred); `None` for an original.
    parent: Option<CapId>,
}

/// An endpoint, Frame or address space: who paid for it, and whether it lives.
struct Charged {
    memory: usize,
    alive: bool,
}

struct MemoryModel {
    budget: u64,
    /// The Memory object charged for it (`None` for boot memory).
    parent: Option<usize>,
    alive: bool,
}

struct CSpaceModel {
    /// The Memory object charged for it (`None` for a boot thread's).
    memory: Option<usize>,
    alive: bool,
    /// The capability in each slot ops name (no capability lands elsewhere); all empty once
    /// the space is gone.
    slots: [Option<CapId>; USED_SLOTS as usize],
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
    /// Not started, or suspended.
    Inactive,
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
    /// `None` once the caller was suspended: the right then answers no one.
    caller: Option<usize>,
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
    /// Who pays for it (`None` for a boot thread).
    memory: Option<usize>,
    /// What `thread_configure` gave it (a boot thread has only its capability space). The
    /// capability space may be gone, reclaimed with the Memory object that paid for it.
    cspace: Option<usize>,
    space: Option<usize>,
    ipc_buffer: Option<usize>,
    started: bool,
    suspended: bool,
    fault_handler: Option<u64>,
    /// Stopped on a fault: sending it to the handler, or awaiting the handler's answer.
    faulted: bool,
    /// Stopped on a fault whose handler went away: it ends ([`Model::settle`]).
    orphaned: bool,
}

impl ThreadModel {
    fn new(priority: u8, memory: Option<usize>) -> ThreadModel {
        ThreadModel {
            priority,
            run: Run::Inactive,
            reply_to: None,
            outcome: None,
            buffer: [0; IpcBuffer::WORDS],
            memory,
            cspace: None,
            space: None,
            ipc_buffer: None,
            started: false,
            suspended: false,
            fault_handler: None,
            faulted: false,
            orphaned: false,
        }
    }

    fn alive(&self) -> bool {
        !matches!(self.run, Run::Dead)
    }
}

struct Model {
    threads: Vec<ThreadModel>,
    cspaces: Vec<CSpaceModel>,
    /// Every capability ever made; `None` once deleted.
    caps: Vec<Option<Cap>>,
    endpoints: Vec<Charged>,
    memories: Vec<MemoryModel>,
    frames: Vec<Charged>,
    spaces: Vec<Charged>,
    /// Increases with every thread that queues on an endpoint.
    arrivals: u64,
}

impl Model {
    /// Running threads of these priorities, each with the capability to its own space in slot 0.
    fn new(priorities: &[u8]) -> Model {
        let mut model = Model {
            threads: Vec::new(),
            cspaces: Vec::new(),
            caps: Vec::new(),
            endpoints: Vec::new(),
            memories: Vec::new(),
            frames: Vec::new(),
            spaces: Vec::new(),
            arrivals: 0,
        };
        for (t, &priority) in priorities.iter().enumerate() {
            let thread = ThreadModel {
                run: Run::Ready,
                cspace: Some(t),
                started: true,
                ..ThreadModel::new(priority, None)
            };
            model.threads.push(thread);
            model.cspaces.push(CSpaceModel { memory: None, alive: true, slots: [None; USED_SLOTS as usize] });
            let own = Cap {
                object: Obj::CSpace(t),
                rights: Rights::of(ObjectKind::CSpace),
                badge: 0,
                parent: None,
            };
            model.place((t, BootInfo::CSPACE_SLOT), own);
        }
        model
    }

    // --- Slots and capabilities ---

    /// Thread `t`'s own slot `slot` (a running thread always has a capability space).
    fn own(&self, t: usize, slot: u64) -> At {
        (self.threads[t].cspace.expect("a running thread has a capability space"), slot)
    }

    fn place(&mut self, (cspace, slot): At, cap: Cap) {
        let here = &mut self.cspaces[cspace].slots[slot as usize];
        assert!(here.is_none(), "model bug: placed a capability in an occupied slot");
        *here = Some(self.caps.len());
        self.caps.push(Some(cap));
    }

    fn cap_at(&self, (cspace, slot): At) -> Option<(CapId, Cap)> {
        let id = self.cspaces[cspace].slots[slot as usize]?;
        Some((id, self.caps[id].expect("slots hold live capabilities")))
    }

    fn live_caps(&self) -> impl Iterator<Item = (CapId, &Cap)> {
        self.caps.iter().enumerate().filter_map(|(id, cap)| Some((id, cap.as_ref()?)))
    }

    fn capability(&self, at: At) -> Result<(CapId, Cap), Error> {
        self.cap_at(at).ok_or(Error::EmptySlot)
    }

    /// A slot of a capability space that is gone is no slot at all.
    fn check_empty(&self, at: At) -> Result<(), Error> {
        if !self.cspaces[at.0].alive {
            return Err(Error::InvalidSlot);
        }
        match self.cap_at(at) {
            Some(_) => Err(Error::SlotOccupied),
            None => Ok(()),
        }
    }

    fn endpoint_cap(&self, at: At, needs: Rights) -> Result<(usize, Cap), Error> {
        let (_, cap) = self.capability(at)?;
        let Obj::Endpoint(endpoint) = cap.object else { return Err(Error::WrongType) };
        if !cap.rights.contains(needs) {
            return Err(Error::MissingRights);
        }
        Ok((endpoint, cap))
    }

    /// The thread a Thread capability with Write at `at` names.
    fn thread_cap(&self, at: At) -> Result<usize, Error> {
        match self.capability(at)? {
            (_, Cap { object: Obj::Thread(target), rights, .. }) if rights.contains(Rights::WRITE) => {
                Ok(target)
            }
            (_, Cap { object: Obj::Thread(_), .. }) => Err(Error::MissingRights),
            _ => Err(Error::WrongType),
        }
    }

    /// Every object some capability names.
    fn named(&self) -> HashSet<Obj> {
        self.live_caps().map(|(_, c)| c.object).collect()
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

    /// Every capability that names `object`.
    fn naming(&self, object: Obj) -> Vec<CapId> {
        self.live_caps().filter(|(_, c)| c.object == object).map(|(id, _)| id).collect()
    }

    /// Deletes capabilities one by one (each one's children become its parent's), and wakes
    /// the senders whose badge lost its last capability; [`Model::settle`] does the rest.
    /// Deleting only ever removes capabilities, so whether a badge or an object lost its last
    /// capability does not depend on the order.
    fn delete_caps(&mut self, doomed: Vec<CapId>) {
        let badges_before = self.endpoint_badges();
        for id in doomed {
            let Some(gone) = self.caps[id].take() else { continue };
            for slot in self.cspaces.iter_mut().flat_map(|c| c.slots.iter_mut()).filter(|s| **s == Some(id)) {
                *slot = None;
            }
            for cap in self.caps.iter_mut().flatten() {
                if cap.parent == Some(id) {
                    cap.parent = gone.parent;
                }
            }
        }
        let badges_after = self.endpoint_badges();
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
    }

    /// Applies the lifetime rules until none applies, after every system call: an endpoint
    /// lives while a capability names it (then everyone queued there wakes with `PeerGone`);
    /// a thread stopped on a fault lives while its handler does; a thread nothing can start
    /// (never started, or suspended) while a capability names it; a capability space while a
    /// thread uses it or a capability outside its own slots names it; a Frame or address
    /// space while a capability names it or a thread uses it; a made Memory object whose
    /// last capability is gone takes everything it paid for along; a Memory object lives
    /// while a capability names it or something is charged to it.
    fn settle(&mut self) {
        loop {
            let named = self.named();
            if let Some(e) = (0..self.endpoints.len())
                .find(|&e| self.endpoints[e].alive && !named.contains(&Obj::Endpoint(e)))
            {
                self.endpoints[e].alive = false;
                for t in 0..self.threads.len() {
                    if matches!(self.threads[t].run,
                        Run::Sending { endpoint, .. } | Run::Receiving { endpoint, .. } if endpoint == e)
                    {
                        self.wake(t, Error::PeerGone);
                    }
                }
                continue;
            }
            if let Some(t) = (0..self.threads.len()).find(|&t| {
                let th = &self.threads[t];
                let unreachable = (!th.started || th.suspended) && !named.contains(&Obj::Thread(t));
                th.alive() && (th.orphaned || unreachable)
            }) {
                self.end_thread(t);
                continue;
            }
            if let Some(c) = (0..self.cspaces.len()).find(|&c| self.cspace_is_unreachable(c)) {
                self.destroy_cspace(c);
                continue;
            }
            let used = |uses: fn(&ThreadModel) -> Option<usize>, n| {
                self.threads.iter().any(|th| th.alive() && uses(th) == Some(n))
            };
            if let Some(f) = (0..self.frames.len()).find(|&f| {
                self.frames[f].alive && !named.contains(&Obj::Frame(f)) && !used(|th| th.ipc_buffer, f)
            }) {
                self.frames[f].alive = false;
                continue;
            }
            if let Some(s) = (0..self.spaces.len()).find(|&s| {
                self.spaces[s].alive && !named.contains(&Obj::AddressSpace(s)) && !used(|th| th.space, s)
            }) {
                self.spaces[s].alive = false;
                continue;
            }
            // The boot Memory object (no parent) is never reclaimed this way.
            let capless = (0..self.memories.len()).filter(|&m| {
                self.memories[m].alive
                    && self.memories[m].parent.is_some()
                    && !named.contains(&Obj::Memory(m))
            });
            if capless.collect::<Vec<_>>().into_iter().any(|m| self.reclaim_charged(m)) {
                continue;
            }
            if let Some(m) = (0..self.memories.len()).find(|&m| {
                self.memories[m].alive && !named.contains(&Obj::Memory(m)) && self.charges(m).is_empty()
            }) {
                self.memories[m].alive = false;
                continue;
            }
            return;
        }
    }

    /// Whether capability space `c` lives, no thread uses it, and only its own slots name it.
    fn cspace_is_unreachable(&self, c: usize) -> bool {
        let space = &self.cspaces[c];
        space.alive
            && !self.threads.iter().any(|th| th.alive() && th.cspace == Some(c))
            && self.naming(Obj::CSpace(c)).iter().all(|&id| space.slots.contains(&Some(id)))
    }

    /// Capability space `c` goes, with every capability naming it and every one in it.
    /// Threads that still use it (reclaimed with its Memory object) find nothing there.
    fn destroy_cspace(&mut self, c: usize) {
        self.cspaces[c].alive = false;
        let mut doomed = self.naming(Obj::CSpace(c));
        doomed.extend(self.cspaces[c].slots.iter().flatten());
        self.delete_caps(doomed);
    }

    /// Destroys everything Memory object `m` paid for: its threads, its capability spaces,
    /// and every capability to its endpoints, Frames, address spaces and child Memory
    /// objects (each goes then by its own rule). Whether it found anything to do.
    fn reclaim_charged(&mut self, m: usize) -> bool {
        let threads: Vec<usize> = (0..self.threads.len())
            .filter(|&t| self.threads[t].alive() && self.threads[t].memory == Some(m))
            .collect();
        let cspaces: Vec<usize> = (0..self.cspaces.len())
            .filter(|&c| self.cspaces[c].alive && self.cspaces[c].memory == Some(m))
            .collect();
        let paid_for = |object: Obj| match object {
            Obj::Endpoint(e) => self.endpoints[e].memory == m,
            Obj::Frame(f) => self.frames[f].memory == m,
            Obj::AddressSpace(s) => self.spaces[s].memory == m,
            Obj::Memory(c) => self.memories[c].parent == Some(m),
            Obj::Thread(_) | Obj::CSpace(_) => false,
        };
        let doomed: Vec<CapId> =
            self.live_caps().filter(|(_, c)| paid_for(c.object)).map(|(id, _)| id).collect();
        if threads.is_empty() && cspaces.is_empty() && doomed.is_empty() {
            return false;
        }
        for t in threads {
            self.end_thread(t);
        }
        for c in cspaces {
            if self.cspaces[c].alive {
                self.destroy_cspace(c);
            }
        }
        self.delete_caps(doomed);
        true
    }

    // --- Objects and accounting ---

    /// Live objects charged to Memory object `m`, with what each costs it.
    fn charges(&self, m: usize) -> Vec<u64> {
        let mut costs = Vec::new();
        costs.extend(self.endpoints.iter().filter(|e| e.alive && e.memory == m).map(|_| ENDPOINT_COST));
        costs.extend(self.frames.iter().filter(|f| f.alive && f.memory == m).map(|_| FRAME_COST));
        costs.extend(self.spaces.iter().filter(|s| s.alive && s.memory == m).map(|_| PAGE_TABLE_COST));
        costs.extend(self.threads.iter().filter(|t| t.alive() && t.memory == Some(m)).map(|_| THREAD_COST));
        costs.extend(self.cspaces.iter().filter(|c| c.alive && c.memory == Some(m)).map(|_| CSPACE_COST));
        costs.extend(
            self.memories.iter().filter(|c| c.alive && c.parent == Some(m)).map(|c| MEMORY_COST + c.budget),
        );
        costs
    }

    fn used(&self, m: usize) -> u64 {
        self.charges(m).iter().sum()
    }

    // --- Threads ---

    fn status(&mut self, thread: usize, result: Result<(), Error>) {
        self.threads[thread].outcome = Some(Outcome::Status(result.map(|()| 0)));
    }

    fn values(&mut self, thread: usize, values: [u64; VALUE_SLOTS]) {
        self.threads[thread].outcome = Some(Outcome::Values(values));
    }

    /// A blocked thread's operation ends: it may run again, unless it is suspended.
    fn make_ready(&mut self, thread: usize) {
        let th = &mut self.threads[thread];
        th.run = if th.suspended { Run::Inactive } else { Run::Ready };
    }

    /// A blocked thread's operation fails with `error`. A thread stopped on a fault cannot
    /// take an error: its handler is gone, so it ends.
    fn wake(&mut self, thread: usize, error: Error) {
        if self.threads[thread].faulted {
            (self.threads[thread].faulted, self.threads[thread].orphaned) = (false, true);
            self.threads[thread].run = Run::AwaitingReply;
            return;
        }
        self.make_ready(thread);
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

    /// Thread `t` makes the system call `op` (or takes the fault), and the lifetime rules act.
    fn apply(&mut self, t: usize, op: &Op) {
        self.call(t, op);
        self.settle();
    }

    fn call(&mut self, t: usize, op: &Op) {
        let cspace = self.threads[t].cspace.expect("a running thread has a capability space");
        let own = move |slot: u64| (cspace, slot);
        let result = match *op {
            Op::Create { kind, memory, dest, budget } => self.create(own(memory), kind, own(dest), budget),
            Op::Copy { source, dest } => self.mint(own(source), own(dest), None, 0),
            Op::Mint { source, dest, rights, badge } => {
                self.mint(own(source), own(dest), Some(rights), badge)
            }
            Op::Move { source, dest } => self.move_cap(own(source), own(dest)),
            Op::CopyInto { source, cspace, dest, moving } => {
                self.through(own(cspace), dest).and_then(|dest| match moving {
                    true => self.move_cap(own(source), dest),
                    false => self.mint(own(source), dest, None, 0),
                })
            }
            Op::Delete { slot } => self.capability(own(slot)).map(|(id, _)| self.delete_caps(vec![id])),
            Op::Revoke { slot } => self.capability(own(slot)).map(|(id, cap)| {
                self.delete_caps(self.descendants(id));
                // A Memory object revoked takes back everything made from it.
                if let Obj::Memory(m) = cap.object {
                    self.reclaim_charged(m);
                }
            }),
            Op::Identify { slot } => self.capability(own(slot)).map(|(_, cap)| {
                self.values(t, [cap.object.kind().into(), cap.rights.bits(), cap.badge, 0, 0, 0]);
            }),
            Op::MemoryInfo { slot } => self.memory_info(t, own(slot)),
            Op::KernelStats => {
                let stats = self.stats();
                let values = [stats.threads, stats.endpoints, stats.memories, stats.capabilities];
                self.values(t, [values[0], values[1], values[2], values[3], stats.cspaces, stats.frames]);
                Ok(())
            }
            Op::Send { kind, endpoint, message, .. } => self.send(t, endpoint, message.message(), kind),
            Op::Recv { endpoint, blocking, .. } => self.recv(t, endpoint, blocking),
            Op::Reply { message, .. } => self.reply(t, message.message()),
            Op::ReplyRecv { endpoint, message, .. } => self.reply_recv(t, endpoint, message.message()),
            Op::Configure { thread, cspace, space, buffer, priority } => {
                self.configure(t, own(thread), [own(cspace), own(space), own(buffer)], priority)
            }
            Op::Start { thread } => self.thread_cap(own(thread)).and_then(|target| {
                let th = &mut self.threads[target];
                if th.started || th.cspace.is_none() {
                    return Err(Error::InvalidState);
                }
                th.started = true;
                self.make_ready(target);
                Ok(())
            }),
            Op::Suspend { thread } => {
                // The status first: a thread suspending itself finds it when it is resumed.
                let target = self.thread_cap(own(thread));
                self.status(t, target.map(drop));
                if let Ok(target) = target {
                    self.suspend(target);
                }
                return;
            }
            Op::Resume { thread } => self.thread_cap(own(thread)).map(|target| {
                let th = &mut self.threads[target];
                if th.suspended {
                    th.suspended = false;
                    if th.started && matches!(th.run, Run::Inactive) {
                        self.make_ready(target);
                    }
                }
            }),
            Op::SetFaultHandler { thread, handler } => {
                self.thread_cap(own(thread)).map(|target| self.threads[target].fault_handler = handler)
            }
            Op::Fault(fault) => {
                self.fault(t, fault);
                return;
            }
            Op::Yield => {
                self.threads[t].run = Run::Ready;
                Ok(())
            }
            Op::Exit => {
                self.end_thread(t);
                return;
            }
            Op::DestroyThread { slot } => match self.thread_cap(own(slot)) {
                Ok(target) if target == t => {
                    // Like `exit`: nobody is left to see a status.
                    self.end_thread(t);
                    return;
                }
                Ok(target) => {
                    self.status(t, Ok(()));
                    self.end_thread(target);
                    return;
                }
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

    /// What `kernel_stats` counts.
    fn stats(&self) -> crate::Stats {
        let threads = self.threads.iter().filter(|t| t.alive()).count() as u64;
        crate::Stats {
            threads,
            endpoints: self.endpoints.iter().filter(|e| e.alive).count() as u64,
            memories: self.memories.iter().filter(|m| m.alive).count() as u64,
            capabilities: self.live_caps().count() as u64,
            cspaces: self.cspaces.iter().filter(|c| c.alive).count() as u64,
            frames: self.frames.iter().filter(|f| f.alive).count() as u64,
            spaces: self.spaces.iter().filter(|s| s.alive).count() as u64,
            notifications: 0,
        }
    }

    /// Slot `slot` of the capability space the CSpace capability (with Write) at `via` names.
    fn through(&self, via: At, slot: u64) -> Result<At, Error> {
        match self.capability(via)? {
            (_, Cap { object: Obj::CSpace(c), rights, .. }) if rights.contains(Rights::WRITE) => {
                Ok((c, slot))
            }
            (_, Cap { object: Obj::CSpace(_), .. }) => Err(Error::MissingRights),
            _ => Err(Error::WrongType),
        }
    }

    fn create(&mut self, memory: At, kind: ObjectKind, dest: At, budget: u64) -> Result<(), Error> {
        let (_, cap) = self.capability(memory)?;
        let Obj::Memory(m) = cap.object else { return Err(Error::WrongType) };
        if !cap.rights.contains(Rights::WRITE) {
            return Err(Error::MissingRights);
        }
        self.check_empty(dest)?;
        let cost = match kind {
            ObjectKind::Endpoint => ENDPOINT_COST,
            ObjectKind::Memory => MEMORY_COST.checked_add(budget).ok_or(Error::OutOfMemory)?,
            ObjectKind::Thread => THREAD_COST,
            ObjectKind::CSpace => CSPACE_COST,
            ObjectKind::Frame => FRAME_COST,
            ObjectKind::AddressSpace => PAGE_TABLE_COST,
            ObjectKind::Notification
            | ObjectKind::IrqControl
            | ObjectKind::IrqHandler
            | ObjectKind::IoPort => {
                panic!("the model does not generate creating a {kind:?}")
            }
        };
        if cost > self.memories[m].budget - self.used(m) {
            return Err(Error::OutOfMemory);
        }
        let charged = Charged { memory: m, alive: true };
        let object = match kind {
            ObjectKind::Memory => {
                self.memories.push(MemoryModel { budget, parent: Some(m), alive: true });
                Obj::Memory(self.memories.len() - 1)
            }
            ObjectKind::Thread => {
                self.threads.push(ThreadModel::new(0, Some(m)));
                Obj::Thread(self.threads.len() - 1)
            }
            ObjectKind::CSpace => {
                let slots = [None; USED_SLOTS as usize];
                self.cspaces.push(CSpaceModel { memory: Some(m), alive: true, slots });
                Obj::CSpace(self.cspaces.len() - 1)
            }
            ObjectKind::Frame => {
                self.frames.push(charged);
                Obj::Frame(self.frames.len() - 1)
            }
            ObjectKind::AddressSpace => {
                self.spaces.push(charged);
                Obj::AddressSpace(self.spaces.len() - 1)
            }
            // Only endpoints are left: the costs above refused every other kind.
            _ => {
                self.endpoints.push(charged);
                Obj::Endpoint(self.endpoints.len() - 1)
            }
        };
        self.place(dest, Cap { object, rights: Rights::of(kind), badge: 0, parent: None });
        Ok(())
    }

    fn give_thread_cap(&mut self, at: At, target: usize) {
        let rights = Rights::of(ObjectKind::Thread);
        self.place(at, Cap { object: Obj::Thread(target), rights, badge: 0, parent: None });
    }

    fn boot_memory(&mut self, at: At, budget: u64) {
        self.memories.push(MemoryModel { budget, parent: None, alive: true });
        let object = Obj::Memory(self.memories.len() - 1);
        self.place(at, Cap { object, rights: Rights::of(ObjectKind::Memory), badge: 0, parent: None });
    }

    /// `cap_mint` (a copy when `rights` is `None`) from `source` into `dest`.
    fn mint(&mut self, source: At, dest: At, rights: Option<Rights>, badge: u64) -> Result<(), Error> {
        let (id, cap) = self.capability(source)?;
        self.check_empty(dest)?;
        let rights = rights.unwrap_or(cap.rights);
        if !cap.rights.contains(rights) {
            return Err(Error::MissingRights);
        }
        let badge = match (badge, cap.object) {
            (0, _) => cap.badge,
            (badge, Obj::Endpoint(_)) if cap.badge == 0 => badge,
            _ => return Err(Error::InvalidArgument),
        };
        self.place(dest, Cap { rights, badge, parent: Some(id), ..cap });
        Ok(())
    }

    fn move_cap(&mut self, source: At, dest: At) -> Result<(), Error> {
        let (id, _) = self.capability(source)?;
        self.check_empty(dest)?;
        // The capability keeps its identity, hence its parent and children.
        self.cspaces[source.0].slots[source.1 as usize] = None;
        self.cspaces[dest.0].slots[dest.1 as usize] = Some(id);
        Ok(())
    }

    fn memory_info(&mut self, t: usize, at: At) -> Result<(), Error> {
        let (_, cap) = self.capability(at)?;
        let Obj::Memory(m) = cap.object else { return Err(Error::WrongType) };
        if !cap.rights.contains(Rights::READ) {
            return Err(Error::MissingRights);
        }
        self.values(t, [self.memories[m].budget, self.used(m), 0, 0, 0, 0]);
        Ok(())
    }

    /// `thread_configure`: every check, in the kernel's order, then the thread uses them.
    fn configure(&mut self, t: usize, thread: At, uses: [At; 3], priority: u8) -> Result<(), Error> {
        let target = self.thread_cap(thread)?;
        let [cspace, space, buffer] = uses.map(|at| self.capability(at));
        let (cspace, space, buffer) = (cspace?.1, space?.1, buffer?.1);
        let (Obj::CSpace(c), Obj::AddressSpace(s), Obj::Frame(f)) =
            (cspace.object, space.object, buffer.object)
        else {
            return Err(Error::WrongType);
        };
        if !cspace.rights.contains(Rights::WRITE)
            || !space.rights.contains(Rights::WRITE)
            || !buffer.rights.contains(Rights::READ | Rights::WRITE)
            || priority > self.threads[t].priority
        {
            return Err(Error::MissingRights);
        }
        let th = &mut self.threads[target];
        if th.started || th.cspace.is_some() {
            return Err(Error::InvalidState);
        }
        (th.cspace, th.space, th.ipc_buffer, th.priority) = (Some(c), Some(s), Some(f), priority);
        Ok(())
    }

    /// `thread_suspend` of `target` (already validated): it runs no more until resumed; its
    /// own IPC is cancelled, a fault it is stopped on is not.
    fn suspend(&mut self, target: usize) {
        let th = &mut self.threads[target];
        if th.suspended {
            return;
        }
        th.suspended = true;
        let (run, faulted) = (th.run, th.faulted);
        match run {
            Run::Ready | Run::Running => self.threads[target].run = Run::Inactive,
            Run::Sending { .. } | Run::AwaitingReply if faulted => {}
            Run::Sending { .. } | Run::Receiving { .. } => self.cancel(target),
            Run::AwaitingReply => {
                // The right to answer this call dies: it names no thread any more.
                for holder in &mut self.threads {
                    if let Some(right) = holder.reply_to.as_mut().filter(|r| r.caller == Some(target)) {
                        right.caller = None;
                    }
                }
                self.cancel(target);
            }
            Run::Inactive | Run::Dead => {}
        }
    }

    fn cancel(&mut self, thread: usize) {
        self.threads[thread].run = Run::Inactive;
        self.status(thread, Err(Error::Cancelled));
    }

    /// Thread `t` takes `fault`: it calls its fault handler's endpoint with the fault as the
    /// message (its capability needs Write), or ends when it has none.
    fn fault(&mut self, t: usize, fault: Fault) {
        let handler = self.threads[t].fault_handler.and_then(|slot| self.cap_at(self.own(t, slot)));
        let Some((_, cap @ Cap { object: Obj::Endpoint(endpoint), .. })) = handler else {
            return self.end_thread(t);
        };
        if !cap.rights.contains(Rights::WRITE) {
            return self.end_thread(t);
        }
        self.threads[t].faulted = true;
        let pending = Pending { badge: cap.badge, grant: false, call: Some(false), message: fault.message() };
        match self.first_waiting(endpoint, false) {
            None => self.queue(t, endpoint, Some(pending)),
            Some(receiver) => {
                self.rendezvous(t, receiver, pending);
                self.make_ready(receiver);
            }
        }
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
            self.capability(self.own(t, slot))?;
        }
        Ok(())
    }

    fn send(&mut self, t: usize, slot: u64, message: Message, kind: SendKind) -> Result<(), Error> {
        let (endpoint, cap) = self.endpoint_cap(self.own(t, slot), Rights::WRITE)?;
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
                self.make_ready(receiver);
            }
        }
        Ok(())
    }

    fn recv(&mut self, t: usize, slot: u64, blocking: bool) -> Result<(), Error> {
        let (endpoint, _) = self.endpoint_cap(self.own(t, slot), Rights::READ)?;
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

    /// `pending` goes from `sender` to `receiver`: a plain send completes, a call (or a
    /// fault) waits for the reply and the receiver gets the right to give it.
    fn rendezvous(&mut self, sender: usize, receiver: usize, pending: Pending) {
        self.deliver(sender, receiver, pending.badge, pending.message);
        match pending.call {
            Some(grant) => {
                self.threads[receiver].reply_to = Some(ReplyRight { caller: Some(sender), grant });
                self.threads[sender].run = Run::AwaitingReply;
            }
            None => {
                // A queued sender wakes; one that found its receiver waiting runs on.
                if let Run::Sending { .. } = self.threads[sender].run {
                    self.make_ready(sender);
                }
                self.status(sender, Ok(()));
            }
        }
    }

    fn drop_reply_right(&mut self, t: usize) {
        if let Some(caller) = self.threads[t].reply_to.take().and_then(|right| right.caller) {
            if matches!(self.threads[caller].run, Run::AwaitingReply) {
                self.wake(caller, Error::PeerGone);
            }
        }
    }

    fn reply(&mut self, t: usize, message: Message) -> Result<(), Error> {
        let right = self.threads[t].reply_to.ok_or(Error::NoReply)?;
        self.check_caps_to_send(t, message.info, right.grant)?;
        self.answer(t, right, message)
    }

    fn reply_recv(&mut self, t: usize, slot: u64, message: Message) -> Result<(), Error> {
        self.endpoint_cap(self.own(t, slot), Rights::READ)?;
        let right = self.threads[t].reply_to.ok_or(Error::NoReply)?;
        self.check_caps_to_send(t, message.info, right.grant)?;
        self.answer(t, right, message)?;
        self.recv(t, slot, true)
    }

    /// Uses up the reply right; the answer reaches the caller if it still waits for it. A
    /// thread stopped on a fault just resumes: the answer carries nothing to it.
    fn answer(&mut self, t: usize, right: ReplyRight, message: Message) -> Result<(), Error> {
        self.threads[t].reply_to = None;
        let Some(caller) = right.caller.filter(|&c| matches!(self.threads[c].run, Run::AwaitingReply)) else {
            return Err(Error::PeerGone);
        };
        if self.threads[caller].faulted {
            self.threads[caller].faulted = false;
        } else {
            self.deliver(t, caller, 0, message);
        }
        self.make_ready(caller);
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
            let Some((id, cap)) = self.cap_at(self.own(from, source)) else { break };
            let dest = self.own(to, dest);
            if self.check_empty(dest).is_err() {
                break;
            }
            self.place(dest, Cap { parent: Some(id), ..cap });
            arrived += 1;
        }
        let info = MessageInfo { caps: arrived, ..message.info };
        self.values(to, Message { info, words: message.words }.values(badge));
    }

    /// Thread `t` exits or is destroyed, whatever it was doing: it leaves any queue (queues
    /// are just thread states here), the caller it owed an answer wakes, every capability to
    /// it goes, and so do its capability space and address space if it was their last
    /// thread (with every capability to them, and the capability space with what it holds).
    fn end_thread(&mut self, t: usize) {
        if !self.threads[t].alive() {
            return;
        }
        self.threads[t].run = Run::Dead;
        self.drop_reply_right(t);
        let mut doomed = self.naming(Obj::Thread(t));
        let (cspace, space) = (self.threads[t].cspace, self.threads[t].space);
        let users = |uses: fn(&ThreadModel) -> Option<usize>, n: usize| {
            self.threads.iter().filter(|th| th.alive() && uses(th) == Some(n)).count()
        };
        if let Some(c) = cspace.filter(|&c| self.cspaces[c].alive && users(|th| th.cspace, c) == 0) {
            self.cspaces[c].alive = false;
            doomed.extend(self.naming(Obj::CSpace(c)));
            doomed.extend(self.cspaces[c].slots.iter().flatten());
        }
        if let Some(s) = space.filter(|&s| self.spaces[s].alive && users(|th| th.space, s) == 0) {
            self.spaces[s].alive = false;
            doomed.extend(self.naming(Obj::AddressSpace(s)));
        }
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
    /// see `BADGED_SLOT`); each thread holds a Thread capability to the next one, and
    /// even-numbered threads send their faults to the first endpoint.
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
        model.boot_memory((0, MEMORY_SLOT), BOOT_BUDGET);
        for n in [SHARED_SLOT, BADGED_SLOT] {
            kernel
                .create(&mut mock, at(&kernel, 0, MEMORY_SLOT), ObjectKind::Endpoint, at(&kernel, 0, n), 0)
                .expect("endpoint");
            model.create((0, MEMORY_SLOT), ObjectKind::Endpoint, (0, n), 0).expect("endpoint");
        }
        for t in 1..ids.len() {
            let badged_rights = match t % 2 {
                1 => Rights::of(ObjectKind::Endpoint) - Rights::GRANT,
                _ => Rights::of(ObjectKind::Endpoint) - Rights::GRANT_REPLY,
            };
            let copies = [
                (MEMORY_SLOT, None, 0),
                (SHARED_SLOT, None, 0),
                (BADGED_SLOT, Some(badged_rights), t as u64),
            ];
            for (n, rights, badge) in copies {
                kernel.mint(at(&kernel, 0, n), at(&kernel, t, n), rights, badge).expect("copy");
                model.mint((0, n), (t, n), rights, badge).expect("copy");
            }
        }
        for t in 0..ids.len() {
            let target = (t + 1) % ids.len();
            kernel.give_thread_cap(ids[target], at(&kernel, t, THREAD_SLOT)).expect("thread capability");
            model.give_thread_cap((t, THREAD_SLOT), target);
        }
        for t in (0..ids.len()).step_by(2) {
            kernel.threads.get_mut(ids[t]).expect("a live thread").fault_handler = Some(slot(SHARED_SLOT));
            model.threads[t].fault_handler = Some(SHARED_SLOT);
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

    /// Thread `t` (the current one) makes the system call `op` (or takes the fault), in the
    /// kernel and in the model. A thread it made gets its kernel id.
    fn step(&mut self, t: usize, op: &Op) -> Result<(), String> {
        for (index, value) in buffer_writes(op) {
            self.mock.buffer(self.ids[t])[index] = value;
            self.model.threads[t].buffer[index] = value;
        }
        match *op {
            Op::Fault(fault) => self.kernel.fault(&mut self.mock, fault),
            _ => {
                let (number, args) = encode(op);
                self.mock.raw(&mut self.kernel, number, args);
            }
        }
        let cspace = self.kernel.thread(self.ids[t]).and_then(|t| t.cspace);
        self.model.apply(t, op);
        if self.model.threads.len() > self.ids.len() {
            let Op::Create { kind: ObjectKind::Thread, dest, .. } = *op else { unreachable!() };
            let made =
                cspace.and_then(|cspace| self.kernel.caps.get(SlotRef { cspace, slot: slot(dest) }).ok());
            let Some(crate::cspace::Capability { object: Object::Thread(id), .. }) = made else {
                return Err(format!("the model made a thread, the kernel put {made:?} in slot {dest}"));
            };
            // The mock may remember the last call of a thread that had the same table index.
            self.mock.results.remove(&id.index());
            self.mock.values.remove(&id.index());
            self.ids.push(id);
        }
        Ok(())
    }

    /// The slot `pick` names for thread `t` now. The model's slots are the kernel's (compared
    /// after every step), so looking at the model here predicts nothing.
    fn resolve(&self, t: usize, pick: Pick) -> u64 {
        let cap = |n: u64| self.model.cap_at(self.model.own(t, n));
        let fits = |n: u64| match pick {
            Pick::Full(_) => cap(n).is_some(),
            Pick::Empty(_) => cap(n).is_none(),
            Pick::Holding(kind, _) => cap(n).is_some_and(|(_, c)| c.object.kind() == kind),
            Pick::Newest(_) | Pick::Number(_) => false,
        };
        let n = match pick {
            Pick::Full(n) | Pick::Empty(n) | Pick::Holding(_, n) => u64::from(n),
            Pick::Newest(kind) => {
                let of_kind = (0..USED_SLOTS)
                    .filter_map(|n| Some((cap(n)?, n)))
                    .filter(|((_, c), _)| c.object.kind() == kind);
                return of_kind.max_by_key(|&((id, _), _)| id).map_or(0, |(_, n)| n);
            }
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
        for c in 0..self.model.cspaces.len() {
            self.compare_cspace(c).map_err(|e| format!("capability space {c}: {e}"))?;
        }
        for t in 0..self.model.threads.len() {
            self.compare_thread(t).map_err(|e| format!("thread {t}: {e}"))?;
        }
        self.compare_objects()
    }

    /// Capability space `c`: alive in both or in neither, and the same slots. Spaces are
    /// compared in the order they were made, so the one holding the first capability to a
    /// space is compared before it, and that capability has matched it.
    fn compare_cspace(&mut self, c: usize) -> Result<(), String> {
        let Some(&Object::CSpace(id)) = self.to_kernel.get(&Obj::CSpace(c)) else {
            return Err("never seen in a slot".into());
        };
        let alive = self.kernel.caps.space(id).is_some();
        if alive != self.model.cspaces[c].alive {
            return Err(format!("alive {alive} in the kernel, {} in the model", self.model.cspaces[c].alive));
        }
        if !alive {
            return Ok(());
        }
        for n in 0..USED_SLOTS {
            let in_kernel = self.kernel.caps.get(SlotRef { cspace: id, slot: slot(n) }).ok();
            match (in_kernel, self.model.cap_at((c, n))) {
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
            (Run::Inactive, ThreadState::Inactive)
            | (Run::Ready, ThreadState::Ready)
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
        let in_kernel =
            (kernel.started, kernel.suspended, kernel.fault.is_some(), kernel.priority, kernel.fault_handler);
        let in_model =
            (model.started, model.suspended, model.faulted, model.priority, model.fault_handler.map(slot));
        if in_kernel != in_model {
            return Err(format!(
                "(started, suspended, faulted, priority, fault handler) {in_kernel:?}, the model says {in_model:?}"
            ));
        }
        let kernel_right = kernel.reply_to.map(|r| (r.caller, r.grant));
        let model_right =
            model.reply_to.map(|r| (r.caller.map_or(ThreadId::NOTHING, |caller| self.ids[caller]), r.grant));
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
        let uses = [
            (model.cspace.map(Obj::CSpace), kernel.cspace.map(Object::CSpace)),
            (model.space.map(Obj::AddressSpace), kernel.space.map(Object::AddressSpace)),
            (model.ipc_buffer.map(Obj::Frame), kernel.ipc_buffer.map(Object::Frame)),
        ];
        for pair in uses {
            match pair {
                (None, None) => {}
                (Some(m), Some(k)) => self.matches(m, k).map_err(|e| format!("uses {e}"))?,
                (m, k) => return Err(format!("uses {k:?}, the model says {m:?}")),
            }
        }
        Ok(())
    }

    fn compare_objects(&self) -> Result<(), String> {
        let model = &self.model;
        let endpoints = model.endpoints.iter().enumerate().map(|(n, e)| (Obj::Endpoint(n), e.alive));
        let frames = model.frames.iter().enumerate().map(|(n, f)| (Obj::Frame(n), f.alive));
        let spaces = model.spaces.iter().enumerate().map(|(n, s)| (Obj::AddressSpace(n), s.alive));
        for (object, in_model) in endpoints.chain(frames).chain(spaces) {
            let in_kernel = match self.to_kernel.get(&object) {
                Some(&Object::Endpoint(id)) => self.kernel.endpoints.get(id).is_some(),
                Some(&Object::Frame(id)) => self.kernel.frames.get(id).is_some(),
                Some(&Object::AddressSpace(id)) => self.kernel.spaces.get(id).is_some(),
                _ => return Err(format!("{object:?} was never seen in a slot")),
            };
            if in_kernel != in_model {
                return Err(format!("{object:?}: alive {in_kernel} in the kernel, {in_model} in the model"));
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
        let (stats, expected) = (self.kernel.stats(), model.stats());
        if stats != expected {
            return Err(format!("kernel stats {stats:?}, the model expects {expected:?}"));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

/// Runs `ops` on a fresh kernel and model; stops early when no thread can run any more.
fn run(priorities: &[u8], ops: &[Op<Pick>]) -> Result<(), TestCaseError> {
    let mut world = World::new(priorities);
    world.compare().map_err(|e| TestCaseError::fail(format!("after setup: {e}")))?;
    for (step, op) in ops.iter().enumerate() {
        let scheduled =
            world.schedule().map_err(|e| TestCaseError::fail(format!("before step {step}: {e}")))?;
        let Some(t) = scheduled else { break };
        let call = op.map(|pick| world.resolve(t, pick));
        let done = world.step(t, &call).and_then(|()| world.compare());
        done.map_err(|e| TestCaseError::fail(format!("step {step}, thread {t} made {call:?}: {e}")))?;
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
    /// by three or four threads of a few priorities, and by the threads they start.
    #[test]
    fn model_matches_reference(priorities in vec(1u8..=3, 3..=4), ops in ops()) {
        run(&priorities, &ops)?;
    }
}
