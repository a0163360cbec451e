//! Asynchronous notification: `signal`, `wait` and `poll`; binding a notification to a thread
//! so that signals end its `recv` or interrupt it with ASTs; and the AST calls
//! `ast_set_handler`, `ast_mask` and `ast_return`.
//!
//! A notification is one word. `signal` ORs the badge of the capability used into it and
//! never blocks; `wait` takes the word, blocking while it is zero; `poll` takes it without
//! blocking (0: nothing pending). Signals nobody has taken yet are never lost, only merged.
//!
//! An AST (asynchronous system trap) interrupts a thread the way a Unix signal does. When the
//! thread's AST-bound notification has bits, the thread may take an AST (its handler is set,
//! ASTs are not masked, it is not in its handler already, and it is not stopped on a fault),
//! and it is about to return to user mode, the kernel takes the bits, saves the thread's user
//! context where only the kernel can reach it, and starts the handler with the bits.
//! `ast_return` puts the saved context back exactly. A thread blocked in `recv`, `send`,
//! `call` (before its message was taken), `wait` or `sleep` has that system call cancelled
//! before it took effect and made again after `ast_return`; a thread awaiting a reply, or not
//! running, takes the AST when the reply comes or it runs again.

use crate::abi::{BindMode, Error, Rights, SyscallNumber, NOTIFICATION_COST, NOTIFICATION_INFO, VALUE_SLOTS};
use crate::cspace::{Capability, Object, SlotRef};
use crate::machine::{Interrupted, Machine};
use crate::objects::NotificationId;
use crate::thread::{AstHandler, Binding, ThreadId, ThreadState};

use super::Kernel;

impl Kernel {
    /// `signal`: signals the notification at `slot` (needs Write) with the capability's
    /// badge. An unbadged capability signals bit 0.
    pub(super) fn signal<M: Machine>(&mut self, machine: &mut M, slot: SlotRef) -> Result<(), Error> {
        let cap = self.caps.get(slot)?;
        let id = notification_with(cap, Rights::WRITE)?;
        self.notify(machine, id, signal_bits(cap));
        Ok(())
    }

    /// ORs `bits` into notification `id`. The first thread waiting on it takes the word now;
    /// with none waiting, the thread it is bound to is alerted.
    pub fn notify<M: Machine>(&mut self, machine: &mut M, id: NotificationId, bits: u64) {
        let Some(n) = self.notifications.get_mut(id) else { return };
        n.word |= bits;
        if let Some(index) = n.waiters.dequeue(&mut self.waiting) {
            let word = core::mem::take(&mut n.word);
            if let Some(thread) = self.threads.handle_at(index) {
                machine.set_result(thread, Ok(word));
                self.make_ready(thread);
            }
        } else if let Some(thread) = n.bound {
            self.alert_bound(machine, thread);
        }
    }

    /// `wait` (`blocking`) and `poll` on the notification at `slot` (needs Read): the word,
    /// which is cleared. `poll` returns 0 when nothing is pending; `wait` blocks until a signal.
    pub(super) fn wait<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        slot: SlotRef,
        blocking: bool,
    ) -> Result<(), Error> {
        let id = notification_with(self.caps.get(slot)?, Rights::READ)?;
        let word = self.take_word(id);
        if word != 0 || !blocking {
            machine.set_result(caller, Ok(word));
            return Ok(());
        }
        let priority = self.threads.get(caller).map_or(0, |t| t.priority);
        if let Some(n) = self.notifications.get_mut(id) {
            n.waiters.enqueue(&mut self.waiting, caller.raw_index(), priority);
        }
        self.block(caller, ThreadState::Waiting { notification: id });
        Ok(())
    }

    /// `notification_bind`: binds the notification at `notification` (needs Read) to the
    /// thread at `thread` (needs Write). AST mode needs the thread's handler set first.
    pub(super) fn bind<M: Machine>(
        &mut self,
        machine: &mut M,
        thread: SlotRef,
        notification: SlotRef,
        mode: BindMode,
    ) -> Result<(), Error> {
        let target = self.thread_with(thread, Rights::WRITE)?;
        let id = notification_with(self.caps.get(notification)?, Rights::READ)?;
        let t = self.threads.get_mut(target).ok_or(Error::EmptySlot)?;
        let n = self.notifications.get_mut(id).ok_or(Error::EmptySlot)?;
        if t.binding.is_some() || n.bound.is_some() {
            return Err(Error::AlreadyBound);
        }
        if mode == BindMode::Ast && t.ast.handler.is_none() {
            return Err(Error::InvalidState);
        }
        t.binding = Some(Binding { notification: id, ast: mode == BindMode::Ast });
        n.bound = Some(target);
        // Bits signalled before the binding reach the thread now.
        if n.word != 0 {
            self.alert_bound(machine, target);
        }
        Ok(())
    }

    /// `notification_unbind`: the thread at `thread` (needs Write) and its notification part.
    pub(super) fn unbind(&mut self, thread: SlotRef) -> Result<(), Error> {
        let target = self.thread_with(thread, Rights::WRITE)?;
        let binding = self.threads.get(target).and_then(|t| t.binding).ok_or(Error::InvalidState)?;
        self.unbind_notification(target, binding.notification);
        Ok(())
    }

    /// Undoes the binding of `thread` and `notification` (either may be gone already).
    pub(super) fn unbind_notification(&mut self, thread: ThreadId, notification: NotificationId) {
        if let Some(t) = self.threads.get_mut(thread) {
            t.binding = None;
        }
        if let Some(n) = self.notifications.get_mut(notification) {
            n.bound = None;
        }
    }

    /// `ast_set_handler`: the thread at `thread` (needs Write) takes its ASTs at `entry`, on
    /// the stack whose top is `stack`.
    pub(super) fn set_ast_handler(&mut self, thread: SlotRef, handler: AstHandler) -> Result<(), Error> {
        let target = self.thread_with(thread, Rights::WRITE)?;
        if let Some(t) = self.threads.get_mut(target) {
            t.ast.handler = Some(handler);
        }
        Ok(())
    }

    /// `ast_mask`: the caller holds its ASTs pending (`masked`) or lets them in again (one
    /// pending is delivered before the call returns). Returns whether they were masked.
    pub(super) fn mask_ast(&mut self, caller: ThreadId, masked: bool) -> bool {
        let Some(t) = self.threads.get_mut(caller) else { return false };
        let was = core::mem::replace(&mut t.ast.masked, masked);
        self.ast_due(caller);
        was
    }

    /// `ast_return`: the caller leaves its AST handler and resumes the context the AST
    /// interrupted, exactly; a further AST pending is delivered at once.
    pub(super) fn ast_return<M: Machine>(&mut self, machine: &mut M, caller: ThreadId) -> Result<(), Error> {
        let t = self.threads.get_mut(caller).ok_or(Error::InvalidState)?;
        if !t.ast.in_handler {
            return Err(Error::InvalidState);
        }
        t.ast.in_handler = false;
        machine.leave_ast(caller);
        self.ast_due(caller);
        Ok(())
    }

    /// If `caller`'s notification is bound in receive mode and has bits, takes them: what a
    /// `recv` returns instead of a message.
    #[inline(always)]
    pub(super) fn take_bound_signal(&mut self, caller: ThreadId) -> Option<u64> {
        match self.threads.get(caller)?.binding? {
            Binding { notification, ast: false } => Some(self.take_word(notification)).filter(|&w| w != 0),
            Binding { ast: true, .. } => None,
        }
    }

    /// Whether `caller`'s notification is bound in receive mode and has bits.
    #[inline(always)]
    pub(super) fn bound_signal_pending(&self, caller: ThreadId) -> bool {
        let binding = self.threads.get(caller).and_then(|t| t.binding);
        binding.is_some_and(|b| !b.ast && self.notifications.get(b.notification).is_some_and(|n| n.word != 0))
    }

    /// A bound notification has bits for `thread`. In receive mode, a thread blocked in
    /// `recv` wakes with them. In AST mode, a thread that may take the AST takes it at its
    /// next return to user mode; a blocked one has its system call cancelled for that.
    fn alert_bound<M: Machine>(&mut self, machine: &mut M, thread: ThreadId) {
        let Some(t) = self.threads.get(thread) else { return };
        let (Some(binding), state) = (t.binding, t.state) else { return };
        if !binding.ast {
            if let ThreadState::Receiving { endpoint } = state {
                self.dequeue(endpoint, thread, false);
                let bits = self.take_word(binding.notification);
                machine.set_values(thread, signal_values(bits));
                self.make_ready(thread);
            }
            return;
        }
        let again = |number, arg0| Interrupted::Blocked { number, arg0 };
        let interrupted = match state {
            ThreadState::Ready | ThreadState::Running => return self.ast_due(thread),
            _ if !self.may_take_ast(thread) => return,
            ThreadState::Receiving { endpoint } => {
                self.dequeue(endpoint, thread, false);
                // `reply_recv` too: its reply is done, what is left is a `recv`.
                again(SyscallNumber::Recv, None)
            }
            ThreadState::Sending { endpoint, sender } => {
                self.dequeue(endpoint, thread, true);
                again(if sender.call.is_some() { SyscallNumber::Call } else { SyscallNumber::Send }, None)
            }
            ThreadState::Waiting { notification } => {
                self.stop_waiting(notification, thread);
                again(SyscallNumber::Wait, None)
            }
            // The same deadline: it sleeps what is left.
            ThreadState::Sleeping { until } => {
                again(SyscallNumber::Sleep, Some(until.saturating_sub(self.now)))
            }
            // Its call was taken (it takes the AST when the reply comes), or it is not running.
            ThreadState::AwaitingReply | ThreadState::Inactive => return,
        };
        self.enter_ast(machine, thread, interrupted);
        self.make_ready(thread);
    }

    /// Whether `thread` could take an AST now (whether or not one is pending).
    fn may_take_ast(&self, thread: ThreadId) -> bool {
        self.threads.get(thread).is_some_and(|t| {
            t.binding.is_some_and(|b| b.ast)
                && t.ast.handler.is_some()
                && !t.ast.masked
                && !t.ast.in_handler
                && t.fault.is_none()
        })
    }

    /// Marks `thread` to be offered its pending AST at the end of this entry, once its
    /// system call has its result (see `settle`).
    pub(super) fn ast_due(&mut self, thread: ThreadId) {
        self.ast_due |= 1 << thread.index();
        self.work_left = true;
    }

    /// Starts `thread`'s AST handler if it has bits pending and may take them.
    fn enter_ast<M: Machine>(&mut self, machine: &mut M, thread: ThreadId, interrupted: Interrupted) -> bool {
        if !self.may_take_ast(thread) {
            return false;
        }
        let Some(t) = self.threads.get(thread) else { return false };
        let (Some(binding), Some(handler)) = (t.binding, t.ast.handler) else { return false };
        let bits = self.take_word(binding.notification);
        if bits == 0 {
            return false;
        }
        if let Some(t) = self.threads.get_mut(thread) {
            t.ast.in_handler = true;
        }
        machine.enter_ast(thread, handler, bits, interrupted);
        true
    }

    /// Offers every thread marked by `ast_due` its pending AST, if it is running or ready
    /// (its context is then at a user instruction, or holds its system call's result).
    pub(super) fn deliver_due_asts<M: Machine>(&mut self, machine: &mut M) {
        while self.ast_due != 0 {
            let index = self.ast_due.trailing_zeros() as u16;
            self.ast_due &= self.ast_due - 1;
            let Some(thread) = self.threads.handle_at(index) else { continue };
            if matches!(
                self.threads.get(thread).map(|t| t.state),
                Some(ThreadState::Ready | ThreadState::Running)
            ) {
                self.enter_ast(machine, thread, Interrupted::Running);
            }
        }
    }

    /// Takes `thread`, blocked in `wait`, off `notification`'s queue.
    pub(super) fn stop_waiting(&mut self, notification: NotificationId, thread: ThreadId) {
        if let Some(n) = self.notifications.get_mut(notification) {
            n.waiters.remove(&mut self.waiting, thread.raw_index());
        }
    }

    /// Takes notification `id`'s word, leaving it zero.
    fn take_word(&mut self, id: NotificationId) -> u64 {
        self.notifications.get_mut(id).map_or(0, |n| core::mem::take(&mut n.word))
    }

    /// The notification's last capability is gone: threads waiting on it wake with
    /// `PeerGone`, its thread is unbound, interrupt lines stop signalling it, and its memory
    /// is refunded.
    pub(super) fn destroy_notification<M: Machine>(&mut self, machine: &mut M, id: NotificationId) {
        let Some(mut n) = self.notifications.remove(id) else { return };
        while let Some(index) = n.waiters.dequeue(&mut self.waiting) {
            if let Some(thread) = self.threads.handle_at(index) {
                self.wake(machine, thread, Err(Error::PeerGone));
            }
        }
        if let Some(thread) = n.bound {
            self.unbind_notification(thread, id);
        }
        self.forget_irq_notification(id);
        self.uncharge(n.memory, NOTIFICATION_COST);
    }
}

/// The bits a signal through `cap` sets: its badge, or bit 0 when it is unbadged.
pub(super) fn signal_bits(cap: Capability) -> u64 {
    if cap.badge == 0 {
        1
    } else {
        cap.badge
    }
}

/// The notification the capability names, if it has `rights`.
pub(super) fn notification_with(cap: Capability, rights: Rights) -> Result<NotificationId, Error> {
    match cap.object {
        Object::Notification(id) if cap.rights.contains(rights) => Ok(id),
        Object::Notification(_) => Err(Error::MissingRights),
        _ => Err(Error::WrongType),
    }
}

/// What `recv` returns when its bound notification ended it: the bits in the badge slot and
/// [`NOTIFICATION_INFO`] as the info word.
pub(super) fn signal_values(bits: u64) -> [u64; VALUE_SLOTS] {
    [bits, NOTIFICATION_INFO, 0, 0, 0, 0]
}
