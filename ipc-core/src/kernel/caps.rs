//! Capability operations (`cap_copy`, `cap_mint`, `cap_move`, `cap_delete`, `cap_revoke`),
//! object creation from Memory capabilities, and what happens when an object's last
//! capability goes: endpoints wake their waiters, Memory objects refund their parent.

use crate::abi::{
    Error, ObjectKind, Rights, Slot, CSPACE_COST, CSPACE_SLOTS, ENDPOINT_COST, FRAME_COST, MEMORY_COST,
    NOTIFICATION_COST, PAGE_TABLE_COST, THREAD_COST,
};
use crate::cspace::{Capability, Object, SlotRef, MAX_CSPACES};
use crate::machine::Machine;
use crate::objects::{Endpoint, EndpointId, EndpointStats, Memory, MemoryId, Notification, WaitQueue};
use crate::pages::{AddressSpace, Frame};
use crate::thread::{Thread, ThreadId, ThreadState, MAX_THREADS};

use super::Kernel;

/// How many capabilities `cap_revoke` deletes between two looks for a waiting interrupt.
const REVOKE_BATCH: u32 = 32;

/// How far a `cap_revoke` (or a Memory object's reclamation) got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Revoked {
    /// Everything derived (or charged) is gone.
    Done,
    /// An interrupt is waiting: the work stopped part way, to be taken up again.
    Preempted,
}

/// Counts the steps of long kernel work (a deletion, a thread or capability space destroyed)
/// and says when to stop for a waiting interrupt: every `REVOKE_BATCH` steps it asks the
/// machine. What was done stays done, so the work is taken up again from what is left.
struct PreemptionPoints {
    steps: u32,
}

impl PreemptionPoints {
    fn new() -> Self {
        PreemptionPoints { steps: 0 }
    }

    /// One more step done; whether to stop now.
    fn stop_after_step<M: Machine>(&mut self, machine: &mut M) -> bool {
        self.steps += 1;
        self.steps.is_multiple_of(REVOKE_BATCH) && machine.interrupt_pending()
    }
}

impl Kernel {
    /// `cap_copy` (`rights: None`) and `cap_mint`: a capability derived from the one at
    /// `source`, in the empty slot `dest`, with `rights` (which must be a subset of the
    /// source's) and `badge` (`0` keeps the source's; only an unbadged endpoint or
    /// notification capability can be given one).
    pub fn mint(
        &mut self,
        source: SlotRef,
        dest: SlotRef,
        rights: Option<Rights>,
        badge: u64,
    ) -> Result<(), Error> {
        let cap = self.caps.get(source)?;
        self.caps.check_empty(dest)?;
        let rights = rights.unwrap_or(cap.rights);
        if !cap.rights.contains(rights) {
            return Err(Error::MissingRights);
        }
        let badge = match (badge, cap.object) {
            (0, _) => cap.badge,
            (badge, Object::Endpoint(_) | Object::Notification(_)) if cap.badge == 0 => badge,
            _ => return Err(Error::InvalidArgument),
        };
        self.caps.insert_derived(source, dest, Capability { rights, badge, ..cap });
        self.retain(cap.object);
        Ok(())
    }

    /// `cap_move`: the capability at `source` moves to the empty slot `dest`, keeping its
    /// place in the derivation tree. A move onto its own slot is refused with `SlotOccupied`,
    /// like any move onto an occupied slot.
    pub(super) fn move_cap(&mut self, source: SlotRef, dest: SlotRef) -> Result<(), Error> {
        self.caps.get(source)?;
        self.caps.check_empty(dest)?;
        self.caps.move_cap(source, dest);
        // A capability space's last outside capability may just have moved inside it.
        if let Ok(Capability { object: Object::CSpace(cspace), .. }) = self.caps.get(dest) {
            self.doom_cspace_if_unreachable(cspace);
        }
        Ok(())
    }

    /// `cap_delete`, with everything it dooms ended before it returns (see `settle`).
    pub fn delete<M: Machine>(&mut self, machine: &mut M, at: SlotRef) -> Result<(), Error> {
        let result = self.delete_cap(machine, at);
        self.settle(machine);
        result
    }

    /// `cap_delete`: empties the slot. Capabilities derived from it stay (derived from its
    /// parent now); if it was the object's last capability, the object is destroyed (threads
    /// and capability spaces at the end of the entry).
    pub(super) fn delete_cap<M: Machine>(&mut self, machine: &mut M, at: SlotRef) -> Result<(), Error> {
        let cap = self.caps.remove(at).ok_or(Error::EmptySlot)?;
        self.release(machine, cap);
        Ok(())
    }

    /// `cap_revoke`: deletes every capability derived from the one at `at`, in every
    /// capability space; the capability itself stays. Revoking a Frame capability takes back
    /// the page from everywhere: every mapping made through a derived capability goes with
    /// it, and the mapping made through this one is undone too.
    ///
    /// Its cost is linear in what it deletes: it deletes the first capability derived from
    /// this one until there is none, and each deletion is O(1) (what was derived from the
    /// deleted capability is then derived from this one). It is preemptible: every
    /// `REVOKE_BATCH` deletions it asks the machine whether an interrupt waits, and if one
    /// does it stops with [`Revoked::Preempted`]. What it deleted stays deleted, so the same
    /// call made again goes on from there.
    pub(super) fn revoke<M: Machine>(&mut self, machine: &mut M, at: SlotRef) -> Result<Revoked, Error> {
        self.caps.get(at)?;
        let mut points = PreemptionPoints::new();
        // A deletion can take `at` along (its space's last capability, say): then none is
        // derived from it any more.
        while let Some(derived) = self.caps.remove_first_derived(at) {
            self.release(machine, derived);
            if points.stop_after_step(machine) {
                return Ok(Revoked::Preempted);
            }
        }
        match self.caps.get(at) {
            Ok(Capability { object: Object::Frame(_), mapping: Some(mapping), .. }) => {
                self.undo_mapping(machine, at, mapping);
                Ok(Revoked::Done)
            }
            // Revoking a Memory capability takes back everything made from the Memory object.
            Ok(Capability { object: Object::Memory(memory), .. }) => {
                Ok(self.reclaim_charged(machine, memory, &mut points))
            }
            _ => Ok(Revoked::Done),
        }
    }

    /// `create`: a new object of `kind`, charged to the Memory capability at `memory` (which
    /// needs Write); its original capability, with every right, goes in the empty slot `dest`.
    pub fn create<M: Machine>(
        &mut self,
        machine: &mut M,
        memory: SlotRef,
        kind: ObjectKind,
        dest: SlotRef,
        budget: u64,
    ) -> Result<(), Error> {
        let cap = self.caps.get(memory)?;
        let Object::Memory(parent) = cap.object else { return Err(Error::WrongType) };
        if !cap.rights.contains(Rights::WRITE) {
            return Err(Error::MissingRights);
        }
        self.caps.check_empty(dest)?;
        let cost = match kind {
            ObjectKind::Endpoint => ENDPOINT_COST,
            ObjectKind::Memory => MEMORY_COST.checked_add(budget).ok_or(Error::OutOfMemory)?,
            ObjectKind::Frame => FRAME_COST,
            ObjectKind::AddressSpace => PAGE_TABLE_COST,
            ObjectKind::CSpace => CSPACE_COST,
            ObjectKind::Thread => THREAD_COST,
            ObjectKind::Notification => NOTIFICATION_COST,
            // Device rights come from the boot capabilities, never from memory.
            ObjectKind::IrqControl | ObjectKind::IrqHandler | ObjectKind::IoPort => {
                return Err(Error::InvalidArgument)
            }
        };
        let available = self.memories.get(parent).map_or(0, |m| m.budget - m.used);
        if cost > available {
            return Err(Error::OutOfMemory);
        }
        let object = match kind {
            ObjectKind::Memory => {
                let memory = Memory { budget, used: 0, caps: 1, charges: 0, parent: Some(parent) };
                Object::Memory(self.memories.insert(memory).ok_or(Error::TableFull)?)
            }
            ObjectKind::Frame => {
                let page = machine.allocate_page().ok_or(Error::OutOfMemory)?;
                match self.frames.insert(Frame { page, caps: 1, users: 0, memory: parent }) {
                    Some(id) => Object::Frame(id),
                    None => {
                        machine.free_page(page);
                        return Err(Error::TableFull);
                    }
                }
            }
            ObjectKind::AddressSpace => {
                let root = machine.create_space().ok_or(Error::OutOfMemory)?;
                let space = AddressSpace { root, caps: 1, threads: 0, memory: Some(parent), tables: 0 };
                match self.spaces.insert(space) {
                    Some(id) => Object::AddressSpace(id),
                    None => {
                        machine.destroy_space(root);
                        return Err(Error::TableFull);
                    }
                }
            }
            ObjectKind::CSpace => {
                let cspace = self.caps.create_space(Some(parent)).ok_or(Error::TableFull)?;
                if let Some(space) = self.caps.space_mut(cspace) {
                    space.caps = 1;
                }
                Object::CSpace(cspace)
            }
            ObjectKind::Thread => {
                let thread = Thread { caps: 1, ..Thread::new("thread", Some(parent)) };
                Object::Thread(self.threads.insert(thread).ok_or(Error::TableFull)?)
            }
            ObjectKind::Endpoint => {
                let endpoint = Endpoint {
                    senders: WaitQueue::EMPTY,
                    receivers: WaitQueue::EMPTY,
                    caps: 1,
                    memory: parent,
                    stats: EndpointStats::default(),
                };
                Object::Endpoint(self.endpoints.insert(endpoint).ok_or(Error::TableFull)?)
            }
            ObjectKind::Notification => {
                let notification =
                    Notification { word: 0, waiters: WaitQueue::EMPTY, bound: None, caps: 1, memory: parent };
                Object::Notification(self.notifications.insert(notification).ok_or(Error::TableFull)?)
            }
            ObjectKind::IrqControl | ObjectKind::IrqHandler | ObjectKind::IoPort => {
                return Err(Error::InvalidArgument)
            }
        };
        if let Some(m) = self.memories.get_mut(parent) {
            m.used += cost;
            m.charges += 1;
        }
        self.caps.insert_original(dest, Capability::original(object));
        Ok(())
    }

    /// `memory_info`: the budget and use of the Memory object at `memory` (needs Read).
    pub(super) fn memory_info(&self, memory: SlotRef) -> Result<(u64, u64), Error> {
        let cap = self.caps.get(memory)?;
        let Object::Memory(id) = cap.object else { return Err(Error::WrongType) };
        if !cap.rights.contains(Rights::READ) {
            return Err(Error::MissingRights);
        }
        self.memories.get(id).map(|m| (m.budget, m.used)).ok_or(Error::EmptySlot)
    }

    /// Gives `thread` a new boot Memory object with `budget` bytes, its capability in the
    /// empty slot `at`. Boot memory is charged to nobody: it is the RAM the kernel hands out.
    pub fn boot_memory(&mut self, at: SlotRef, budget: u64) -> Result<(), Error> {
        self.caps.check_empty(at)?;
        let memory = Memory { budget, used: 0, caps: 1, charges: 0, parent: None };
        let id = self.memories.insert(memory).ok_or(Error::TableFull)?;
        self.caps.insert_original(at, Capability::original(Object::Memory(id)));
        Ok(())
    }

    /// One more capability refers to `object`.
    pub(super) fn retain(&mut self, object: Object) {
        match object {
            Object::CSpace(id) => {
                if let Some(space) = self.caps.space_mut(id) {
                    space.caps += 1;
                }
            }
            Object::Thread(id) => {
                if let Some(thread) = self.threads.get_mut(id) {
                    thread.caps += 1;
                }
            }
            Object::Frame(id) => {
                if let Some(frame) = self.frames.get_mut(id) {
                    frame.caps += 1;
                }
            }
            Object::AddressSpace(id) => {
                if let Some(space) = self.spaces.get_mut(id) {
                    space.caps += 1;
                }
            }
            Object::Endpoint(id) => {
                if let Some(ep) = self.endpoints.get_mut(id) {
                    ep.caps += 1;
                }
            }
            Object::Memory(id) => {
                if let Some(m) = self.memories.get_mut(id) {
                    m.caps += 1;
                }
            }
            Object::Notification(id) => {
                if let Some(n) = self.notifications.get_mut(id) {
                    n.caps += 1;
                }
            }
            Object::IrqHandler(line) => {
                if let Some(state) = self.irq_lines.get_mut(usize::from(line)) {
                    state.caps += 1;
                }
            }
            // Rights, not objects: nothing to count.
            Object::IrqControl | Object::IoPort { .. } => {}
        }
    }

    /// A capability to `cap.object` is gone: the object dies with its last capability.
    fn release<M: Machine>(&mut self, machine: &mut M, cap: Capability) {
        match cap.object {
            Object::CSpace(id) => {
                if let Some(space) = self.caps.space_mut(id) {
                    space.caps -= 1;
                }
                self.doom_cspace_if_unreachable(id);
            }
            Object::Thread(id) => self.release_thread(id),
            Object::Endpoint(id) => {
                let Some(ep) = self.endpoints.get_mut(id) else { return };
                ep.caps -= 1;
                if ep.caps == 0 {
                    self.destroy_endpoint(machine, id);
                } else {
                    self.cancel_badged_sends(machine, id, cap.badge);
                }
            }
            Object::Memory(id) => {
                if let Some(m) = self.memories.get_mut(id) {
                    m.caps -= 1;
                    if m.caps == 0 && m.charges > 0 {
                        self.doom_memory(id);
                    }
                }
                self.free_memory_if_unused(id);
            }
            Object::Frame(id) => self.release_frame(machine, id, cap),
            Object::AddressSpace(id) => self.release_address_space(machine, id),
            Object::Notification(id) => {
                let Some(n) = self.notifications.get_mut(id) else { return };
                n.caps -= 1;
                if n.caps == 0 {
                    self.destroy_notification(machine, id);
                }
            }
            Object::IrqHandler(line) => self.release_irq_line(machine, line),
            Object::IrqControl | Object::IoPort { .. } => {}
        }
    }

    /// The endpoint's last capability is gone: everyone queued on it wakes with `PeerGone`,
    /// and its memory is refunded.
    fn destroy_endpoint<M: Machine>(&mut self, machine: &mut M, id: EndpointId) {
        let Some(mut ep) = self.endpoints.remove(id) else { return };
        for queue in [&mut ep.senders, &mut ep.receivers] {
            while let Some(index) = queue.dequeue(&mut self.waiting) {
                if let Some(thread) = self.threads.handle_at(index) {
                    self.wake(machine, thread, Err(Error::PeerGone));
                }
            }
        }
        self.uncharge(ep.memory, ENDPOINT_COST);
    }

    /// When the last capability with `badge` to endpoint `id` is gone, senders queued with
    /// that badge wake with `PeerGone`: nobody waits on a right that no longer exists.
    fn cancel_badged_sends<M: Machine>(&mut self, machine: &mut M, id: EndpointId, badge: u64) {
        let Some(ep) = self.endpoints.get(id) else { return };
        let mut stranded = [None; MAX_THREADS];
        let mut count = 0;
        for index in ep.senders.iter(&self.waiting) {
            let Some(thread) = self.threads.handle_at(index) else { continue };
            if matches!(self.threads.get(thread).map(|t| t.state),
                Some(ThreadState::Sending { sender, .. }) if sender.badge == badge)
            {
                stranded[count] = Some(thread);
                count += 1;
            }
        }
        if count == 0 || self.caps.all().any(|(_, c)| c.object == Object::Endpoint(id) && c.badge == badge) {
            return;
        }
        for thread in stranded.into_iter().flatten() {
            self.dequeue(id, thread, true);
            self.wake(machine, thread, Err(Error::PeerGone));
        }
    }

    /// Returns the `cost` bytes of one object to Memory object `id`, which may then be freed.
    pub(super) fn uncharge(&mut self, id: MemoryId, cost: u64) {
        self.refund(id, cost, 1);
    }

    /// Returns `bytes` charged by `charges` objects to Memory object `id`, which may then be
    /// freed.
    pub(super) fn refund(&mut self, id: MemoryId, bytes: u64, charges: u32) {
        if let Some(m) = self.memories.get_mut(id) {
            m.used -= bytes;
            m.charges -= charges;
        }
        self.free_memory_if_unused(id);
    }

    /// Frees Memory objects with no capability and nothing charged to them, refunding each
    /// one's parent (which may then go too).
    fn free_memory_if_unused(&mut self, mut id: MemoryId) {
        while let Some(m) = self.memories.get(id) {
            if m.caps > 0 || m.charges > 0 {
                return;
            }
            let (budget, parent) = (m.budget, m.parent);
            self.memories.remove(id);
            let Some(parent) = parent else { return };
            if let Some(p) = self.memories.get_mut(parent) {
                p.used -= MEMORY_COST + budget;
                p.charges -= 1;
            }
            id = parent;
        }
    }

    /// Reclaims Memory object `id` at the end of the entry (see `reclaim_memory`).
    fn doom_memory(&mut self, id: MemoryId) {
        let listed = self.doomed_memories[..self.doomed_memory_count].contains(&Some(id));
        if let (false, Some(slot)) = (listed, self.doomed_memories.get_mut(self.doomed_memory_count)) {
            *slot = Some(id);
            self.doomed_memory_count += 1;
            self.work_left = true;
        }
    }

    /// Memory object `id` lost its last capability while objects were still charged to it:
    /// every one of them goes now, whatever still refers to it, cycles included (a thread
    /// that alone holds the capability to its own capability space, say). Capabilities to
    /// child Memory objects go, so that each is reclaimed in turn; threads are destroyed
    /// (started ones are reported); capability spaces are destroyed with what they hold;
    /// the capabilities to its endpoints, notifications, frames and address spaces are
    /// deleted wherever they are, and each goes with its last one. What a thread charged
    /// elsewhere still uses (its address space, its IPC buffer) goes with that thread.
    ///
    /// The boot Memory object, which nothing made, is never reclaimed this way: its last
    /// capability goes when init ends, and the servers init started then still finish.
    ///
    /// It is preemptible like `cap_revoke`: when an interrupt waits it stops, and `id` stays
    /// doomed, so the end of the next entry goes on from what is left (see `settle`).
    pub(super) fn reclaim_memory<M: Machine>(&mut self, machine: &mut M, id: MemoryId) -> Revoked {
        if self.memories.get(id).is_none_or(|m| m.caps > 0 || m.parent.is_none()) {
            return Revoked::Done;
        }
        if self.reclaim_charged(machine, id, &mut PreemptionPoints::new()) == Revoked::Preempted {
            self.doom_memory(id);
            return Revoked::Preempted;
        }
        self.free_memory_if_unused(id);
        Revoked::Done
    }

    /// Destroys every object charged to Memory object `id`, as `reclaim_memory` says; the
    /// Memory object itself stays (for a revoke of its capability). Linear in the kernel's
    /// tables: one pass over the threads, one over the capability spaces, one over every
    /// capability slot. Each thread or space destroyed and each capability deleted is a step
    /// of `points`; stopped part way, the same call made again goes on from what is left.
    fn reclaim_charged<M: Machine>(
        &mut self,
        machine: &mut M,
        id: MemoryId,
        points: &mut PreemptionPoints,
    ) -> Revoked {
        let charged_to_it = Some(id);
        for index in 0..MAX_THREADS as u16 {
            let Some(thread) = self.threads.handle_at(index) else { continue };
            if let Some(t) = self.threads.get(thread).filter(|t| t.memory == charged_to_it) {
                if t.started {
                    self.report(machine, thread, format_args!("destroyed: its Memory was reclaimed"));
                }
                self.destroy(machine, thread);
                if points.stop_after_step(machine) {
                    return Revoked::Preempted;
                }
            }
        }
        let mut cspaces = [None; MAX_CSPACES];
        for (slot, (cspace, _)) in cspaces.iter_mut().zip(self.caps.spaces()) {
            *slot = Some(cspace);
        }
        for cspace in cspaces.into_iter().flatten() {
            if self.caps.space(cspace).is_some_and(|c| c.memory == charged_to_it) {
                self.destroy_cspace(machine, cspace);
                if points.stop_after_step(machine) {
                    return Revoked::Preempted;
                }
            }
        }
        // Every capability to what else it paid for goes; each object goes with its last
        // one (a child Memory object is then reclaimed in turn).
        for cspace in cspaces.into_iter().flatten() {
            for slot in (0..CSPACE_SLOTS).filter_map(|n| Slot::new(n).ok()) {
                let at = SlotRef { cspace, slot };
                if self.caps.get_ref(at).is_some_and(|cap| self.paid_by(cap.object, id)) {
                    let _ = self.delete_cap(machine, at);
                    if points.stop_after_step(machine) {
                        return Revoked::Preempted;
                    }
                }
            }
        }
        Revoked::Done
    }

    /// Whether `object` is an endpoint, notification, address space, Frame or child Memory
    /// object that Memory object `id` paid for.
    fn paid_by(&self, object: Object, id: MemoryId) -> bool {
        match object {
            Object::Endpoint(e) => self.endpoints.get(e).is_some_and(|e| e.memory == id),
            Object::Notification(n) => self.notifications.get(n).is_some_and(|n| n.memory == id),
            Object::AddressSpace(s) => self.spaces.get(s).is_some_and(|s| s.memory == Some(id)),
            Object::Frame(f) => self.frames.get(f).is_some_and(|f| f.memory == id),
            Object::Memory(m) => self.memories.get(m).is_some_and(|m| m.parent == Some(id)),
            _ => false,
        }
    }

    /// Deletes every capability, in any space, whose object `names_it` picks: one pass over
    /// every slot (a deletion empties slots, never fills one).
    pub(super) fn delete_all_naming<M: Machine>(
        &mut self,
        machine: &mut M,
        names_it: impl Fn(Object) -> bool,
    ) {
        let mut cspaces = [None; MAX_CSPACES];
        for (slot, (cspace, _)) in cspaces.iter_mut().zip(self.caps.spaces()) {
            *slot = Some(cspace);
        }
        for cspace in cspaces.into_iter().flatten() {
            for slot in (0..CSPACE_SLOTS).filter_map(|n| Slot::new(n).ok()) {
                let at = SlotRef { cspace, slot };
                if self.caps.get_ref(at).is_some_and(|cap| names_it(cap.object)) {
                    let _ = self.delete_cap(machine, at);
                }
            }
        }
    }

    /// Puts a Thread capability to `thread`, with every right, in the empty slot `at`.
    pub fn give_thread_cap(&mut self, thread: ThreadId, at: SlotRef) -> Result<(), Error> {
        self.threads.get(thread).ok_or(Error::InvalidArgument)?;
        self.caps.check_empty(at)?;
        self.caps.insert_original(at, Capability::original(Object::Thread(thread)));
        self.retain(Object::Thread(thread));
        Ok(())
    }

    /// Checks that every capability names a live object, that each object's count of
    /// capabilities and each Memory object's charges are right, that queued threads are in
    /// the state their queue says, and the derivation lists. For the tests.
    ///
    /// It also finds objects nothing can reach any more, which the kernel should have
    /// reclaimed, by each kind's lifetime rule: anything charged to a dead Memory object; an
    /// endpoint or notification with no capability; a Frame or address space with neither
    /// capability nor user; a capability space no thread uses and only its own slots name,
    /// or a boot thread's that outlived its thread; a thread with no capability that is not
    /// running (never started, or suspended), a thread awaiting a reply that no thread can
    /// give, and a faulted thread that is neither sending its fault nor awaiting the answer;
    /// a Memory object with neither capability nor charge; and, under a made Memory object
    /// whose last capability is gone, anything reclaiming it removes (a thread, capability
    /// space, endpoint or notification, or a Frame, address space or child Memory object
    /// some capability still names). Linear in the kernel's tables but for the Frame and
    /// address-space user counts.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        self.caps.check_invariants()?;
        let mut endpoint_caps = [0u32; crate::objects::MAX_ENDPOINTS];
        let mut memory_caps = [0u32; crate::objects::MAX_MEMORIES];
        let mut frame_caps = [0u32; crate::pages::MAX_FRAMES];
        let mut space_caps = [0u32; crate::pages::MAX_SPACES];
        let mut cspace_caps = [0u32; crate::cspace::MAX_CSPACES];
        let mut thread_caps = [0u32; MAX_THREADS];
        let mut notification_caps = [0u32; crate::objects::MAX_NOTIFICATIONS];
        let mut irq_caps = [0u32; crate::abi::IRQ_LINES as usize];
        for (_, cap) in self.caps.all() {
            match cap.object {
                Object::CSpace(id) => {
                    self.caps.space(id).ok_or("a capability names a dead capability space")?;
                    cspace_caps[id.index()] += 1;
                }
                Object::Thread(id) => {
                    self.threads.get(id).ok_or("a capability names a dead thread")?;
                    thread_caps[id.index()] += 1;
                }
                Object::Endpoint(id) => {
                    self.endpoints.get(id).ok_or("a capability names a dead endpoint")?;
                    endpoint_caps[id.index()] += 1;
                }
                Object::Memory(id) => {
                    self.memories.get(id).ok_or("a capability names a dead Memory object")?;
                    memory_caps[id.index()] += 1;
                }
                Object::Frame(id) => {
                    self.frames.get(id).ok_or("a capability names a dead Frame")?;
                    frame_caps[id.index()] += 1;
                }
                Object::AddressSpace(id) => {
                    self.spaces.get(id).ok_or("a capability names a dead address space")?;
                    space_caps[id.index()] += 1;
                }
                Object::Notification(id) => {
                    self.notifications.get(id).ok_or("a capability names a dead notification")?;
                    notification_caps[id.index()] += 1;
                }
                Object::IrqHandler(line) => {
                    *irq_caps
                        .get_mut(usize::from(line))
                        .ok_or("an IrqHandler for a line that does not exist")? += 1;
                }
                Object::IrqControl | Object::IoPort { .. } => {}
            }
            match (cap.object, cap.mapping) {
                (_, None) => {}
                (Object::Frame(_), Some(mapping)) => {
                    self.spaces.get(mapping.space).ok_or("a mapping into a dead address space")?;
                }
                _ => return Err("a capability that is not a Frame's has a mapping"),
            }
        }
        let mut charged = [(0u64, 0u32); crate::objects::MAX_MEMORIES];
        // Per Memory object: whether something charged to it would go if it were reclaimed
        // (then its last capability must not be gone).
        let mut reclaimable = [false; crate::objects::MAX_MEMORIES];
        // Per thread (by table index): whether it is in a wait queue. A thread in none must
        // have no links, which joining an empty queue relies on (`WaitQueue::enqueue`).
        let mut queued = [false; MAX_THREADS];
        for (id, ep) in self.endpoints.iter() {
            if ep.caps != endpoint_caps[id.index()] || ep.caps == 0 {
                return Err("endpoint capability count is wrong");
            }
            self.memories.get(ep.memory).ok_or("an endpoint is charged to a dead Memory object")?;
            charged[ep.memory.index()].0 += ENDPOINT_COST;
            charged[ep.memory.index()].1 += 1;
            reclaimable[ep.memory.index()] = true;
            for (queue, sending) in [(ep.senders, true), (ep.receivers, false)] {
                for index in queue.iter(&self.waiting) {
                    queued[usize::from(index)] = true;
                    let thread = self.threads.handle_at(index).ok_or("a dead thread is queued")?;
                    let ok = match self.threads.get(thread).map(|t| t.state) {
                        Some(ThreadState::Sending { endpoint, .. }) => sending && endpoint == id,
                        Some(ThreadState::Receiving { endpoint }) => !sending && endpoint == id,
                        _ => false,
                    };
                    if !ok {
                        return Err("a queued thread is not blocked on that queue");
                    }
                }
            }
        }
        for (line, state) in self.irq_lines.iter().enumerate() {
            if state.caps != irq_caps[line] {
                return Err("IrqHandler capability count is wrong");
            }
            if state.notification.is_some_and(|(n, _)| self.notifications.get(n).is_none()) {
                return Err("a line signals a dead notification");
            }
        }
        for (id, n) in self.notifications.iter() {
            if n.caps != notification_caps[id.index()] || n.caps == 0 {
                return Err("notification capability count is wrong");
            }
            self.memories.get(n.memory).ok_or("a notification is charged to a dead Memory object")?;
            charged[n.memory.index()].0 += NOTIFICATION_COST;
            charged[n.memory.index()].1 += 1;
            reclaimable[n.memory.index()] = true;
            if !n.waiters.is_empty() && n.word != 0 {
                return Err("threads wait on a notification that has bits");
            }
            for index in n.waiters.iter(&self.waiting) {
                queued[usize::from(index)] = true;
                let thread = self.threads.handle_at(index).ok_or("a dead thread waits")?;
                if self.threads.get(thread).map(|t| t.state)
                    != Some(ThreadState::Waiting { notification: id })
                {
                    return Err("a thread queued on a notification is not waiting on it");
                }
            }
            if let Some(thread) = n.bound {
                let binding = self.threads.get(thread).and_then(|t| t.binding);
                if binding.map(|b| b.notification) != Some(id) {
                    return Err("a notification is bound to a thread that is not bound to it");
                }
            }
        }
        for (id, frame) in self.frames.iter() {
            let users = self.threads.iter().filter(|(_, t)| t.ipc_buffer == Some(id)).count();
            if frame.caps != frame_caps[id.index()] || frame.users as usize != users {
                return Err("Frame capability or user count is wrong");
            }
            if frame.caps == 0 && frame.users == 0 {
                return Err("an unused Frame was not freed");
            }
            self.memories.get(frame.memory).ok_or("a Frame is charged to a dead Memory object")?;
            charged[frame.memory.index()].0 += FRAME_COST;
            charged[frame.memory.index()].1 += 1;
            // A Frame some thread uses as its IPC buffer outlives its Memory object's
            // capabilities (it goes with that thread), but none of its own.
            reclaimable[frame.memory.index()] |= frame.caps > 0;
        }
        for (id, space) in self.spaces.iter() {
            let threads = self.threads.iter().filter(|(_, t)| t.space == Some(id)).count();
            if space.caps != space_caps[id.index()] || space.threads as usize != threads {
                return Err("address space capability or thread count is wrong");
            }
            if space.caps == 0 && space.threads == 0 {
                return Err("an unused address space was not freed");
            }
            if let Some(memory) = space.memory {
                self.memories.get(memory).ok_or("an address space is charged to a dead Memory object")?;
                charged[memory.index()].0 += u64::from(space.tables + 1) * PAGE_TABLE_COST;
                charged[memory.index()].1 += space.tables + 1;
                // Like a Frame: its threads may keep it, its capabilities may not.
                reclaimable[memory.index()] |= space.caps > 0;
            }
        }
        for (id, cspace) in self.caps.spaces() {
            let threads = self.threads.iter().filter(|(_, t)| t.cspace == Some(id)).count();
            if cspace.caps != cspace_caps[id.index()] || cspace.threads as usize != threads {
                return Err("capability space capability or thread count is wrong");
            }
            if self.cspace_is_unreachable(id) {
                return Err("an unreachable capability space was not freed");
            }
            match cspace.memory {
                Some(memory) => {
                    self.memories
                        .get(memory)
                        .ok_or("a capability space is charged to a dead Memory object")?;
                    charged[memory.index()].0 += CSPACE_COST;
                    charged[memory.index()].1 += 1;
                    reclaimable[memory.index()] = true;
                }
                // Only `spawn` makes these, each for its thread, and it goes with that thread.
                None if cspace.threads == 0 => return Err("a boot capability space outlived its thread"),
                None => {}
            }
        }
        let stale =
            (0..MAX_THREADS as u16).find(|&i| !queued[usize::from(i)] && !self.waiting.is_unlinked(i));
        if stale.is_some() {
            return Err("a thread in no wait queue has wait links");
        }
        // Per thread (by table index): the live threads that hold the right to answer it.
        let mut answerers = [0u8; MAX_THREADS];
        for (_, thread) in self.threads.iter() {
            if let Some(caller) = thread.reply_to.map(|r| r.caller).filter(|&c| self.threads.get(c).is_some())
            {
                answerers[caller.index()] += 1;
            }
        }
        for (id, thread) in self.threads.iter() {
            if thread.caps != thread_caps[id.index()] {
                return Err("thread capability count is wrong");
            }
            if thread.caps == 0 && (!thread.started || thread.suspended) {
                return Err("a thread nothing can start was not ended");
            }
            if thread.started && thread.cspace.is_none() {
                return Err("a started thread has no capability space");
            }
            let awaits_reply = thread.state == ThreadState::AwaitingReply;
            match answerers[id.index()] {
                0 if awaits_reply => return Err("a thread awaits a reply no thread can give"),
                n if n > 1 || (n == 1 && !awaits_reply) => {
                    return Err("a reply right names a thread that does not await it alone")
                }
                _ => {}
            }
            if thread.fault.is_some() && !matches!(thread.state, ThreadState::Sending { .. }) && !awaits_reply
            {
                return Err("a faulted thread neither sends its fault nor awaits the answer");
            }
            if let Some(binding) = thread.binding {
                let bound = self.notifications.get(binding.notification).and_then(|n| n.bound);
                if bound != Some(id) {
                    return Err("a thread is bound to a notification that is not bound to it");
                }
                if binding.ast && thread.ast.handler.is_none() {
                    return Err("a thread takes ASTs with no handler");
                }
            }
            if let Some(memory) = thread.memory {
                self.memories.get(memory).ok_or("a thread is charged to a dead Memory object")?;
                charged[memory.index()].0 += THREAD_COST;
                charged[memory.index()].1 += 1;
                reclaimable[memory.index()] = true;
            }
        }
        for (id, m) in self.memories.iter() {
            if m.caps != memory_caps[id.index()] {
                return Err("Memory capability count is wrong");
            }
            if m.caps == 0 && m.charges == 0 {
                return Err("an unused Memory object was not freed");
            }
            if m.used > m.budget {
                return Err("a Memory object is overdrawn");
            }
            if let Some(parent) = m.parent {
                self.memories.get(parent).ok_or("a Memory object's parent is dead")?;
                charged[parent.index()].0 += MEMORY_COST + m.budget;
                charged[parent.index()].1 += 1;
                // A child with no capability is being reclaimed already (checked below).
                reclaimable[parent.index()] |= m.caps > 0;
            }
        }
        for (id, m) in self.memories.iter() {
            if (m.used, m.charges) != charged[id.index()] {
                return Err("Memory accounting is unbalanced");
            }
            // The boot Memory object is never reclaimed: what it paid for lives on its own. A
            // reclamation that stopped for an interrupt keeps its Memory object doomed.
            let doomed = self.doomed_memories[..self.doomed_memory_count].contains(&Some(id));
            if m.caps == 0 && m.parent.is_some() && reclaimable[id.index()] && !doomed {
                return Err("an object charged to a Memory object with no capability was not reclaimed");
            }
        }
        for (id, thread) in self.threads.iter() {
            let queued_on = |endpoint: EndpointId, senders: bool| {
                self.endpoints.get(endpoint).is_some_and(|ep| {
                    let queue = if senders { ep.senders } else { ep.receivers };
                    queue.iter(&self.waiting).any(|i| i == id.raw_index())
                })
            };
            match thread.state {
                ThreadState::Sending { endpoint, .. } if !queued_on(endpoint, true) => {
                    return Err("a sending thread is not queued")
                }
                ThreadState::Receiving { endpoint } if !queued_on(endpoint, false) => {
                    return Err("a receiving thread is not queued")
                }
                ThreadState::Waiting { notification } => {
                    let queued = self
                        .notifications
                        .get(notification)
                        .is_some_and(|n| n.waiters.iter(&self.waiting).any(|i| i == id.raw_index()));
                    if !queued {
                        return Err("a waiting thread is not queued");
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}
