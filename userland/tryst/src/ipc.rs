//! Synchronous IPC on endpoints: `send`, `recv`, `call`, `reply`, `reply_recv` and their
//! non-blocking forms, with messages of up to 64 words and 3 capabilities.
//!
//! A [`Message`] carries its label, length and first four words in registers; the
//! [`long`](Message::long) constructors put the rest in this thread's IPC buffer, and
//! [`word`] reads received words back from it.

pub use tryst_abi::EndpointStats;
use tryst_abi::{
    IpcBuffer, Message, MessageInfo, SendKind, Slot, Syscall, MAX_MESSAGE_CAPS, MAX_MESSAGE_WORDS,
    NOTIFICATION_INFO, REGISTER_WORDS, VALUE_SLOTS,
};

use crate::{raw, Error};

/// Builds messages.
pub trait MessageExt: Sized {
    /// A message with `label` and `words` (at most [`MAX_MESSAGE_WORDS`]): the first four in
    /// registers, the rest written into this thread's IPC buffer now.
    fn long(label: u64, words: &[u64]) -> Self;
    /// A message of up to four register words.
    fn short(label: u64, words: &[u64]) -> Self;
    /// The same message carrying the capabilities in `slots` (at most three; the sending
    /// capability needs Grant). Their slot numbers are written into the IPC buffer now.
    fn with_caps(self, slots: &[Slot]) -> Self;
}

impl MessageExt for Message {
    fn long(label: u64, words: &[u64]) -> Message {
        let words = &words[..words.len().min(MAX_MESSAGE_WORDS)];
        for (i, &word) in words.iter().enumerate().skip(REGISTER_WORDS) {
            raw::set_ipc_word(i, word);
        }
        let mut message = Message::short(label, &words[..words.len().min(REGISTER_WORDS)]);
        message.info.length = words.len() as u8;
        message
    }

    fn short(label: u64, words: &[u64]) -> Message {
        let mut register_words = [0; REGISTER_WORDS];
        let n = words.len().min(REGISTER_WORDS);
        register_words[..n].copy_from_slice(&words[..n]);
        Message { info: MessageInfo::new(label, n as u8), words: register_words }
    }

    fn with_caps(mut self, slots: &[Slot]) -> Message {
        let slots = &slots[..slots.len().min(MAX_MESSAGE_CAPS)];
        for (i, &slot) in slots.iter().enumerate() {
            raw::set_ipc_word(IpcBuffer::SEND_CAPS + i, slot.into());
        }
        self.info.caps = slots.len() as u8;
        self
    }
}

/// Word `index` of the message just received: from its registers below four, else from this
/// thread's IPC buffer. Read it before the next IPC overwrites the buffer.
pub fn word(message: &Message, index: usize) -> u64 {
    match index {
        i if i < REGISTER_WORDS => message.words[i],
        i if i < MAX_MESSAGE_WORDS => raw::ipc_word(i),
        _ => 0,
    }
}

/// A server's answer in the convention the system's servers keep: a label of 0 is success,
/// any other is an error code ([`Error::InvalidArgument`] if it is not one).
pub fn answered(answer: &Message) -> Result<(), Error> {
    match answer.info.label {
        0 => Ok(()),
        code => Err(Error::try_from(code).unwrap_or(Error::InvalidArgument)),
    }
}

/// Names the empty slots where capabilities arriving in the next received message land, in
/// order (at most three).
pub fn set_receive_slots(slots: &[Slot]) {
    for i in 0..MAX_MESSAGE_CAPS {
        // Slot 0 is the process's own capability space, never empty: "no slot".
        let slot = slots.get(i).map_or(0, |&slot| u64::from(slot));
        raw::set_ipc_word(IpcBuffer::RECEIVE_SLOTS + i, slot);
    }
}

/// `send`: waits until a receiver takes `message` from the endpoint in `endpoint` (needs Write).
pub fn send(endpoint: Slot, message: Message) -> Result<(), Error> {
    crate::call(Syscall::Send { endpoint, message, kind: SendKind::Send }).map(drop)
}

/// `nb_send`: sends only if a receiver is already waiting, else [`Error::WouldBlock`].
pub fn nb_send(endpoint: Slot, message: Message) -> Result<(), Error> {
    crate::call(Syscall::Send { endpoint, message, kind: SendKind::NonBlocking }).map(drop)
}

/// `call`: sends `message` and waits for the reply. [`Error::PeerGone`] when the server dies
/// (or the endpoint goes) before answering.
pub fn call(endpoint: Slot, message: Message) -> Result<Message, Error> {
    crate::call(Syscall::Send { endpoint, message, kind: SendKind::Call }).map(|v| Message::from_values(v).1)
}

/// `recv`: waits for a message on `endpoint` (needs Read); returns the sender's badge and
/// the message.
pub fn recv(endpoint: Slot) -> Result<(u64, Message), Error> {
    crate::call(Syscall::Recv { endpoint, blocking: true }).map(Message::from_values)
}

/// `nb_recv`: receives only if a sender is already waiting, else [`Error::WouldBlock`].
pub fn nb_recv(endpoint: Slot) -> Result<(u64, Message), Error> {
    crate::call(Syscall::Recv { endpoint, blocking: false }).map(Message::from_values)
}

/// `reply`: answers the caller this thread last received a `call` from.
pub fn reply(message: Message) -> Result<(), Error> {
    crate::call(Syscall::Reply { message }).map(drop)
}

/// `reply_recv`: answers the last caller, then waits for the next message on `endpoint`.
pub fn reply_recv(endpoint: Slot, message: Message) -> Result<(u64, Message), Error> {
    crate::call(Syscall::ReplyRecv { endpoint, message }).map(Message::from_values)
}

/// What a `recv` brought a thread whose notification is bound to it in receive mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A message.
    Message {
        /// The badge of the sender's capability.
        badge: u64,
        /// What it sent.
        message: Message,
    },
    /// The bound notification was signalled.
    Signal {
        /// Its bits (taken: the word is zero again).
        bits: u64,
    },
}

impl Event {
    fn from_values(values: [u64; VALUE_SLOTS]) -> Event {
        if values[1] == NOTIFICATION_INFO {
            return Event::Signal { bits: values[0] };
        }
        let (badge, message) = Message::from_values(values);
        Event::Message { badge, message }
    }
}

/// `recv` for a thread with a bound notification: waits for a message on `endpoint` or a
/// signal, whichever comes first (pending bits come first).
pub fn recv_event(endpoint: Slot) -> Result<Event, Error> {
    crate::call(Syscall::Recv { endpoint, blocking: true }).map(Event::from_values)
}

/// `reply_recv` for a thread with a bound notification: answers the last caller, then waits
/// for a message or a signal.
pub fn reply_recv_event(endpoint: Slot, message: Message) -> Result<Event, Error> {
    crate::call(Syscall::ReplyRecv { endpoint, message }).map(Event::from_values)
}

/// `endpoint_stats`: the traffic counters the kernel keeps for the endpoint in `endpoint`
/// (needs Read).
pub fn endpoint_stats(endpoint: Slot) -> Result<EndpointStats, Error> {
    let v = crate::call(Syscall::EndpointStats { endpoint })?;
    Ok(EndpointStats { messages: v[0], calls: v[1], replies: v[2], caps: v[3] })
}
