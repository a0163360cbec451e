//! The console server's protocol, and its client side: what `print!` and `println!` use.
//!
//! init starts the console server (the `console` program, a COM1 driver) in every system and
//! gives each process an endpoint capability to it in slot [`BootInfo::CONSOLE_SLOT`], named
//! by the boot-info page's `console_slot`. Text travels packed eight bytes to a word after a
//! length word, in one message of up to 64 words ([`MAX_TEXT`] bytes).
//!
//! [`BootInfo::CONSOLE_SLOT`]: tryst_abi::BootInfo::CONSOLE_SLOT

use crate::ipc::{self, answered, MessageExt};
use crate::{notify, raw, Error, Message, Slot};

/// `[len, bytes…]`: write the bytes. The answer is empty.
pub const WRITE: u64 = 1;
/// The next line typed on the console, carrying a notification capability: the answer is
/// `[len, bytes…]`, without the line's end, or, while no line is complete, `WouldBlock`, and
/// the server signals the notification once one is (the latest reader's notification only).
/// The server never waits for typing, so writers are never held up by a reader.
pub const READ_LINE: u64 = 2;
/// End the server; only its unbadged capability (init's) may. The answer is empty.
pub const STOP: u64 = 3;

/// The most bytes one message carries.
pub const MAX_TEXT: usize = 8 * 63;

/// This process's capability to the console server, if it was given one.
pub fn endpoint() -> Option<Slot> {
    match raw::boot_info().console_slot {
        0 => None,
        slot => Slot::new(slot).ok(),
    }
}

/// `bytes` (at most [`MAX_TEXT`] of them) as a message with `label`.
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

/// The text of a message [`pack`] made, into `out`; returns its length.
pub fn unpack(message: &Message, out: &mut [u8]) -> usize {
    let len = (ipc::word(message, 0) as usize).min(out.len()).min(MAX_TEXT);
    for (i, byte) in out[..len].iter_mut().enumerate() {
        *byte = ipc::word(message, 1 + i / 8).to_le_bytes()[i % 8];
    }
    len
}

/// Writes `bytes` through the console server at `console`, [`MAX_TEXT`] at a time. The
/// thread's IPC buffer is as it was afterwards, so printing never disturbs a message being
/// read.
pub fn write(console: Slot, bytes: &[u8]) -> Result<(), Error> {
    raw::preserving_ipc_buffer(|| {
        bytes.chunks(MAX_TEXT).try_for_each(|chunk| answered(&ipc::call(console, pack(WRITE, chunk))?))
    })
}

/// Waits for the next line typed on the console, into `out`; returns its length. While none
/// is complete it waits on `line_ready`, a notification capability (Read and Write) of the
/// caller's own, which the server signals when one is.
pub fn read_line(console: Slot, line_ready: Slot, out: &mut [u8]) -> Result<usize, Error> {
    raw::preserving_ipc_buffer(|| loop {
        let answer = ipc::call(console, Message::short(READ_LINE, &[]).with_caps(&[line_ready]))?;
        match answered(&answer) {
            Ok(()) => return Ok(unpack(&answer, out)),
            Err(Error::WouldBlock) => {
                notify::wait(line_ready)?;
            }
            Err(error) => return Err(error),
        }
    })
}

/// Asks the console server to end. Only its unbadged capability (init's) may:
/// [`Error::InvalidArgument`] for any other.
pub fn stop(console: Slot) -> Result<(), Error> {
    raw::preserving_ipc_buffer(|| answered(&ipc::call(console, Message::short(STOP, &[]))?))
}
