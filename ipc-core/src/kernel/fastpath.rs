//! The IPC fastpath: `call` and `reply_recv` of register-only messages, when the partner is
//! already waiting and may run at once, done in one straight run and a direct switch.
//!
//! Each fastpath is a guarded copy of a subset of the general path (`kernel/ipc.rs`). It
//! first checks every precondition, changing nothing; any unusual case returns `None` and
//! the general path runs instead. After the last check (the point of no return) it makes
//! exactly the changes the general path would make, in fewer steps: no decoding into a
//! `Syscall`, one look-up of each object, the message copied context to context
//! ([`Machine::pass_registers`]), and the woken partner put on the CPU directly, as
//! `make_ready` does when the CPU is free and nothing ready is as urgent. The blocked side is
//! left off the run queue, as in the general path.
//!
//! The preconditions, for both calls:
//! - the message is register-only: at most `REGISTER_WORDS` words, no capabilities, a valid
//!   info word;
//! - the capability is an endpoint with the right the call needs (Write for `call`, Read for
//!   `reply_recv`);
//! - a partner waits: a receiver on the endpoint for `call`; for `reply_recv`, a live caller
//!   awaiting this reply (not a faulted thread) and no sender queued on the endpoint;
//! - the partner is strictly more urgent than every ready thread (else the general path
//!   would queue it behind an equal);
//! - the partner is not suspended and has no AST binding (an AST could be due when it wakes),
//!   and `reply_recv`'s receiver has no bound-notification bits pending.
//!
//! `fastpath_matches_general_path` (host, `fastpath_tests.rs`) runs random kernels through
//! both paths and compares the whole outcome.

use crate::abi::{Rights, Slot, SyscallNumber, REGISTER_WORDS};
use crate::cspace::{Capability, Object, SlotRef};
use crate::machine::Machine;
use crate::sched::RunQueue;
use crate::thread::{ReplyRight, Thread, ThreadId, ThreadState};

use super::{Kernel, TIME_SLICE_TICKS};

/// An info word of a register-only message: bits 0–6 a length of at most `REGISTER_WORDS`,
/// bits 7–15 (capability count and reserved bits) zero; the label above is free.
fn register_only(info: u64) -> bool {
    info & 0xffff <= REGISTER_WORDS as u64
}

impl Kernel {
    /// Carries out system call `number` on the fastpath if it qualifies. Returns the partner
    /// it put on the CPU if it did: the partner is `current`, with its result set, and nothing
    /// is left to settle or schedule. `None` means nothing changed.
    #[inline]
    pub(super) fn fastpath<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        number: u64,
    ) -> Option<ThreadId> {
        let call = number == SyscallNumber::Call as u64;
        if !(call || number == SyscallNumber::ReplyRecv as u64) || !self.fastpath_enabled {
            return None;
        }
        // The message words stay in the caller's registers until `pass_registers` copies them.
        let [slot, info, ..] = machine.arguments(caller);
        if !register_only(info) {
            return None;
        }
        let taken = if call {
            self.fast_call(machine, caller, slot)
        } else {
            self.fast_reply_recv(machine, caller, slot)
        };
        #[cfg(test)]
        FASTPATH_TAKEN.with(|n| n.set(n.get() + u64::from(taken.is_some())));
        taken
    }

    /// `call` on the fastpath: the waiting receiver takes the message and the reply right,
    /// the caller awaits the reply, and the receiver runs.
    #[inline]
    fn fast_call<M: Machine>(&mut self, machine: &mut M, caller: ThreadId, slot: u64) -> Option<ThreadId> {
        let Some(&Capability { object: Object::Endpoint(endpoint), rights, badge, .. }) =
            self.fast_capability(self.threads.get(caller)?, slot)
        else {
            return None;
        };
        let ep = self.endpoints.get_mut(endpoint)?;
        let head = ep.receivers.head()?;
        let (receiver, r) = self.threads.at_index_mut(head)?;
        if !rights.contains(Rights::WRITE) || !may_run_at_once(r, &self.ready) {
            return None;
        }
        // Point of no return.
        r.reply_to = Some(ReplyRight { caller, endpoint, grant: rights.contains(Rights::GRANT_REPLY) });
        run_directly(r);
        ep.receivers.remove_head(&mut self.waiting, head);
        ep.stats.messages += 1;
        ep.stats.calls += 1;
        machine.pass_registers(caller, receiver, badge);
        if let Some(t) = self.threads.get_mut(caller) {
            t.state = ThreadState::AwaitingReply;
        }
        self.current = Some(receiver);
        Some(receiver)
    }

    /// `reply_recv` on the fastpath: the caller gets the answer and runs, and this thread
    /// waits on the endpoint.
    #[inline]
    fn fast_reply_recv<M: Machine>(
        &mut self,
        machine: &mut M,
        server: ThreadId,
        slot: u64,
    ) -> Option<ThreadId> {
        let s = self.threads.get(server)?;
        let Some(&Capability { object: Object::Endpoint(endpoint), rights, .. }) =
            self.fast_capability(s, slot)
        else {
            return None;
        };
        let right = s.reply_to?;
        let (caller, replied_through, priority) = (right.caller, right.endpoint, s.priority);
        let pending = s
            .binding
            .as_ref()
            .is_some_and(|b| !b.ast && self.notifications.get(b.notification).is_some_and(|n| n.word != 0));
        if !rights.contains(Rights::READ) || pending {
            return None;
        }
        let ep = self.endpoints.get_mut(endpoint)?;
        if !ep.senders.is_empty() {
            return None;
        }
        match self.threads.get_mut(caller) {
            Some(c)
                if c.state == ThreadState::AwaitingReply
                    && c.fault.is_none()
                    && may_run_at_once(c, &self.ready) =>
            {
                // Point of no return.
                run_directly(c);
            }
            _ => return None,
        }
        machine.pass_registers(server, caller, 0);
        ep.receivers.enqueue(&mut self.waiting, server.raw_index(), priority);
        // The answer counts where the call came in: usually the endpoint in hand.
        if replied_through == endpoint {
            ep.stats.replies += 1;
        } else if let Some(replied) = self.endpoints.get_mut(replied_through) {
            replied.stats.replies += 1;
        }
        if let Some(t) = self.threads.get_mut(server) {
            t.reply_to = None;
            t.state = ThreadState::Receiving { endpoint };
        }
        self.current = Some(caller);
        Some(caller)
    }

    /// The capability in slot `raw` of thread `t`'s space (`None` when `raw` is no slot).
    #[inline]
    fn fast_capability(&self, t: &Thread, raw: u64) -> Option<&Capability> {
        let slot = Slot::new(raw).ok()?;
        self.caps.get_ref(SlotRef { cspace: t.cspace?, slot })
    }
}

/// Whether blocked thread `t` would run at once if woken now: strictly more urgent than every
/// ready thread (else the general path would queue it behind an equal), not suspended, and
/// with no AST to take.
#[inline]
fn may_run_at_once(t: &Thread, ready: &RunQueue) -> bool {
    ready.is_outranked_by(t.priority) && !t.suspended && !t.binding.is_some_and(|b| b.ast)
}

/// Puts woken thread `t` on the CPU with a fresh time slice, as `make_ready` and then
/// `schedule` would (the caller makes it `current`).
#[inline]
fn run_directly(t: &mut Thread) {
    t.slice_left = TIME_SLICE_TICKS;
    t.state = ThreadState::Running;
}

#[cfg(test)]
std::thread_local! {
    /// How many system calls this test thread's kernels carried out on the fastpath.
    pub(super) static FASTPATH_TAKEN: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
}
