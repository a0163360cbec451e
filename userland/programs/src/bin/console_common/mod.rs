//! The console driver's protocol (`console.rs`), shared with its clients: text travels packed
//! eight bytes to a word after a length word, in one message of up to 64 words.
#![allow(dead_code)]

use tryst::ipc::{self, MessageExt};
use tryst::{Error, Message, Slot};

/// `[len, bytes…]`: write the bytes to the console. The answer is empty.
pub const WRITE: u64 = 1;
/// Wait for the next line typed on the console. The answer is `[len, bytes…]`, without the
/// line's end.
pub const READ_LINE: u64 = 2;
/// End the driver (for the tests, which end when every process has).
pub const STOP: u64 = 3;

/// The most bytes one message carries.
pub const MAX_TEXT: usize = 8 * 63;

/// `bytes` (at most MAX_TEXT) as a message with `label`.
pub fn pack(label: u64, bytes: &[u8]) -> Message {
    let bytes = &bytes[..bytes.len().min(MAX_TEXT)];
    let mut words = [0u64; 64];
    words[0] = bytes.len() as u64;
    for (i, chunk) in bytes.chunks(8).enumerate() {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        words[1 + i] = u64::from_le_bytes(word);
    }
    Message::long(label, &words[..1 + bytes.len().div_ceil(8)])
}

/// The text of a message `pack` made, into `out`; returns its length.
pub fn unpack(message: &Message, out: &mut [u8]) -> usize {
    let len = (ipc::word(message, 0) as usize).min(out.len()).min(MAX_TEXT);
    for (i, byte) in out[..len].iter_mut().enumerate() {
        *byte = ipc::word(message, 1 + i / 8).to_le_bytes()[i % 8];
    }
    len
}

/// Writes `text` to the console through the driver at `console`.
pub fn write(console: Slot, text: &str) -> Result<(), Error> {
    ipc::call(console, pack(WRITE, text.as_bytes())).map(drop)
}
