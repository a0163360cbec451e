//! Synchronous IPC on endpoints: `send`, `recv`, `call`, `reply`, `reply_recv` and their
//! non-blocking forms, with messages of up to 64 words and 3 capabilities.
//!
//! A [`Message`] carries its label, length and first four words in registers; the
//! [`long`](Message::long) constructors put the rest in this thread's IPC buffer, and
//! [`word`] reads received words back from it.

pub use tryst_abi::EndpointStats;
use tryst_abi::{
    status_to_result, IpcBuffer, Message, MessageInfo, Slot, Syscall, SyscallNumber, MAX_MESSAGE_CAPS,
    MAX_MESSAGE_WORDS, NOTIFICATION_INFO, NO_RECEIVE_SLOT, REGISTER_WORDS, VALUE_SLOTS,
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
    #[inline]
    fn long(label: u64, words: &[u64]) -> Message {
        let words = &words[..words.len().min(MAX_MESSAGE_WORDS)];
        if let Some(beyond) = words.get(REGISTER_WORDS..) {
            raw::set_ipc_words(REGISTER_WORDS, beyond);
        }
        let mut message = Message::short(label, words);
        message.info.length = words.len() as u8;
        message
    }

    #[inline(always)]
    fn short(label: u64, words: &[u64]) -> Message {
        let n = words.len().min(REGISTER_WORDS);
        // Word by word, so that a message built from constants compiles to register moves.
        let words = core::array::from_fn(|i| if i < n { words[i] } else { 0 });
        Message { info: MessageInfo::new(label, n as u8), words }
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
/// order (at most three); the rest say [`NO_RECEIVE_SLOT`], so no capability beyond these
/// lands anywhere.
pub fn set_receive_slots(slots: &[Slot]) {
    for i in 0..MAX_MESSAGE_CAPS {
        let slot = slots.get(i).map_or(NO_RECEIVE_SLOT, |&slot| u64::from(slot));
        raw::set_ipc_word(IpcBuffer::RECEIVE_SLOTS + i, slot);
    }
}

/// Makes IPC system call `number` on the endpoint in slot `endpoint` with `message` in the
/// argument registers; returns the value slots. Register moves and one `syscall`: the IPC
/// calls below compile to this, with no decoding tables in between.
#[inline(always)]
fn ipc_syscall(number: SyscallNumber, endpoint: u64, message: Message) -> Result<[u64; VALUE_SLOTS], Error> {
    let args = ipc_arguments(endpoint, message);
    // SAFETY: IPC calls name no memory of this process: the kernel reads the IPC buffer,
    // which is always mapped, and nothing else.
    let (status, values) = unsafe { raw::syscall(number.into(), args) };
    match status_to_result(status) {
        Ok(()) => Ok(values),
        Err(Ok(error)) => Err(error),
        Err(Err(unknown)) => crate::unknown_status(unknown),
    }
}

/// The argument slots of an IPC call: the endpoint's slot, the info word and the four register
/// words, as [`Syscall::encode`] lays them out (a test pins the two together).
#[inline(always)]
fn ipc_arguments(endpoint: u64, message: Message) -> [u64; 6] {
    let [w0, w1, w2, w3] = message.words;
    [endpoint, message.info.encode(), w0, w1, w2, w3]
}

/// `send`: waits until a receiver takes `message` from the endpoint in `endpoint` (needs Write).
#[inline]
pub fn send(endpoint: Slot, message: Message) -> Result<(), Error> {
    ipc_syscall(SyscallNumber::Send, endpoint.into(), message).map(drop)
}

/// `nb_send`: sends only if a receiver is already waiting, else [`Error::WouldBlock`].
#[inline]
pub fn nb_send(endpoint: Slot, message: Message) -> Result<(), Error> {
    ipc_syscall(SyscallNumber::NbSend, endpoint.into(), message).map(drop)
}

/// `call`: sends `message` and waits for the reply. [`Error::PeerGone`] when the server dies
/// (or the endpoint goes) before answering.
#[inline]
pub fn call(endpoint: Slot, message: Message) -> Result<Message, Error> {
    ipc_syscall(SyscallNumber::Call, endpoint.into(), message).map(|v| Message::from_values(v).1)
}

/// `recv`: waits for a message on `endpoint` (needs Read); returns the sender's badge and
/// the message.
#[inline]
pub fn recv(endpoint: Slot) -> Result<(u64, Message), Error> {
    ipc_syscall(SyscallNumber::Recv, endpoint.into(), Message::default()).map(Message::from_values)
}

/// `nb_recv`: receives only if a sender is already waiting, else [`Error::WouldBlock`].
#[inline]
pub fn nb_recv(endpoint: Slot) -> Result<(u64, Message), Error> {
    ipc_syscall(SyscallNumber::NbRecv, endpoint.into(), Message::default()).map(Message::from_values)
}

/// `reply`: answers the caller this thread last received a `call` from.
#[inline]
pub fn reply(message: Message) -> Result<(), Error> {
    ipc_syscall(SyscallNumber::Reply, 0, message).map(drop)
}

/// `reply_recv`: answers the last caller, then waits for the next message on `endpoint`.
#[inline]
pub fn reply_recv(endpoint: Slot, message: Message) -> Result<(u64, Message), Error> {
    ipc_syscall(SyscallNumber::ReplyRecv, endpoint.into(), message).map(Message::from_values)
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
    ipc_syscall(SyscallNumber::Recv, endpoint.into(), Message::default()).map(Event::from_values)
}

/// `reply_recv` for a thread with a bound notification: answers the last caller, then waits
/// for a message or a signal.
pub fn reply_recv_event(endpoint: Slot, message: Message) -> Result<Event, Error> {
    ipc_syscall(SyscallNumber::ReplyRecv, endpoint.into(), message).map(Event::from_values)
}

/// `endpoint_stats`: the traffic counters the kernel keeps for the endpoint in `endpoint`
/// (needs Read).
pub fn endpoint_stats(endpoint: Slot) -> Result<EndpointStats, Error> {
    let v = crate::call(Syscall::EndpointStats { endpoint })?;
    Ok(EndpointStats { messages: v[0], calls: v[1], replies: v[2], caps: v[3] })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tryst_abi::SendKind;

    /// The IPC calls build their argument slots themselves, without `Syscall::encode`: the
    /// same slots, for every IPC call the kernel decodes.
    #[test]
    fn ipc_arguments_are_what_encode_makes() {
        let endpoint = Slot::new(5).unwrap();
        let message =
            Message { info: MessageInfo { label: 0x1234, length: 3, caps: 1 }, words: [9, 8, 7, 6] };
        let slot = u64::from(endpoint);
        let cases = [
            (Syscall::Send { endpoint, message, kind: SendKind::Send }, SyscallNumber::Send, slot, message),
            (
                Syscall::Send { endpoint, message, kind: SendKind::NonBlocking },
                SyscallNumber::NbSend,
                slot,
                message,
            ),
            (Syscall::Send { endpoint, message, kind: SendKind::Call }, SyscallNumber::Call, slot, message),
            (Syscall::Recv { endpoint, blocking: true }, SyscallNumber::Recv, slot, Message::default()),
            (Syscall::Recv { endpoint, blocking: false }, SyscallNumber::NbRecv, slot, Message::default()),
            (Syscall::Reply { message }, SyscallNumber::Reply, 0, message),
            (Syscall::ReplyRecv { endpoint, message }, SyscallNumber::ReplyRecv, slot, message),
        ];
        for (call, number, slot, message) in cases {
            assert_eq!(call.encode(), (u64::from(number), ipc_arguments(slot, message)), "{call:?}");
        }
    }
}
