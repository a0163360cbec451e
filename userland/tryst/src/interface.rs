//! Typed IPC interfaces: declare an interface once with [`interface!`](crate::interface!) and
//! get both sides of it, a client stub whose methods make the calls and a server trait with
//! the dispatch that decodes requests, calls the trait's methods and encodes their answers.
//!
//! ```ignore
//! tryst::interface! {
//!     /// A counter kept by a server.
//!     pub mod counter {
//!         /// Adds `n`; returns the new total.
//!         fn add(n: u64) -> u64 = 1;
//!         /// The total.
//!         fn total() -> u64 = 2;
//!     }
//! }
//! ```
//!
//! makes `counter::Client` (`client.add(5)? == 5`), `counter::Server` (a trait with
//! `fn add(&mut self, caller: u64, n: u64) -> Result<u64, Error>`, `caller` being the badge of
//! the capability the request came through), `counter::dispatch` and `counter::serve`.
//!
//! On the wire an operation is a message labelled with its number whose words are the
//! arguments, each taking [`Wire::WORDS`] words, in order. The answer's label is 0 and its words
//! the result, or the label is the [`Error`]'s code and there are no words. A request whose
//! label names no operation is answered [`Error::UnknownOperation`]; one whose words are too
//! few, too many or not a value of the argument's type (a `bool` of 2, a `u8` above 255, a
//! name that is not UTF-8) is answered [`Error::InvalidArgument`]. The server goes on either
//! way: nothing a client sends reaches a method unless it decoded.

use core::cell::Cell;
use core::fmt;

use tryst_abi::{Message, MAX_MESSAGE_WORDS, REGISTER_WORDS};

use crate::ipc::{self, MessageExt};
use crate::{caps, names, Error, Slot};

/// A value that travels in message words: a fixed number of them, so that a request's length
/// says whether it is well-formed.
pub trait Wire: Sized {
    /// How many words the value takes.
    const WORDS: usize;
    /// Writes the value into `out`, which is exactly [`WORDS`](Wire::WORDS) long.
    fn put(&self, out: &mut [u64]);
    /// Reads a value back from `words` (exactly [`WORDS`](Wire::WORDS) long); `None` if they
    /// hold no value of this type.
    fn take(words: &[u64]) -> Option<Self>;
}

impl Wire for () {
    const WORDS: usize = 0;
    fn put(&self, _: &mut [u64]) {}
    fn take(_: &[u64]) -> Option<()> {
        Some(())
    }
}

impl Wire for u64 {
    const WORDS: usize = 1;
    fn put(&self, out: &mut [u64]) {
        out[0] = *self;
    }
    fn take(words: &[u64]) -> Option<u64> {
        Some(words[0])
    }
}

impl Wire for i64 {
    const WORDS: usize = 1;
    fn put(&self, out: &mut [u64]) {
        out[0] = *self as u64;
    }
    fn take(words: &[u64]) -> Option<i64> {
        Some(words[0] as i64)
    }
}

macro_rules! narrow_unsigned {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            const WORDS: usize = 1;
            fn put(&self, out: &mut [u64]) {
                out[0] = u64::from(*self);
            }
            fn take(words: &[u64]) -> Option<$t> {
                <$t>::try_from(words[0]).ok()
            }
        }
    )*};
}
narrow_unsigned!(u8, u16, u32);

impl Wire for bool {
    const WORDS: usize = 1;
    fn put(&self, out: &mut [u64]) {
        out[0] = u64::from(*self);
    }
    fn take(words: &[u64]) -> Option<bool> {
        match words[0] {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Wire for Error {
    const WORDS: usize = 1;
    fn put(&self, out: &mut [u64]) {
        out[0] = u64::from(*self);
    }
    fn take(words: &[u64]) -> Option<Error> {
        Error::try_from(words[0]).ok()
    }
}

impl<T: Wire + Copy + Default, const N: usize> Wire for [T; N] {
    const WORDS: usize = T::WORDS * N;
    fn put(&self, out: &mut [u64]) {
        for (value, words) in self.iter().zip(out.chunks_exact_mut(T::WORDS.max(1))) {
            value.put(words);
        }
    }
    fn take(words: &[u64]) -> Option<[T; N]> {
        let mut values = [T::default(); N];
        for (value, words) in values.iter_mut().zip(words.chunks_exact(T::WORDS.max(1))) {
            *value = T::take(words)?;
        }
        Some(values)
    }
}

macro_rules! tuple {
    ($($name:ident)+) => {
        impl<$($name: Wire),+> Wire for ($($name,)+) {
            const WORDS: usize = 0 $(+ $name::WORDS)+;
            #[allow(non_snake_case)]
            fn put(&self, out: &mut [u64]) {
                let ($($name,)+) = self;
                let mut at = 0;
                $( $name.put(&mut out[at..at + $name::WORDS]); at += $name::WORDS; )+
                let _ = at;
            }
            #[allow(non_snake_case)]
            fn take(words: &[u64]) -> Option<Self> {
                let mut at = 0;
                $( let $name = $name::take(&words[at..at + $name::WORDS])?; at += $name::WORDS; )+
                let _ = at;
                Some(($($name,)+))
            }
        }
    };
}
tuple!(A);
tuple!(A B);
tuple!(A B C);
tuple!(A B C D);
tuple!(A B C D E);
tuple!(A B C D E F);

/// A short UTF-8 string of at most [`Name::MAX`] bytes, carried in three words: names of
/// services and of processes.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Name {
    bytes: [u8; Name::MAX],
    len: u8,
}

impl Name {
    /// The most bytes a name holds (a thread's name has as many).
    pub const MAX: usize = 24;

    /// `text` as a name; `None` if it is longer than [`Name::MAX`] bytes or holds a NUL.
    pub fn new(text: &str) -> Option<Name> {
        if text.len() > Name::MAX || text.bytes().any(|byte| byte == 0) {
            return None;
        }
        let mut name = Name { bytes: [0; Name::MAX], len: text.len() as u8 };
        name.bytes[..text.len()].copy_from_slice(text.as_bytes());
        Some(name)
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        // `new` and `take` accept only UTF-8.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl Wire for Name {
    const WORDS: usize = Name::MAX / 8;
    fn put(&self, out: &mut [u64]) {
        for (word, chunk) in out.iter_mut().zip(self.bytes.chunks_exact(8)) {
            *word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        }
    }
    fn take(words: &[u64]) -> Option<Name> {
        let mut bytes = [0u8; Name::MAX];
        for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        // Zero-padded: the text, then only NULs.
        let len = bytes.iter().position(|&byte| byte == 0).unwrap_or(Name::MAX);
        if bytes[len..].iter().any(|&byte| byte != 0) {
            return None;
        }
        Name::new(core::str::from_utf8(&bytes[..len]).ok()?)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Words gathered from a message's registers and its words in the IPC buffer, or to be sent
/// as one: the general path for values longer than the four register words.
#[derive(Clone, Copy)]
pub struct Words {
    words: [u64; MAX_MESSAGE_WORDS],
    len: usize,
}

impl Words {
    /// The words of `message`, just received (read before the next IPC overwrites the IPC
    /// buffer).
    pub fn of(message: &Message) -> Words {
        let len = usize::from(message.info.length).min(MAX_MESSAGE_WORDS);
        let mut words = [0; MAX_MESSAGE_WORDS];
        for (i, word) in words[..len].iter_mut().enumerate() {
            *word = ipc::word(message, i);
        }
        Words { words, len }
    }

    /// `value` encoded.
    pub fn encode<T: Wire>(value: &T) -> Words {
        let mut words = Words { words: [0; MAX_MESSAGE_WORDS], len: T::WORDS };
        value.put(&mut words.words[..T::WORDS]);
        words
    }

    /// The words, as a slice.
    pub fn as_slice(&self) -> &[u64] {
        &self.words[..self.len]
    }

    /// The value they encode: `None` unless they are exactly one value of type `T`.
    pub fn decode<T: Wire>(&self) -> Option<T> {
        match self.len == T::WORDS {
            true => T::take(self.as_slice()),
            false => None,
        }
    }
}

/// A message labelled `label` whose words are `value`. A value of up to four words travels in
/// the registers alone; a longer one is written into this thread's IPC buffer now.
#[inline]
pub fn message<T: Wire>(label: u64, value: &T) -> Message {
    const { assert!(T::WORDS <= MAX_MESSAGE_WORDS, "more words than a message holds") };
    if T::WORDS <= REGISTER_WORDS {
        // Most values fit the registers, and skip the 64-word buffer: filling and copying it
        // once cost a typed call some 750 instructions, a third of the round trip.
        let mut words = [0; REGISTER_WORDS];
        value.put(&mut words[..T::WORDS]);
        Message::short(label, &words[..T::WORDS])
    } else {
        Message::long(label, Words::encode(value).as_slice())
    }
}

/// The value that `message`, just received, carries: `None` unless its words are exactly one
/// value of type `T`.
#[inline]
pub fn decode<T: Wire>(message: &Message) -> Option<T> {
    if usize::from(message.info.length) != T::WORDS {
        None
    } else if T::WORDS <= REGISTER_WORDS {
        T::take(&message.words[..T::WORDS])
    } else {
        Words::of(message).decode()
    }
}

/// The answer to a request that returned `result`: labelled 0 with the value's words, or
/// labelled with the error's code and no words.
#[inline]
pub fn answer<T: Wire>(result: Result<T, Error>) -> Message {
    match result {
        Ok(value) => message(0, &value),
        Err(error) => Message::short(u64::from(error), &[]),
    }
}

/// Decodes the result an answer carries: the error its label names, or the value its words
/// hold ([`Error::InvalidArgument`] if they hold none).
#[inline]
pub fn result<T: Wire>(answer: &Message) -> Result<T, Error> {
    match answer.info.label {
        0 => decode(answer).ok_or(Error::InvalidArgument),
        code => Err(Error::try_from(code).unwrap_or(Error::InvalidArgument)),
    }
}

/// A client's connection to a server: its endpoint capability, and, if it came from the name
/// service, the name to look up again when the server behind it is restarted.
pub struct Connection {
    endpoint: Slot,
    name: Option<Name>,
    /// The last call ended with `PeerGone`: the next one first looks the name up again.
    stale: Cell<bool>,
}

impl Connection {
    /// A connection through the endpoint capability in `endpoint`.
    pub const fn new(endpoint: Slot) -> Connection {
        Connection { endpoint, name: None, stale: Cell::new(false) }
    }

    /// Looks `name` up in the name service and keeps the endpoint capability it answers in
    /// the empty slot `endpoint`. When the server behind it goes, the call that was under way
    /// fails with [`Error::PeerGone`] and the next call looks the name up again, reaching the
    /// server's new instance.
    pub fn lookup(name: &str, endpoint: Slot) -> Result<Connection, Error> {
        let name = Name::new(name).ok_or(Error::InvalidArgument)?;
        names::lookup(name, endpoint)?;
        Ok(Connection { endpoint, name: Some(name), stale: Cell::new(false) })
    }

    /// The endpoint capability's slot.
    pub fn endpoint(&self) -> Slot {
        self.endpoint
    }

    /// Sends `request` (made by [`message`], or by hand) and waits for the answer. Inlined:
    /// the usual call is the system call and two checks; recovery is out of line.
    #[inline(always)]
    pub fn call(&self, request: Message) -> Result<Message, Error> {
        if self.stale.get() {
            return self.reconnect_and_call(request);
        }
        self.recover_if_needed(request, ipc::call(self.endpoint, request))
    }

    /// What a call that came to `result` answers, after recovering from a restarted server.
    #[inline(always)]
    fn recover_if_needed(&self, request: Message, result: Result<Message, Error>) -> Result<Message, Error> {
        match result {
            Err(error @ (Error::EmptySlot | Error::PeerGone)) if self.name.is_some() => {
                self.recover(request, error)
            }
            other => other,
        }
    }

    /// A named connection's call failed with `error`. A server that was restarted while this
    /// client was not calling took its capability with it (`EmptySlot`): look the name up
    /// and call once more. One that died during the call (`PeerGone`) is reported, and the
    /// next call looks the name up first.
    #[cold]
    #[inline(never)]
    fn recover(&self, request: Message, error: Error) -> Result<Message, Error> {
        if error == Error::EmptySlot {
            self.reconnect()?;
            return ipc::call(self.endpoint, request);
        }
        self.stale.set(true);
        Err(error)
    }

    /// The last call found the server gone: looks the name up again, then calls. A lookup
    /// keeps this thread's IPC buffer, so a long request survives it.
    #[cold]
    #[inline(never)]
    fn reconnect_and_call(&self, request: Message) -> Result<Message, Error> {
        self.reconnect()?;
        self.recover_if_needed(request, ipc::call(self.endpoint, request))
    }

    /// Looks the name up again, into the same slot.
    fn reconnect(&self) -> Result<(), Error> {
        let Some(name) = self.name else { return Ok(()) };
        match caps::delete(self.endpoint) {
            Ok(()) | Err(Error::EmptySlot) => {}
            Err(error) => return Err(error),
        }
        names::lookup(name, self.endpoint)?;
        self.stale.set(false);
        Ok(())
    }
}

/// Serves requests on `endpoint` for ever: each is given to `handle` with the sender's badge,
/// and answered with the message `handle` returns. A caller that died before its answer, or a
/// request sent rather than called, is skipped. Returns only when the endpoint fails (it went,
/// or lacks Read).
pub fn serve(endpoint: Slot, mut handle: impl FnMut(u64, &Message) -> Message) -> Error {
    let mut next = ipc::recv(endpoint);
    loop {
        let (badge, request) = match next {
            Ok(received) => received,
            Err(error) => return error,
        };
        let answer = handle(badge, &request);
        next = match ipc::reply_recv(endpoint, answer) {
            Err(Error::PeerGone | Error::NoReply) => ipc::recv(endpoint),
            other => other,
        };
    }
}

/// Declares a typed IPC interface: its operations, each with its number (the message
/// label), arguments and result type (any [`Wire`] type, a tuple for several values). Makes a
/// module holding:
///
/// - `Client`, with one method per operation returning `Result<Result type, Error>`: the
///   server's error, or the IPC error ([`Error::PeerGone`] when the server died during the
///   call). `Client::new(endpoint)` or, through the name service, `Client::lookup(name, slot)`.
/// - `Server`, a trait with one method per operation taking the caller's badge first.
/// - `dispatch(server, badge, request) -> Message` (the answer), and
///   `serve(server, endpoint)`, which answers requests for ever.
///
/// See the [module documentation](mod@crate::interface) for the wire format.
#[macro_export]
macro_rules! interface {
    (
        $(#[$meta:meta])*
        $vis:vis mod $module:ident {
            $(
                $(#[$op_meta:meta])*
                fn $op:ident($($arg:ident : $arg_ty:ty),* $(,)?) -> $ret:ty = $code:literal;
            )*
        }
    ) => {
        $(#[$meta])*
        $vis mod $module {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::interface::{Connection, Wire};
            use $crate::{Error, Message, Slot};

            /// The operations' numbers: the labels of their requests.
            #[allow(non_upper_case_globals)]
            pub mod op {
                $( #[doc = concat!("`", stringify!($op), "`")] pub const $op: u64 = $code; )*
            }

            /// The client side: one method per operation.
            pub struct Client {
                connection: Connection,
            }

            impl Client {
                /// A client calling through the endpoint capability in `endpoint`.
                pub const fn new(endpoint: Slot) -> Client {
                    Client { connection: Connection::new(endpoint) }
                }

                /// A client of the server registered as `name` with the name service, its
                /// capability kept in the empty slot `endpoint`; after the server is
                /// restarted, the next call reaches the new instance.
                pub fn lookup(name: &str, endpoint: Slot) -> Result<Client, Error> {
                    Connection::lookup(name, endpoint).map(|connection| Client { connection })
                }

                /// The connection the calls go through.
                pub fn connection(&self) -> &Connection {
                    &self.connection
                }

                $(
                    $(#[$op_meta])*
                    #[inline(always)]
                    pub fn $op(&self, $($arg: $arg_ty),*) -> Result<$ret, Error> {
                        let request = $crate::interface::message($code, &($($arg,)*));
                        $crate::interface::result(&self.connection.call(request)?)
                    }
                )*
            }

            /// The server side: implement it and hand it to [`serve`].
            pub trait Server {
                $(
                    $(#[$op_meta])*
                    ///
                    /// `caller` is the badge of the capability the request came through.
                    fn $op(&mut self, caller: u64, $($arg: $arg_ty),*) -> Result<$ret, Error>;
                )*
            }

            /// Decodes one request, calls the server's method and encodes its answer: a label
            /// that names no operation is [`Error::UnknownOperation`], words that are not the
            /// operation's arguments [`Error::InvalidArgument`].
            pub fn dispatch<S: Server + ?Sized>(server: &mut S, caller: u64, request: &Message) -> Message {
                match request.info.label {
                    $(
                        $code => {
                            let Some(($($arg,)*)) = $crate::interface::decode::<($($arg_ty,)*)>(request) else {
                                return $crate::interface::answer::<()>(Err(Error::InvalidArgument));
                            };
                            $crate::interface::answer(server.$op(caller, $($arg),*))
                        }
                    )*
                    _ => $crate::interface::answer::<()>(Err(Error::UnknownOperation)),
                }
            }

            /// Serves requests arriving on `endpoint` for ever; returns only when the endpoint
            /// fails.
            pub fn serve<S: Server + ?Sized>(server: &mut S, endpoint: Slot) -> Error {
                $crate::interface::serve(endpoint, |caller, request| dispatch(server, caller, request))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    crate::interface! {
        /// An interface for the tests (which drive the server side only).
        #[allow(dead_code)]
        pub mod sums {
            /// `a + b`, or `InvalidArgument` if it overflows.
            fn add(a: u64, b: u64) -> u64 = 1;
            /// Whether the name is `yes`, with its length.
            fn check(name: Name, strict: bool) -> (bool, u8) = 2;
            /// Nothing at all.
            fn nothing() -> () = 3;
            /// Eight words in, their sum out: past the four register words.
            fn wide(values: [u64; 8]) -> u64 = 4;
        }
    }

    /// A server that records its callers.
    #[derive(Default)]
    struct Sums {
        callers: Vec<u64>,
    }

    impl sums::Server for Sums {
        fn add(&mut self, caller: u64, a: u64, b: u64) -> Result<u64, Error> {
            self.callers.push(caller);
            a.checked_add(b).ok_or(Error::InvalidArgument)
        }
        fn check(&mut self, _: u64, name: Name, strict: bool) -> Result<(bool, u8), Error> {
            let yes = if strict { name.as_str() == "yes" } else { name.as_str().eq_ignore_ascii_case("yes") };
            Ok((yes, name.as_str().len() as u8))
        }
        fn nothing(&mut self, _: u64) -> Result<(), Error> {
            Ok(())
        }
        fn wide(&mut self, _: u64, values: [u64; 8]) -> Result<u64, Error> {
            Ok(values.iter().sum())
        }
    }

    fn ask(label: u64, words: &[u64]) -> Message {
        sums::dispatch(&mut Sums::default(), 7, &Message::long(label, words))
    }

    /// An answer's label and words.
    fn read(answer: &Message) -> (u64, Vec<u64>) {
        (answer.info.label, Words::of(answer).as_slice().to_vec())
    }

    #[test]
    fn a_request_reaches_the_method_and_its_result_comes_back() {
        let mut server = Sums::default();
        let answer = sums::dispatch(&mut server, 9, &message(sums::op::add, &(2u64, 3u64)));
        assert_eq!(read(&answer), (0, vec![5]));
        assert_eq!(server.callers, [9]);
        let yes = Name::new("YES").unwrap();
        let answer = sums::dispatch(&mut server, 9, &message(sums::op::check, &(yes, false)));
        assert_eq!(result::<(bool, u8)>(&answer), Ok((true, 3)));
        assert_eq!(ask(sums::op::nothing, &[]).info.label, 0);
        let answer = ask(sums::op::wide, &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(read(&answer), (0, vec![36]));
    }

    #[test]
    fn long_values_travel_through_the_ipc_buffer() {
        let values: [u64; 8] = core::array::from_fn(|i| i as u64 * 1000);
        let request = message(sums::op::wide, &(values,));
        assert_eq!(request.info.length, 8);
        assert_eq!(decode::<([u64; 8],)>(&request), Some((values,)));
        assert_eq!(decode::<([u64; 7],)>(&request), None, "one word short");
        let answer = sums::dispatch(&mut Sums::default(), 1, &request);
        assert_eq!(result::<u64>(&answer), Ok(28_000));
    }

    #[test]
    fn a_methods_error_is_the_answers_label() {
        let answer = ask(sums::op::add, &[u64::MAX, 1]);
        assert_eq!(read(&answer), (u64::from(Error::InvalidArgument), vec![]));
        assert_eq!(result::<u64>(&answer), Err(Error::InvalidArgument));
        assert_eq!(result::<u64>(&Message::short(9999, &[])), Err(Error::InvalidArgument), "no such error");
        assert_eq!(result::<u64>(&Message::short(0, &[])), Err(Error::InvalidArgument), "no value");
    }

    #[test]
    fn unknown_operations_and_malformed_arguments_are_refused() {
        let unknown = u64::from(Error::UnknownOperation);
        let invalid = u64::from(Error::InvalidArgument);
        assert_eq!(ask(0, &[]).info.label, unknown);
        assert_eq!(ask(99, &[1, 2]).info.label, unknown);
        assert_eq!(ask(sums::op::add, &[1]).info.label, invalid, "too few words");
        assert_eq!(ask(sums::op::add, &[1, 2, 3]).info.label, invalid, "too many words");
        assert_eq!(ask(sums::op::nothing, &[0]).info.label, invalid, "words where none belong");
        assert_eq!(ask(sums::op::wide, &[1; 9]).info.label, invalid, "a long request one word long");
        let name = Words::encode(&Name::new("yes").unwrap());
        let name = name.as_slice();
        assert_eq!(ask(sums::op::check, &[name[0], name[1], name[2], 2]).info.label, invalid, "a bool of 2");
        assert_eq!(ask(sums::op::check, &[0xff, 0, 0, 1]).info.label, invalid, "not UTF-8");
        assert_eq!(ask(sums::op::check, &[0x6100, 0, 0, 1]).info.label, invalid, "text after a NUL");
        assert_eq!(ask(sums::op::check, &[name[0], name[1], name[2], 1]).info.label, 0);
    }

    #[test]
    fn names_are_checked() {
        assert!(Name::new("twenty-four bytes exactly").is_none());
        assert!(Name::new("twenty-four bytes, just!").is_some());
        assert!(Name::new("nul\0").is_none());
        assert_eq!(Name::new("").unwrap().as_str(), "");
    }

    proptest! {
        #[test]
        fn every_value_survives_the_wire(a: u64, b: u8, c: bool, d: i64, text in "[a-z0-9 é]{0,8}") {
            let name = Name::new(&text).unwrap();
            let value = (a, b, c, d, name);
            let words = Words::encode(&value);
            prop_assert_eq!(words.as_slice().len(), 7);
            prop_assert_eq!(words.decode::<(u64, u8, bool, i64, Name)>(), Some(value));
            prop_assert_eq!(words.decode::<(u64, u8, bool, i64)>(), None);
            let sent = message(1, &value);
            prop_assert_eq!(decode::<(u64, u8, bool, i64, Name)>(&sent), Some(value));
            let short = message(1, &(a, b, c, d));
            prop_assert_eq!(short.info.length, 4);
            prop_assert_eq!(decode::<(u64, u8, bool, i64)>(&short), Some((a, b, c, d)));
        }

        #[test]
        fn narrow_integers_refuse_wide_words(word in 256u64..) {
            prop_assert_eq!(u8::take(&[word]), None);
            prop_assert_eq!(u32::take(&[word]).is_some(), word <= u64::from(u32::MAX));
        }
    }
}
