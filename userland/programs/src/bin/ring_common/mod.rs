//! Setting up a shared-page ring (`tryst::ring`) between two processes, for the ring
//! scenario and the ring benchmark: the producer makes the frames and maps them; the frame
//! capabilities travel to the consumer over IPC, three per call (the most one message
//! carries), and the consumer maps its copies at an address of its own choosing.
//!
//! Included with `mod ring_common;`; not a program of its own.
#![allow(dead_code)]

use tryst::abi::MAX_MESSAGE_CAPS;
use tryst::ipc::{self, MessageExt};
use tryst::memory::{self, PAGE, READ_WRITE};
use tryst::ring::{self, Consumer, Producer};
use tryst::{caps, Error, Message, Slot};

/// The data area of the rings: room for three 4 KiB messages at once.
pub const DATA_BYTES: usize = 16 * 1024;
/// Pages one ring spans (header and data).
pub const PAGES: usize = ring::region_pages(DATA_BYTES);
/// The label of the calls that carry frame capabilities.
pub const PAGES_LABEL: u64 = 0x7269;

/// The slots `first .. first + PAGES`.
fn page_slots(first: u64) -> impl Iterator<Item = Slot> {
    (first..first + PAGES as u64).map(|n| Slot::new(n).expect("ring page slots are in range"))
}

/// Makes the ring's frames (capabilities in slots `first ..`), maps them read-write at
/// `vaddr`, sends copies to the consumer waiting on `endpoint`, and attaches as producer.
pub fn produce(memory: Slot, endpoint: Slot, first: u64, vaddr: u64) -> Result<Producer, Error> {
    let space = memory::own_space()?;
    for (n, slot) in page_slots(first).enumerate() {
        caps::create_frame(memory, slot)?;
        memory::map(space, slot, vaddr + n as u64 * PAGE, READ_WRITE)?;
    }
    let slots: [Slot; PAGES] = core::array::from_fn(|n| page_slots(first).nth(n).expect("PAGES slots"));
    for batch in slots.chunks(MAX_MESSAGE_CAPS) {
        ipc::call(endpoint, Message::short(PAGES_LABEL, &[]).with_caps(batch))?;
    }
    // SAFETY: the pages were just mapped read-write at `vaddr` and stay mapped (this process
    // never unmaps them); the only other party is the one consumer they were sent to.
    unsafe { Producer::attach(vaddr as *mut u8, ring::region_len(DATA_BYTES)) }
        .map_err(|_| Error::InvalidArgument)
}

/// Receives the ring's frame capabilities on `endpoint` into slots `first ..`, maps them
/// read-write at `vaddr`, and attaches as consumer.
pub fn consume(endpoint: Slot, first: u64, vaddr: u64) -> Result<Consumer, Error> {
    let space = memory::own_space()?;
    let slots: [Slot; PAGES] = core::array::from_fn(|n| page_slots(first).nth(n).expect("PAGES slots"));
    for batch in slots.chunks(MAX_MESSAGE_CAPS) {
        ipc::set_receive_slots(batch);
        let (_, message) = ipc::recv(endpoint)?;
        if message.info.label != PAGES_LABEL || usize::from(message.info.caps) != batch.len() {
            return Err(Error::InvalidArgument);
        }
        ipc::reply(Message::short(0, &[]))?;
    }
    for (n, &slot) in slots.iter().enumerate() {
        memory::map(space, slot, vaddr + n as u64 * PAGE, READ_WRITE)?;
    }
    // SAFETY: as in `produce`: mapped read-write for good, shared with the one producer.
    unsafe { Consumer::attach(vaddr as *mut u8, ring::region_len(DATA_BYTES)) }
        .map_err(|_| Error::InvalidArgument)
}

/// How a side waits while the ring is full or empty: yielding (counted), or asleep on its
/// notification.
pub enum Waiting {
    Yield { yields: u64 },
    Sleep(ring::NotificationBell),
}

impl Waiting {
    /// Asleep on the notification in the second boot capability, signalling the peer's in the
    /// third, when `blocking`; else yielding.
    pub fn from_boot(blocking: bool, boot: &tryst::BootInfo) -> Waiting {
        if !blocking {
            return Waiting::Yield { yields: 0 };
        }
        let slot = |n: usize| Slot::new(boot.endpoints[n]).expect("boot capability slot");
        Waiting::Sleep(ring::NotificationBell { own: slot(1), peer: slot(2), waits: 0 })
    }

    pub fn send(&mut self, producer: &mut Producer, message: &[u8]) -> Result<(), ring::SendError> {
        match self {
            Waiting::Yield { yields } => producer.send_with(message, || {
                *yields += 1;
                tryst::yield_now();
            }),
            Waiting::Sleep(bell) => producer.send_blocking(message, bell),
        }
    }

    pub fn recv(&mut self, consumer: &mut Consumer, buf: &mut [u8]) -> Result<usize, ring::RecvError> {
        match self {
            Waiting::Yield { yields } => consumer.recv_with(buf, || {
                *yields += 1;
                tryst::yield_now();
            }),
            Waiting::Sleep(bell) => consumer.recv_blocking(buf, bell),
        }
    }

    /// How many times it waited, and how, for the report lines.
    pub fn report(&self) -> (u64, &'static str) {
        match self {
            Waiting::Yield { yields } => (*yields, "one yield each"),
            Waiting::Sleep(bell) => (bell.waits, "asleep on a notification"),
        }
    }
}

/// A small deterministic generator (xorshift64*) for message sizes and contents.
pub struct Stream(u64);

impl Stream {
    pub const fn new(seed: u64) -> Stream {
        Stream(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Fills `bytes` with the stream's next bytes.
    pub fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// The length of the next message: three in four are short (1–256 bytes), the others up
/// to `tryst::ring::MAX_MESSAGE`, so the ring sees every size and wraps at odd places.
pub fn next_len(sizes: &mut Stream) -> usize {
    let draw = sizes.next();
    let longest = if draw & 3 == 0 { ring::MAX_MESSAGE as u64 } else { 256 };
    1 + ((draw >> 2) % longest) as usize
}

/// FNV-1a over a byte stream, continued from `hash`.
pub fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The FNV-1a starting value.
pub const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;
