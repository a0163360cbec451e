//! Threads and capability spaces made from user space: `thread_configure`, `thread_start`,
//! `thread_suspend`, `thread_resume`, `thread_notify_exit`, `thread_set_name`, and the lives of both kinds of
//! object — a thread ends when it exits, is destroyed, or is not running when its last
//! capability goes; a capability space goes with its last thread, or when no thread ever used
//! it and only its own slots still name it.

use crate::abi::{
    Error, Rights, Slot, ThreadRunState, UserBuffer, CSPACE_COST, CSPACE_SLOTS, THREAD_NAME_MAX, VALUE_SLOTS,
};
use crate::cspace::{CSpaceId, Object, SlotRef};
use crate::machine::Machine;
use crate::pages::FrameId;
use crate::thread::{Name, ThreadId, ThreadState};

use super::notify::{notification_with, signal_bits};
use super::{Ending, Kernel};

impl Kernel {
    /// `thread_configure`: gives the never-configured thread at `thread` (Write) the
    /// capability space, address space and IPC buffer whose capabilities are at `uses` (a
    /// CSpace and an AddressSpace with Write, a Frame with Read and Write), and `priority`,
    /// which may not be above `caller`'s own. The thread then counts as one of their users.
    pub(super) fn configure<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        thread: SlotRef,
        uses: [SlotRef; 3],
        priority: u8,
    ) -> Result<(), Error> {
        let target = self.thread_with(thread, Rights::WRITE)?;
        let [cspace, space, buffer] = uses.map(|at| self.caps.get(at));
        let (cspace, space, buffer) = (cspace?, space?, buffer?);
        let (Object::CSpace(cspace_id), Object::AddressSpace(space_id), Object::Frame(frame_id)) =
            (cspace.object, space.object, buffer.object)
        else {
            return Err(Error::WrongType);
        };
        if !cspace.rights.contains(Rights::WRITE)
            || !space.rights.contains(Rights::WRITE)
            || !buffer.rights.contains(Rights::READ | Rights::WRITE)
        {
            return Err(Error::MissingRights);
        }
        if priority > self.threads.get(caller).map_or(0, |t| t.priority) {
            return Err(Error::MissingRights);
        }
        let t = self.threads.get(target).ok_or(Error::EmptySlot)?;
        if t.started || t.cspace.is_some() {
            return Err(Error::InvalidState);
        }
        // Capabilities only name live objects, so none of these lookups fails.
        let root = self.spaces.get(space_id).ok_or(Error::EmptySlot)?.root;
        let page = self.frames.get(frame_id).ok_or(Error::EmptySlot)?.page;
        if let Some(c) = self.caps.space_mut(cspace_id) {
            c.threads += 1;
        }
        if let Some(s) = self.spaces.get_mut(space_id) {
            s.threads += 1;
        }
        if let Some(f) = self.frames.get_mut(frame_id) {
            f.users += 1;
        }
        if let Some(t) = self.threads.get_mut(target) {
            (t.cspace, t.space, t.ipc_buffer, t.priority) =
                (Some(cspace_id), Some(space_id), Some(frame_id), priority);
        }
        machine.set_thread_space(target, root, page);
        Ok(())
    }

    /// `thread_start`: the configured, never-started thread at `thread` (Write) becomes ready
    /// to run at `ip` with stack pointer `sp` (both user addresses: checked by decoding). A
    /// thread suspended before it starts stays inactive until it is resumed.
    pub(super) fn start<M: Machine>(
        &mut self,
        machine: &mut M,
        thread: SlotRef,
        ip: u64,
        sp: u64,
        argument: u64,
    ) -> Result<(), Error> {
        let target = self.thread_with(thread, Rights::WRITE)?;
        let t = self.threads.get_mut(target).ok_or(Error::EmptySlot)?;
        if t.started || t.cspace.is_none() {
            return Err(Error::InvalidState);
        }
        t.started = true;
        machine.set_thread_entry(target, ip, sp, argument);
        self.make_ready(target);
        Ok(())
    }

    /// `thread_suspend`: `thread` runs no more instructions until it is resumed. A ready or
    /// running thread becomes inactive at once. A thread blocked in its own IPC (sending,
    /// receiving, or awaiting the reply to a call) leaves no trace there (DESIGN.md, decision
    /// 6): it leaves its queue, a reply right for its call answers `PeerGone`, and the call
    /// returns `Cancelled` when the thread is resumed. Any other blocked thread (sleeping,
    /// waiting on a notification, stopped on a fault) stays blocked, its operation completes
    /// as usual, and it then becomes inactive instead of ready. Suspending a suspended thread
    /// does nothing.
    pub(super) fn suspend<M: Machine>(&mut self, machine: &mut M, thread: ThreadId) {
        let Some(t) = self.threads.get_mut(thread) else { return };
        if t.suspended {
            return;
        }
        t.suspended = true;
        let own_ipc = t.fault.is_none();
        match t.state {
            ThreadState::Ready => {
                t.state = ThreadState::Inactive;
                self.ready.remove(thread.raw_index());
            }
            ThreadState::Running => self.block(thread, ThreadState::Inactive),
            ThreadState::Sending { endpoint, .. } if own_ipc => {
                self.dequeue(endpoint, thread, true);
                self.cancel_ipc(machine, thread);
            }
            ThreadState::Receiving { endpoint } => {
                self.dequeue(endpoint, thread, false);
                self.cancel_ipc(machine, thread);
            }
            ThreadState::AwaitingReply if own_ipc => {
                // The right to answer this call dies: it names no thread any more.
                for (_, holder) in self.threads.iter_mut() {
                    if let Some(right) = holder.reply_to.as_mut().filter(|r| r.caller == thread) {
                        right.caller = ThreadId::NOTHING;
                    }
                }
                self.cancel_ipc(machine, thread);
            }
            _ => {}
        }
        if self.threads.get(thread).is_some_and(|t| t.caps == 0) {
            self.end_later(thread, Ending::Unreachable);
        }
    }

    /// Ends the IPC operation `thread` was blocked in (it is off every queue already): it
    /// is inactive, and its call returns `Cancelled` when it runs again.
    fn cancel_ipc<M: Machine>(&mut self, machine: &mut M, thread: ThreadId) {
        if let Some(t) = self.threads.get_mut(thread) {
            t.state = ThreadState::Inactive;
        }
        machine.set_result(thread, Err(Error::Cancelled));
    }

    /// `thread_resume`: a suspended thread may run again (and is ready, if it had started and
    /// nothing blocks it). Resuming a thread that is not suspended does nothing.
    pub(super) fn resume(&mut self, thread: ThreadId) {
        let Some(t) = self.threads.get_mut(thread) else { return };
        if !t.suspended {
            return;
        }
        t.suspended = false;
        if t.started && t.state == ThreadState::Inactive {
            self.make_ready(thread);
        }
    }

    /// `thread_notify_exit`: when `thread` ends, however it ends, the notification at
    /// `notification` (Write) is signalled with that capability's badge (bit 0 if unbadged).
    /// A later call replaces the earlier. This is how a parent learns its children ended.
    pub(super) fn notify_exit(&mut self, thread: ThreadId, notification: SlotRef) -> Result<(), Error> {
        let cap = self.caps.get(notification)?;
        let id = notification_with(cap, Rights::WRITE)?;
        if let Some(t) = self.threads.get_mut(thread) {
            t.exit_notification = Some((id, signal_bits(cap)));
        }
        Ok(())
    }

    /// `thread_info`: the number, state, priority and suspension (1 if suspended) of the
    /// thread at `slot` (Read), as value slots.
    pub(super) fn thread_info(&self, caller: ThreadId, slot: SlotRef) -> Result<[u64; VALUE_SLOTS], Error> {
        let thread = self.thread_with(slot, Rights::READ)?;
        let t = self.threads.get(thread).ok_or(Error::EmptySlot)?;
        let state = match t.state {
            _ if thread == caller => ThreadRunState::Running,
            ThreadState::Inactive => ThreadRunState::Inactive,
            ThreadState::Ready => ThreadRunState::Ready,
            ThreadState::Running => ThreadRunState::Running,
            ThreadState::Sleeping { .. } => ThreadRunState::Sleeping,
            ThreadState::Sending { .. } => ThreadRunState::Sending,
            ThreadState::Receiving { .. } => ThreadRunState::Receiving,
            ThreadState::AwaitingReply => ThreadRunState::AwaitingReply,
            ThreadState::Waiting { .. } => ThreadRunState::Waiting,
        };
        Ok([thread.number(), state.into(), u64::from(t.priority), u64::from(t.suspended), 0, 0])
    }

    /// `thread_set_name`: the name the kernel's reports give the thread at `thread` (Write):
    /// UTF-8 read from `caller`'s memory.
    pub(super) fn set_name<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        thread: SlotRef,
        name: UserBuffer,
    ) -> Result<(), Error> {
        let target = self.thread_with(thread, Rights::WRITE)?;
        let mut bytes = [0u8; THREAD_NAME_MAX as usize];
        let bytes = &mut bytes[..name.len as usize];
        machine.read_user(caller, name.addr, bytes)?;
        let name = core::str::from_utf8(bytes).map_err(|_| Error::InvalidArgument)?;
        if let Some(t) = self.threads.get_mut(target) {
            t.name = Name::new(name);
        }
        Ok(())
    }

    /// A capability to thread `id` is gone. A thread that is not running (never started, or
    /// suspended) ends with its last capability: nothing could ever start it again.
    pub(super) fn release_thread(&mut self, id: ThreadId) {
        let Some(t) = self.threads.get_mut(id) else { return };
        t.caps -= 1;
        if t.caps == 0 && (!t.started || t.suspended) {
            self.end_later(id, Ending::Unreachable);
        }
    }

    /// A thread of capability space `id` has ended. With its last thread the space goes at
    /// once, and every capability to it: nothing can use it again.
    pub(super) fn leave_cspace<M: Machine>(&mut self, machine: &mut M, id: CSpaceId) {
        let Some(cspace) = self.caps.space_mut(id) else { return };
        cspace.threads -= 1;
        if cspace.threads == 0 {
            self.destroy_cspace(machine, id);
        }
    }

    /// Whether capability space `id` is alive, no thread uses it, and only its own slots name
    /// it: then nothing can ever reach it again.
    pub(super) fn cspace_is_unreachable(&self, id: CSpaceId) -> bool {
        self.caps.space(id).is_some_and(|c| c.threads == 0 && c.caps == self.caps.self_references(id))
    }

    /// Destroys capability space `id` at the end of the entry if it is unreachable.
    pub(super) fn doom_cspace_if_unreachable(&mut self, id: CSpaceId) {
        let listed = self.doomed_cspaces[..self.doomed_count].contains(&Some(id));
        if listed || !self.cspace_is_unreachable(id) {
            return;
        }
        if let Some(slot) = self.doomed_cspaces.get_mut(self.doomed_count) {
            *slot = Some(id);
            self.doomed_count += 1;
            self.work_left = true;
        }
    }

    /// Destroys capability space `id`: every capability naming it goes (so nothing can put
    /// more in), then everything in it, then the space, and its Memory object is refunded.
    ///
    /// Linear in its 128 slots, unless capabilities outside it name it (when its last thread
    /// ends, or its Memory object is reclaimed): those are found in a pass over every slot.
    pub(super) fn destroy_cspace<M: Machine>(&mut self, machine: &mut M, id: CSpaceId) {
        if self.caps.space(id).is_some_and(|c| c.caps > self.caps.self_references(id)) {
            self.delete_all_naming(machine, |object| object == Object::CSpace(id));
        }
        // Deleting a capability never fills a slot, so one pass empties the space.
        for slot in (0..CSPACE_SLOTS).filter_map(|n| Slot::new(n).ok()) {
            let _ = self.delete_cap(machine, SlotRef { cspace: id, slot });
        }
        let Some(memory) = self.caps.space(id).map(|c| c.memory) else { return };
        self.caps.destroy_space(id);
        if let Some(memory) = memory {
            self.uncharge(memory, CSPACE_COST);
        }
    }

    /// A thread using Frame `id` as its IPC buffer has ended: the page goes if no capability
    /// names it any more.
    pub(super) fn stop_using_frame<M: Machine>(&mut self, machine: &mut M, id: FrameId) {
        let Some(frame) = self.frames.get_mut(id) else { return };
        frame.users -= 1;
        self.free_frame_if_unused(machine, id);
    }
}
