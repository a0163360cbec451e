//! Synchronous rendezvous IPC: `send`, `nb_send`, `call`, `recv`, `nb_recv`, `reply` and
//! `reply_recv`, each validating everything before it changes anything.
//!
//! A message never waits in the kernel: a sender that finds no receiver blocks with its
//! message in its own registers and IPC buffer, and the receiver that takes it copies it
//! straight from there. Register words travel as values; words beyond them are copied once,
//! buffer to buffer; capabilities are copied as children of the sender's.

use crate::abi::{
    Error, IpcBuffer, Message, MessageInfo, Rights, SendKind, Slot, MAX_MESSAGE_CAPS, REGISTER_WORDS,
};
use crate::cspace::{Object, SlotRef};
use crate::machine::Machine;
use crate::objects::{EndpointId, EndpointStats};
use crate::thread::{ReplyRight, Sender, ThreadId, ThreadState};

use super::Kernel;

/// A message on its way from a sender to a receiver: its info word, validated, and where its
/// register words are.
#[derive(Clone, Copy, Debug)]
pub(super) struct InTransit {
    /// The info word as the sender gave it ([`MessageInfo::decode`] accepted it): when all its
    /// capabilities arrive, the receiver gets it unchanged.
    info: u64,
    words: Words,
}

/// Where the register words of a message in transit are.
#[derive(Clone, Copy, Debug)]
pub(super) enum Words {
    /// In the sender's argument slots, as its system call made them (every message a thread
    /// sends): they go context to context when the message moves, read once.
    InArguments,
    /// Made by the kernel: a fault message.
    Made([u64; REGISTER_WORDS]),
}

impl InTransit {
    /// The message a thread sends with info word `info`, its words in its argument slots;
    /// fails as [`MessageInfo::decode`] does.
    #[inline(always)]
    pub(super) fn sent(info: u64) -> Result<InTransit, Error> {
        MessageInfo::decode(info)?;
        Ok(InTransit { info, words: Words::InArguments })
    }

    /// A message the kernel made.
    pub(super) fn made(message: Message) -> InTransit {
        InTransit { info: message.info.encode(), words: Words::Made(message.words) }
    }

    /// Its label, length and capability count.
    #[inline(always)]
    fn info(self) -> MessageInfo {
        MessageInfo::unpack(self.info)
    }
}

impl Kernel {
    /// `send`, `nb_send` and `call` through the endpoint capability at `slot`.
    #[inline(always)]
    pub(super) fn send<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        slot: SlotRef,
        message: InTransit,
        kind: SendKind,
    ) -> Result<(), Error> {
        let cap = self.caps.get_ref(slot).ok_or(Error::EmptySlot)?;
        let endpoint = endpoint_of(cap.object)?;
        if !cap.rights.contains(Rights::WRITE) {
            return Err(Error::MissingRights);
        }
        let sender = Sender {
            badge: cap.badge,
            grant: cap.rights.contains(Rights::GRANT),
            call: (kind == SendKind::Call).then_some(cap.rights.contains(Rights::GRANT_REPLY)),
        };
        self.check_caps_to_send(machine, caller, message.info(), sender.grant)?;
        if kind == SendKind::NonBlocking && self.endpoint_queue_head(endpoint, false).is_none() {
            return Err(Error::WouldBlock);
        }
        // Validated: from here on the call succeeds.
        self.deliver(machine, caller, endpoint, sender, message);
        Ok(())
    }

    /// Hands `message` from `caller` to the first receiver waiting on `endpoint`, or queues
    /// `caller` until one comes. For a call (or a fault), `caller` then awaits the reply.
    #[inline(always)]
    pub(super) fn deliver<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        endpoint: EndpointId,
        sender: Sender,
        message: InTransit,
    ) {
        // One look-up of the endpoint and of the receiver: it leaves the queue, the message
        // is counted, and a call's receiver gets the right to reply.
        let Some(ep) = self.endpoints.get_mut(endpoint) else { return };
        let waiting = ep.receivers.head().and_then(|head| Some((head, self.threads.at_index_mut(head)?)));
        let Some((head, (receiver, r))) = waiting else {
            self.enqueue(caller, endpoint, ThreadState::Sending { endpoint, sender });
            return;
        };
        ep.receivers.remove_head(&mut self.waiting, head);
        ep.stats.messages += 1;
        ep.stats.calls += u64::from(sender.call.is_some());
        if let Some(grant) = sender.call {
            r.reply_to = Some(ReplyRight { caller, endpoint, grant });
        }
        match sender.call {
            Some(_) => self.block(caller, ThreadState::AwaitingReply),
            None => machine.set_result(caller, Ok(0)),
        }
        self.make_ready(receiver);
        // The message moves last (see `transfer`).
        let caps = self.transfer(machine, caller, receiver, sender, message);
        if caps > 0 {
            self.count_caps(endpoint, caps);
        }
    }

    /// `recv` and `nb_recv` on the endpoint capability at `slot`. Receiving ends any call this
    /// thread has not answered: that caller wakes with `PeerGone`.
    #[inline(always)]
    pub(super) fn recv<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        slot: SlotRef,
        blocking: bool,
    ) -> Result<(), Error> {
        let endpoint = self.endpoint_with(slot, Rights::READ)?;
        let sender = self.endpoint_queue_head(endpoint, true);
        if sender.is_none() && !blocking && !self.bound_signal_pending(caller) {
            return Err(Error::WouldBlock);
        }
        // Validated: from here on the call succeeds.
        self.drop_reply_right(machine, caller);
        self.receive(machine, caller, endpoint, sender);
        Ok(())
    }

    /// The validated receive of `recv` and `reply_recv` on `endpoint`, whose first queued
    /// sender is `sender`: bound-notification bits first, then the sender's message, else
    /// `caller` waits.
    #[inline(always)]
    fn receive<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        endpoint: EndpointId,
        sender: Option<ThreadId>,
    ) {
        if let Some(bits) = self.take_bound_signal(caller) {
            machine.set_values(caller, super::notify::signal_values(bits));
            return;
        }
        match sender {
            Some(sender) => self.take_from_sender(machine, endpoint, sender, caller),
            None => self.enqueue(caller, endpoint, ThreadState::Receiving { endpoint }),
        }
    }

    /// `reply`: answers the caller whose `call` this thread received last, consuming the
    /// right to do so. Fails with `PeerGone` (the right consumed all the same) when that
    /// caller has died.
    pub(super) fn reply<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        message: InTransit,
    ) -> Result<(), Error> {
        let right = self.check_reply(machine, caller, message)?;
        self.answer(machine, caller, right, message)
    }

    /// `reply_recv`: `reply`, then `recv` on `slot`, validated together up front. When the
    /// caller being answered has died, it fails with `PeerGone` and does not receive.
    #[inline(always)]
    pub(super) fn reply_recv<M: Machine>(
        &mut self,
        machine: &mut M,
        caller: ThreadId,
        slot: SlotRef,
        message: InTransit,
    ) -> Result<(), Error> {
        let endpoint = self.endpoint_with(slot, Rights::READ)?;
        let right = self.check_reply(machine, caller, message)?;
        let sender = self.endpoint_queue_head(endpoint, true);
        if sender.is_none() && !self.bound_signal_pending(caller) && self.awaits_reply(right.caller) {
            // This thread will wait: it queues first, so that the caller it answers finds the
            // CPU free and runs at once (see `make_ready`). Nothing the answer does depends on
            // the order, and it cannot fail now.
            self.enqueue(caller, endpoint, ThreadState::Receiving { endpoint });
            return self.answer(machine, caller, right, message);
        }
        self.answer(machine, caller, right, message)?;
        // The answer took the reply right: nothing is left to drop before receiving.
        self.receive(machine, caller, endpoint, sender);
        Ok(())
    }

    /// `endpoint_stats`: the traffic of the endpoint at `slot` (needs Read).
    pub(super) fn endpoint_stats(&self, slot: SlotRef) -> Result<EndpointStats, Error> {
        let endpoint = self.endpoint_with(slot, Rights::READ)?;
        self.endpoints.get(endpoint).map(|e| e.stats).ok_or(Error::EmptySlot)
    }

    /// Ends `thread`'s unanswered call, if it has one: the caller wakes with `PeerGone`.
    #[inline]
    pub(super) fn drop_reply_right<M: Machine>(&mut self, machine: &mut M, thread: ThreadId) {
        let Some(right) = self.threads.get_mut(thread).and_then(|t| t.reply_to.take()) else { return };
        if self.awaits_reply(right.caller) {
            self.wake(machine, right.caller, Err(Error::PeerGone));
        }
    }

    /// Whether `caller` is alive and waiting for the answer to a call. A reply right names
    /// its caller by generation-checked id, so a dead caller never matches its successor.
    #[inline(always)]
    fn awaits_reply(&self, caller: ThreadId) -> bool {
        self.threads.get(caller).is_some_and(|c| c.state == ThreadState::AwaitingReply)
    }

    /// Validates a reply: a reply right to use, and Grant for any capabilities it carries.
    #[inline(always)]
    fn check_reply<M: Machine>(
        &self,
        machine: &mut M,
        caller: ThreadId,
        message: InTransit,
    ) -> Result<ReplyRight, Error> {
        let right = self.threads.get(caller).and_then(|t| t.reply_to).ok_or(Error::NoReply)?;
        self.check_caps_to_send(machine, caller, message.info(), right.grant)?;
        Ok(right)
    }

    /// Consumes `right` and delivers the answer; `PeerGone` when the caller no longer waits.
    #[inline(always)]
    fn answer<M: Machine>(
        &mut self,
        machine: &mut M,
        replier: ThreadId,
        right: ReplyRight,
        message: InTransit,
    ) -> Result<(), Error> {
        if let Some(t) = self.threads.get_mut(replier) {
            t.reply_to = None;
        }
        if !self.awaits_reply(right.caller) {
            return Err(Error::PeerGone);
        }
        // A reply to a fault message carries nothing: the thread resumes where it faulted,
        // with its registers untouched.
        // The replier's own result is left to its system call: `reply` sets it, and
        // `reply_recv` receives next, its registers intact while it waits (an AST may make
        // that `recv` again).
        // Either way the reply counts on the endpoint the call came through.
        if let Some(faulted) = self.threads.get_mut(right.caller).filter(|t| t.fault.is_some()) {
            faulted.fault = None;
            if let Some(ep) = self.endpoints.get_mut(right.endpoint) {
                ep.stats.replies += 1;
            }
            self.make_ready(right.caller);
            return Ok(());
        }
        if let Some(ep) = self.endpoints.get_mut(right.endpoint) {
            ep.stats.replies += 1;
        }
        self.make_ready(right.caller);
        // The message moves last (see `transfer`).
        let sender = Sender { badge: 0, grant: right.grant, call: None };
        let caps = self.transfer(machine, replier, right.caller, sender, message);
        if caps > 0 {
            self.count_caps(right.endpoint, caps);
        }
        Ok(())
    }

    /// A receiver takes the message of the queued sender at table index `sender`.
    #[inline(always)]
    fn take_from_sender<M: Machine>(
        &mut self,
        machine: &mut M,
        endpoint: EndpointId,
        sender: ThreadId,
        receiver: ThreadId,
    ) {
        let Some(ThreadState::Sending { sender: how, .. }) = self.threads.get(sender).map(|t| t.state) else {
            return;
        };
        self.dequeue(endpoint, sender, true);
        // The arguments were validated when the sender queued and have not changed since; a
        // thread stopped on a fault sends the fault instead.
        let message = match self.threads.get(sender).and_then(|t| t.fault) {
            Some(fault) => InTransit::made(fault.message()),
            None => {
                InTransit::sent(machine.arguments(sender)[1]).unwrap_or(InTransit::made(Message::default()))
            }
        };
        self.transfer_through(machine, sender, receiver, endpoint, how, message);
        if how.call.is_none() {
            self.wake(machine, sender, Ok(0));
        }
    }

    /// `transfer` of a message sent through `endpoint`, counted there. For a call, `to`
    /// receives the right to reply and `from` waits for it.
    #[inline(always)]
    fn transfer_through<M: Machine>(
        &mut self,
        machine: &mut M,
        from: ThreadId,
        to: ThreadId,
        endpoint: EndpointId,
        sender: Sender,
        message: InTransit,
    ) {
        if let Some(stats) = self.endpoints.get_mut(endpoint).map(|e| &mut e.stats) {
            stats.messages += 1;
            stats.calls += u64::from(sender.call.is_some());
        }
        if let Some(grant) = sender.call {
            if let Some(t) = self.threads.get_mut(to) {
                t.reply_to = Some(ReplyRight { caller: from, endpoint, grant });
            }
            self.block(from, ThreadState::AwaitingReply);
        }
        // The message moves last (see `transfer`).
        let caps = self.transfer(machine, from, to, sender, message);
        if caps > 0 {
            self.count_caps(endpoint, caps);
        }
    }

    /// Counts `caps` capabilities that arrived through `endpoint`: out of line, since most
    /// messages carry none.
    #[cold]
    fn count_caps(&mut self, endpoint: EndpointId, caps: u8) {
        if let Some(ep) = self.endpoints.get_mut(endpoint) {
            ep.stats.caps += u64::from(caps);
        }
    }

    /// Moves a message from `from` to `to` and sets `to`'s result: words beyond the registers
    /// buffer to buffer, then the capabilities, then the values. Returns how many
    /// capabilities arrived.
    ///
    /// The callers move the message after every other change the call makes: the buffer copy
    /// writes memory the compiler cannot see into, so whatever the kernel looked up before it
    /// would have to be looked up again after it.
    #[inline(always)]
    fn transfer<M: Machine>(
        &mut self,
        machine: &mut M,
        from: ThreadId,
        to: ThreadId,
        sender: Sender,
        message: InTransit,
    ) -> u8 {
        let info = message.info();
        let length = usize::from(info.length);
        if length > REGISTER_WORDS {
            machine.copy_ipc_words(from, to, REGISTER_WORDS..length);
        }
        // The receiver's info word says how many capabilities arrived.
        let (caps, received) = match info.caps {
            0 => (0, message.info),
            count => {
                let caps = self.transfer_caps(machine, from, to, count);
                (caps, MessageInfo { caps, ..info }.encode())
            }
        };
        match message.words {
            Words::InArguments => machine.pass_words(from, to, sender.badge, received),
            Words::Made(words) => {
                let values = Message { info: MessageInfo::unpack(received), words }.values(sender.badge);
                machine.set_values(to, values);
            }
        }
        caps
    }

    /// Copies up to `count` capabilities named in `from`'s `send_caps` into the slots `to`
    /// named in its `receive_slots`, each a child of the sender's. Stops at the first one that
    /// cannot land (the receiver named no empty slot for it, or the sender's slot was emptied
    /// while it waited); returns how many arrived, which the receiver sees in its info word.
    // Out of line: most messages carry no capability, and this one's arrays would otherwise
    // weigh on every transfer.
    #[inline(never)]
    fn transfer_caps<M: Machine>(&mut self, machine: &mut M, from: ThreadId, to: ThreadId, count: u8) -> u8 {
        let (mut sent, mut slots) = ([0; MAX_MESSAGE_CAPS], [0; MAX_MESSAGE_CAPS]);
        machine.read_ipc_buffer(from, IpcBuffer::SEND_CAPS, &mut sent);
        machine.read_ipc_buffer(to, IpcBuffer::RECEIVE_SLOTS, &mut slots);
        let mut arrived = 0;
        for (&source, &dest) in sent.iter().zip(&slots).take(usize::from(count)) {
            let (Ok(source), Ok(dest)) = (Slot::new(source), Slot::new(dest)) else { break };
            let (Some(source), Some(dest)) = (self.slot_of(from, source), self.slot_of(to, dest)) else {
                break;
            };
            let Ok(cap) = self.caps.get(source) else { break };
            if self.caps.check_empty(dest).is_err() {
                break;
            }
            self.caps.insert_derived(source, dest, cap);
            self.retain(cap.object);
            arrived += 1;
        }
        arrived
    }

    /// Checks the capabilities a message carries: Grant on the capability it goes through, and
    /// a valid, occupied slot for each.
    #[inline(always)]
    fn check_caps_to_send<M: Machine>(
        &self,
        machine: &mut M,
        sender: ThreadId,
        info: MessageInfo,
        grant: bool,
    ) -> Result<(), Error> {
        match (info.caps, grant) {
            (0, _) => Ok(()),
            (_, false) => Err(Error::GrantRequired),
            (count, true) => self.check_caps_in_buffer(machine, sender, count),
        }
    }

    /// The slots `sender` names for the `count` capabilities of its message: valid and
    /// occupied. Out of line, as in `transfer_caps`.
    #[inline(never)]
    fn check_caps_in_buffer<M: Machine>(
        &self,
        machine: &mut M,
        sender: ThreadId,
        count: u8,
    ) -> Result<(), Error> {
        let mut sent = [0; MAX_MESSAGE_CAPS];
        machine.read_ipc_buffer(sender, IpcBuffer::SEND_CAPS, &mut sent);
        for &slot in &sent[..usize::from(count)] {
            let at = self.slot_of(sender, Slot::new(slot)?).ok_or(Error::EmptySlot)?;
            self.caps.get(at)?;
        }
        Ok(())
    }

    /// The endpoint the capability at `slot` names, if it has `rights`.
    #[inline(always)]
    fn endpoint_with(&self, slot: SlotRef, rights: Rights) -> Result<EndpointId, Error> {
        let cap = self.caps.get_ref(slot).ok_or(Error::EmptySlot)?;
        let endpoint = endpoint_of(cap.object)?;
        if !cap.rights.contains(rights) {
            return Err(Error::MissingRights);
        }
        Ok(endpoint)
    }

    /// The first thread queued on `endpoint` as a sender (or as a receiver).
    #[inline(always)]
    fn endpoint_queue_head(&self, endpoint: EndpointId, senders: bool) -> Option<ThreadId> {
        let ep = self.endpoints.get(endpoint)?;
        let queue = if senders { ep.senders } else { ep.receivers };
        self.threads.handle_at(queue.head()?)
    }

    /// Blocks the current thread `thread` in `state`, queued on `endpoint`.
    #[inline(always)]
    fn enqueue(&mut self, thread: ThreadId, endpoint: EndpointId, state: ThreadState) {
        let Some(priority) = self.threads.get(thread).map(|t| t.priority) else { return };
        let Some(ep) = self.endpoints.get_mut(endpoint) else { return };
        let queue =
            if matches!(state, ThreadState::Sending { .. }) { &mut ep.senders } else { &mut ep.receivers };
        queue.enqueue(&mut self.waiting, thread.raw_index(), priority);
        self.block(thread, state);
    }

    /// Takes `thread` off `endpoint`'s sender (or receiver) queue.
    #[inline(always)]
    pub(super) fn dequeue(&mut self, endpoint: EndpointId, thread: ThreadId, sender: bool) {
        let Some(ep) = self.endpoints.get_mut(endpoint) else { return };
        let queue = if sender { &mut ep.senders } else { &mut ep.receivers };
        queue.remove(&mut self.waiting, thread.raw_index());
    }
}

/// The endpoint `object` is, or `WrongType`.
fn endpoint_of(object: Object) -> Result<EndpointId, Error> {
    match object {
        Object::Endpoint(endpoint) => Ok(endpoint),
        _ => Err(Error::WrongType),
    }
}
