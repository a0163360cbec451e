//! The workload of `fastpath_equivalence`, shared by `equiv_client` and `equiv_server`: which
//! messages each client sends, what the server answers, and the digest both keep, so that a
//! boot with the fastpath and one without can be compared line by line.
// Each program that includes this file uses only part of it.
#![allow(dead_code)]

use tryst::ipc;
use tryst::Message;

/// Messages each client sends to each server.
pub const MESSAGES: u64 = 300;
/// How many clients there are (each sends `MESSAGES` to every server).
pub const CLIENTS: u64 = 3;
/// Label bit of a one-way `send` (no answer expected; the server receives with `recv` next).
pub const ONE_WAY: u64 = 1 << 40;

/// The label of client `me`'s message `n` to server `server`; one in five is a `send`.
pub fn label(me: u64, server: u64, n: u64) -> u64 {
    let one_way = if n % 5 == 4 { ONE_WAY } else { 0 };
    one_way | me << 24 | server << 20 | n
}

/// How many words the message carries: 0 to 6, so that some need the IPC buffer.
pub fn length(n: u64) -> usize {
    (n % 7) as usize
}

/// Word `i` of a message labelled `label`.
pub fn word(label: u64, i: usize) -> u64 {
    label.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(i as u32 * 7) ^ i as u64
}

/// How many words the answer to a message of `length` words carries (0 to 4: registers only).
pub fn answer_length(length: usize) -> usize {
    length % 5
}

/// Word `i` of the answer to message `label` that arrived with `badge`.
pub fn answer_word(label: u64, badge: u64, i: usize) -> u64 {
    word(label, i) ^ badge.rotate_left(17)
}

/// The message `label` as a client sends it (words past the fourth go to the IPC buffer).
pub fn message(label: u64, length: usize) -> Message {
    let words: [u64; 6] = core::array::from_fn(|i| word(label, i));
    <Message as ipc::MessageExt>::long(label, &words[..length])
}

/// A running digest (FNV-1a over words): order-sensitive, so two streams with the same
/// digest carried the same words in the same order.
#[derive(Clone, Copy)]
pub struct Digest(pub u64);

impl Digest {
    pub const NEW: Digest = Digest(0xcbf2_9ce4_8422_2325);

    pub fn add(&mut self, word: u64) {
        for byte in word.to_le_bytes() {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}
