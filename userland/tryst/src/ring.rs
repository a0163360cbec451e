//! A single-producer single-consumer ring of variable-length messages in memory shared by two
//! processes: after setup, no message needs a system call.
//!
//! # Layout
//!
//! A ring is a region of [`region_len`]`(data_bytes)` bytes: a one-page header, then a data area
//! of `data_bytes` bytes (a power of two, at least [`MIN_DATA_BYTES`]).
//!
//! | offset | bytes | contents | written by |
//! |---|---|---|---|
//! | 0 | 8 | `head`: bytes ever written (a free-running `u64`) | the producer |
//! | 128 | 8 | `tail`: bytes ever consumed (a free-running `u64`) | the consumer |
//! | 256 | 8 | `consumer_waiting`: 1 while the consumer waits for a message | both |
//! | 384 | 8 | `producer_waiting`: 1 while the producer waits for room | both |
//! | elsewhere below 4096 | | reserved, zero | nobody |
//! | 4096 | `data_bytes` | records | the producer |
//!
//! The two indices are on different cache lines, and 128 bytes apart so that the adjacent-line
//! prefetcher (which fetches 64-byte lines in pairs) does not tie them together either: each
//! side's stores stay on a line the other side only reads.
//!
//! # Records
//!
//! A message is stored as a record ([`record_len`] bytes): an 8-byte native-endian length word,
//! the message bytes, and padding up to a multiple of 8. A record starts at data offset
//! `index & (data_bytes - 1)`; one that runs past the end of the data area continues at its start
//! (the copy is split in two, there are no padding records, so every byte of the data area is
//! usable). Records and the data area are multiples of 8 bytes, so a length word is never split.
//!
//! # Protocol
//!
//! `head - tail` is the number of bytes in use (at most `data_bytes`); the ring is empty when they
//! are equal. Zero-filled memory is therefore an empty ring: both sides just [`Producer::attach`]
//! and [`Consumer::attach`] to the same frames, in either order, with no handshake.
//!
//! - The producer writes a record at `head`, then publishes it by storing the new `head`.
//! - The consumer reads the record at `tail`, then frees its space by storing the new `tail`.
//!
//! Each side keeps its own index privately (the shared copy is only published, never read back)
//! and caches the peer's. A stale cache only understates the free space or the available messages,
//! so the peer's index is re-read only when the cache says "full" or "empty": in the steady state
//! each side writes one shared line per message and reads the other's once per batch.
//!
//! # Blocking
//!
//! [`Producer::send_blocking`] and [`Consumer::recv_blocking`] sleep on a [`Doorbell`] (in a
//! process: a notification of its own, and the peer's to signal) instead of spinning. A side
//! about to sleep sets its `…_waiting` flag, then looks at the peer's index once more, and
//! sleeps only if there is still nothing to do; a side that publishes its index then looks at
//! the peer's flag and, if set, clears it and rings the peer. Both look after a sequentially
//! consistent fence, so at least one of them sees the other's store: either the sleeper finds
//! the new index, or the publisher finds the flag and rings. A ring is never lost, since a
//! notification keeps its bits until taken; at worst a side wakes once with nothing to do
//! and looks again.
//!
//! # Memory ordering
//!
//! The producer's Release store of `head` comes after its record writes, and the consumer's
//! Acquire load of `head` comes before its reads: the record is complete when the consumer sees it.
//! Symmetrically, the consumer's Release store of `tail` comes after it has read the record, and
//! the producer's Acquire load of `tail` comes before it overwrites that space, so a record is never
//! overwritten while being read. (On x86 these are plain moves that the compiler may not reorder.)
//!
//! # A peer is not trusted
//!
//! The peer is another process and may write anything anywhere in the region at any time. Every
//! word read from shared memory is read once and checked before use: the consumer rejects a `head`
//! more than `data_bytes` ahead or not 8-aligned, a length above [`MAX_MESSAGE`] and a record longer
//! than what was published; the producer rejects a `tail` that would claim more free space than the
//! data area has. Such a ring reports `Corrupt` (and changes nothing), never reads or writes
//! outside the region, and never panics. Message bytes copied out of a ring whose producer writes
//! into published records are garbage, but only ever bytes, inside bounds computed locally.

use core::fmt;
use core::ptr::{self, NonNull};
use core::sync::atomic::{fence, AtomicU64, Ordering};

/// The page size: the header is one page and a region must start on a page boundary.
pub const PAGE_BYTES: usize = 4096;
/// The header's size: the data area starts this far into the region.
pub const HEADER_BYTES: usize = PAGE_BYTES;
/// The longest message: every valid ring holds at least one message of this size.
pub const MAX_MESSAGE: usize = 4096;
/// The smallest data area: the smallest power of two that holds a [`MAX_MESSAGE`] record.
pub const MIN_DATA_BYTES: usize = 8192;

/// The size of a length word.
const WORD: usize = 8;
/// Where the producer's index lives in the header.
const HEAD_OFFSET: usize = 0;
/// Where the consumer's index lives in the header: two cache lines after `head`.
const TAIL_OFFSET: usize = 128;
/// Where each side's "sleeping" flag lives, each on a line of its own.
const CONSUMER_WAITING_OFFSET: usize = 256;
const PRODUCER_WAITING_OFFSET: usize = 384;

const _: () = assert!(record_len(MAX_MESSAGE) <= MIN_DATA_BYTES && MIN_DATA_BYTES.is_power_of_two());
const _: () = assert!(TAIL_OFFSET + WORD <= HEADER_BYTES && HEADER_BYTES.is_multiple_of(PAGE_BYTES));

/// The bytes a ring with a data area of `data_bytes` occupies: map this much, page-aligned.
pub const fn region_len(data_bytes: usize) -> usize {
    HEADER_BYTES + data_bytes
}

/// The pages a ring with a data area of `data_bytes` (a multiple of the page size) occupies.
pub const fn region_pages(data_bytes: usize) -> usize {
    region_len(data_bytes) / PAGE_BYTES
}

/// The bytes a message of `message_len` bytes takes in the data area: a length word and the
/// message, padded to a multiple of 8.
pub const fn record_len(message_len: usize) -> usize {
    WORD + message_len.next_multiple_of(WORD)
}

/// Why a region cannot be attached as a ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingError {
    /// The base address is null or not page-aligned.
    BadAddress,
    /// The region is not a header page plus a power-of-two data area of at least
    /// [`MIN_DATA_BYTES`].
    BadLength {
        /// The length given.
        len: usize,
    },
    /// The indices in the header are inconsistent: the peer (or whoever wrote them) is broken.
    Corrupt,
}

/// Why a message was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// There is no room for the message now; try again after the consumer has caught up.
    Full,
    /// The message is longer than [`MAX_MESSAGE`].
    TooLong,
    /// The consumer's index is impossible: the consumer is broken.
    Corrupt,
}

/// Why no message was received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvError {
    /// There is no message now.
    Empty,
    /// The next message needs a buffer of `needed` bytes; it stays in the ring.
    BufferTooSmall {
        /// The message's length.
        needed: usize,
    },
    /// The producer's index or the next length word is impossible: the producer is broken.
    Corrupt,
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            RingError::BadAddress => write!(f, "ring region is null or not page-aligned"),
            RingError::BadLength { len } => write!(
                f,
                "ring region of {len} bytes is not {HEADER_BYTES} header bytes plus a power-of-two \
                 data area of at least {MIN_DATA_BYTES} bytes"
            ),
            RingError::Corrupt => write!(f, "ring header is corrupt"),
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            SendError::Full => write!(f, "ring is full"),
            SendError::TooLong => write!(f, "message is longer than {MAX_MESSAGE} bytes"),
            SendError::Corrupt => write!(f, "ring consumer index is corrupt"),
        }
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            RecvError::Empty => write!(f, "ring is empty"),
            RecvError::BufferTooSmall { needed } => write!(f, "message needs a {needed}-byte buffer"),
            RecvError::Corrupt => write!(f, "ring producer index or message length is corrupt"),
        }
    }
}

/// The shared region, checked once at attach. Its invariant: `base` is page-aligned and
/// `region_len(data_bytes)` bytes from it stay mapped read-write while this value lives, and
/// `data_bytes` is a power of two of at least [`MIN_DATA_BYTES`].
struct Region {
    base: NonNull<u8>,
    data_bytes: usize,
}

impl Region {
    /// Checks the address and length of a region.
    ///
    /// # Safety
    /// As for [`Producer::attach`].
    unsafe fn new(base: *mut u8, len: usize) -> Result<Region, RingError> {
        let base = NonNull::new(base).ok_or(RingError::BadAddress)?;
        if !(base.as_ptr() as usize).is_multiple_of(PAGE_BYTES) {
            return Err(RingError::BadAddress);
        }
        match len.checked_sub(HEADER_BYTES) {
            Some(data_bytes) if data_bytes.is_power_of_two() && data_bytes >= MIN_DATA_BYTES => {
                Ok(Region { base, data_bytes })
            }
            _ => Err(RingError::BadLength { len }),
        }
    }

    /// The data area's size as an index quantity.
    fn capacity(&self) -> u64 {
        self.data_bytes as u64
    }

    /// The `u64` at `offset` bytes into the region, as an atomic (`offset` 8-aligned and below
    /// the region's length).
    fn atomic_at(&self, offset: usize) -> &AtomicU64 {
        assert!(offset.is_multiple_of(WORD) && offset < region_len(self.data_bytes));
        // SAFETY: by the Region invariant the word is mapped read-write for as long as `self`
        // lives, and it is 8-aligned because the base is page-aligned and the offset 8-aligned.
        // A correct peer accesses header and length words only atomically or after the index
        // handshake; a broken one can only make us read a wrong value, which callers check.
        unsafe { AtomicU64::from_ptr(self.base.as_ptr().add(offset).cast()) }
    }

    /// The producer's index.
    fn head(&self) -> &AtomicU64 {
        self.atomic_at(HEAD_OFFSET)
    }

    /// The consumer's index.
    fn tail(&self) -> &AtomicU64 {
        self.atomic_at(TAIL_OFFSET)
    }

    /// Set while the consumer sleeps for a message.
    fn consumer_waiting(&self) -> &AtomicU64 {
        self.atomic_at(CONSUMER_WAITING_OFFSET)
    }

    /// Set while the producer sleeps for room.
    fn producer_waiting(&self) -> &AtomicU64 {
        self.atomic_at(PRODUCER_WAITING_OFFSET)
    }

    /// After publishing an index: rings the peer if its flag `waiting` says it sleeps.
    fn wake(&self, waiting: &AtomicU64, bell: &mut impl Doorbell) {
        // SeqCst: the index store before is ordered before this load (see "Blocking").
        fence(Ordering::SeqCst);
        if waiting.load(Ordering::Relaxed) != 0 && waiting.swap(0, Ordering::Relaxed) != 0 {
            bell.ring_peer();
        }
    }

    /// Before sleeping: sets `waiting`, ordered before the re-check of the peer's index.
    fn announce_sleep(waiting: &AtomicU64) {
        waiting.store(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
    }

    /// The data offset of `index`.
    fn offset(&self, index: u64) -> usize {
        // The mask keeps the result below `data_bytes`, which is a `usize`.
        (index & (self.capacity() - 1)) as usize
    }

    /// The length word at `index` (8-aligned).
    fn length_word(&self, index: u64) -> &AtomicU64 {
        self.atomic_at(HEADER_BYTES + self.offset(index))
    }

    /// Splits `len` bytes starting at `index` into the two data-area pieces they occupy, as
    /// (offset, length) of the first piece and the length of the second (which starts at offset 0).
    fn pieces(&self, index: u64, len: usize) -> (usize, usize, usize) {
        // Callers bound `len` by MAX_MESSAGE, below `data_bytes`; checked here because the
        // copies below rely on it.
        assert!(len <= self.data_bytes);
        let offset = self.offset(index);
        let first = len.min(self.data_bytes - offset);
        (offset, first, len - first)
    }

    /// Copies `bytes` into the data area starting at `index`, wrapping at its end.
    fn write(&self, index: u64, bytes: &[u8]) {
        let (offset, first, second) = self.pieces(index, bytes.len());
        let data = self.base.as_ptr().wrapping_add(HEADER_BYTES);
        // SAFETY: `offset + first <= data_bytes` and `second <= data_bytes`, so both destination
        // ranges lie in the data area, mapped read-write by the Region invariant; the source is
        // a local slice, which the shared region cannot overlap because it is not Rust memory.
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr(), data.add(offset), first);
            ptr::copy_nonoverlapping(bytes.as_ptr().add(first), data, second);
        }
    }

    /// Copies `out.len()` bytes out of the data area starting at `index`, wrapping at its end.
    fn read(&self, index: u64, out: &mut [u8]) {
        let (offset, first, second) = self.pieces(index, out.len());
        let data = self.base.as_ptr().wrapping_add(HEADER_BYTES);
        // SAFETY: as in `write`, both source ranges lie in the data area and the destination is
        // a local slice. Every bit pattern is a valid `u8`, so whatever the peer wrote is a value.
        unsafe {
            ptr::copy_nonoverlapping(data.add(offset), out.as_mut_ptr(), first);
            ptr::copy_nonoverlapping(data, out.as_mut_ptr().add(first), second);
        }
    }
}

/// The sending side of a ring.
pub struct Producer {
    region: Region,
    /// Bytes ever written: the authoritative copy of the shared `head`.
    head: u64,
    /// The consumer's `tail` when last read; the real one is at least this.
    tail_cache: u64,
}

// SAFETY: a Producer holds only the address of memory mapped for the whole process (valid from
// any thread, by the attach contract) and plain integers; it is not Clone, so moving it to
// another thread keeps exactly one producer.
unsafe impl Send for Producer {}

impl Producer {
    /// Attaches the sending side to the ring in `len` bytes at `base`. A zero-filled region is an
    /// empty ring; a region in use is joined where it stands.
    ///
    /// # Safety
    /// `base` must be page-aligned, and `len` bytes from it must stay mapped read-write for as
    /// long as the `Producer` lives. The region must be shared with at most one [`Consumer`] and
    /// no other producer, and nothing in this process may access it except through them.
    pub unsafe fn attach(base: *mut u8, len: usize) -> Result<Producer, RingError> {
        // SAFETY: the caller's contract is Region::new's.
        let region = unsafe { Region::new(base, len)? };
        // Relaxed: our own index, written last by an earlier producer of this ring, if any.
        let head = region.head().load(Ordering::Relaxed);
        let tail = region.tail().load(Ordering::Acquire);
        if !head.is_multiple_of(WORD as u64) || head.wrapping_sub(tail) > region.capacity() {
            return Err(RingError::Corrupt);
        }
        Ok(Producer { region, head, tail_cache: tail })
    }

    /// The data area's size in bytes.
    pub fn capacity(&self) -> usize {
        self.region.data_bytes
    }

    /// Free bytes by the cached tail (at most the real number).
    fn free(&self) -> u64 {
        self.region.capacity() - self.head.wrapping_sub(self.tail_cache)
    }

    /// Sends `message` if there is room for it now.
    pub fn try_send(&mut self, message: &[u8]) -> Result<(), SendError> {
        if message.len() > MAX_MESSAGE {
            return Err(SendError::TooLong);
        }
        let record = record_len(message.len()) as u64;
        if self.free() < record {
            // Acquire: the consumer has finished reading the space it freed.
            let tail = self.region.tail().load(Ordering::Acquire);
            if self.head.wrapping_sub(tail) > self.region.capacity() {
                return Err(SendError::Corrupt);
            }
            self.tail_cache = tail;
            if self.free() < record {
                return Err(SendError::Full);
            }
        }
        // Relaxed: the Release store of `head` below publishes the length word with the bytes.
        self.region.length_word(self.head).store(message.len() as u64, Ordering::Relaxed);
        self.region.write(self.head.wrapping_add(WORD as u64), message);
        self.head = self.head.wrapping_add(record);
        // Release: the record is written before the consumer can see the new head.
        self.region.head().store(self.head, Ordering::Release);
        Ok(())
    }

    /// Sends `message`, calling `wait` whenever the ring is full and then retrying. Fails only
    /// with [`SendError::TooLong`] or [`SendError::Corrupt`].
    pub fn send_with(&mut self, message: &[u8], mut wait: impl FnMut()) -> Result<(), SendError> {
        loop {
            match self.try_send(message) {
                Err(SendError::Full) => wait(),
                result => return result,
            }
        }
    }

    /// Sends `message`, yielding the processor while the ring is full. Fails only with
    /// [`SendError::TooLong`] or [`SendError::Corrupt`].
    ///
    /// This spins through `yield_now`, which returns at once when nothing else is ready; blocking
    /// until the consumer signals (a notification) will come with notification objects.
    #[cfg(not(test))]
    pub fn send(&mut self, message: &[u8]) -> Result<(), SendError> {
        self.send_with(message, crate::yield_now)
    }
}

impl Producer {
    /// Sends `message`, sleeping on `bell` while the ring is full, and rings the consumer if
    /// it sleeps for a message. Fails only with [`SendError::TooLong`] or
    /// [`SendError::Corrupt`].
    pub fn send_blocking(&mut self, message: &[u8], bell: &mut impl Doorbell) -> Result<(), SendError> {
        loop {
            match self.try_send(message) {
                Err(SendError::Full) => {}
                Ok(()) => {
                    self.region.wake(self.region.consumer_waiting(), bell);
                    return Ok(());
                }
                error => return error,
            }
            Region::announce_sleep(self.region.producer_waiting());
            match self.try_send(message) {
                Err(SendError::Full) => bell.wait(),
                result => {
                    self.region.producer_waiting().store(0, Ordering::Relaxed);
                    result?;
                    self.region.wake(self.region.consumer_waiting(), bell);
                    return Ok(());
                }
            }
            self.region.producer_waiting().store(0, Ordering::Relaxed);
        }
    }
}

/// How a side of a ring sleeps and wakes its peer, for [`Producer::send_blocking`] and
/// [`Consumer::recv_blocking`]. Rings are kept: a `wait` after a `ring_peer` from the other
/// side returns at once (a notification's bits behave so).
pub trait Doorbell {
    /// Sleeps until the peer rings (at once if it rang since the last `wait`).
    fn wait(&mut self);
    /// Wakes the peer.
    fn ring_peer(&mut self);
}

/// A [`Doorbell`] made of two notifications: this side's own, waited on (needs Read), and the
/// peer's, signalled (needs Write).
#[cfg(not(test))]
pub struct NotificationBell {
    /// This side's notification.
    pub own: crate::Slot,
    /// The peer's notification.
    pub peer: crate::Slot,
    /// How many times this side slept.
    pub waits: u64,
}

#[cfg(not(test))]
impl Doorbell for NotificationBell {
    fn wait(&mut self) {
        self.waits += 1;
        // An error (the capability went) can only end in another look at the ring.
        let _ = crate::notify::wait(self.own);
    }

    fn ring_peer(&mut self) {
        let _ = crate::notify::signal(self.peer);
    }
}

/// The receiving side of a ring.
pub struct Consumer {
    region: Region,
    /// Bytes ever consumed: the authoritative copy of the shared `tail`.
    tail: u64,
    /// The producer's `head` when last read (checked); the real one is at least this.
    head_cache: u64,
}

// SAFETY: as for Producer: the region is valid from any thread and a Consumer is not Clone.
unsafe impl Send for Consumer {}

impl Consumer {
    /// Attaches the receiving side to the ring in `len` bytes at `base`. A zero-filled region is
    /// an empty ring; a region in use is joined where it stands.
    ///
    /// # Safety
    /// `base` must be page-aligned, and `len` bytes from it must stay mapped read-write for as
    /// long as the `Consumer` lives. The region must be shared with at most one [`Producer`] and
    /// no other consumer, and nothing in this process may access it except through them.
    pub unsafe fn attach(base: *mut u8, len: usize) -> Result<Consumer, RingError> {
        // SAFETY: the caller's contract is Region::new's.
        let region = unsafe { Region::new(base, len)? };
        // Relaxed: our own index, written last by an earlier consumer of this ring, if any.
        let tail = region.tail().load(Ordering::Relaxed);
        if !tail.is_multiple_of(WORD as u64) {
            return Err(RingError::Corrupt);
        }
        let mut consumer = Consumer { region, tail, head_cache: tail };
        consumer.refresh_head().map_err(|_| RingError::Corrupt)?;
        Ok(consumer)
    }

    /// The data area's size in bytes.
    pub fn capacity(&self) -> usize {
        self.region.data_bytes
    }

    /// Re-reads the producer's index; fails if it is impossible (the cache is then unchanged).
    fn refresh_head(&mut self) -> Result<(), RecvError> {
        // Acquire: the records before `head` were written before the producer published it.
        let head = self.region.head().load(Ordering::Acquire);
        let available = head.wrapping_sub(self.tail);
        if available > self.region.capacity() || !available.is_multiple_of(WORD as u64) {
            return Err(RecvError::Corrupt);
        }
        self.head_cache = head;
        Ok(())
    }

    /// The length of the next message, checked, without taking it.
    pub fn peek_len(&mut self) -> Result<usize, RecvError> {
        if self.head_cache == self.tail {
            self.refresh_head()?;
            if self.head_cache == self.tail {
                return Err(RecvError::Empty);
            }
        }
        // `tail` is 8-aligned (checked at attach; records are multiples of 8) and the published
        // bytes from it hold at least the length word (also a multiple of 8, and nonzero).
        let available = self.head_cache.wrapping_sub(self.tail);
        // Relaxed: the Acquire load of `head` that published this word came before.
        let len = self.region.length_word(self.tail).load(Ordering::Relaxed);
        if len > MAX_MESSAGE as u64 || record_len(len as usize) as u64 > available {
            return Err(RecvError::Corrupt);
        }
        Ok(len as usize)
    }

    /// Copies the next message into the start of `buf` and returns its length, if there is one
    /// now. A message longer than `buf` stays in the ring ([`RecvError::BufferTooSmall`]).
    pub fn try_recv(&mut self, buf: &mut [u8]) -> Result<usize, RecvError> {
        let len = self.peek_len()?;
        let out = buf.get_mut(..len).ok_or(RecvError::BufferTooSmall { needed: len })?;
        self.region.read(self.tail.wrapping_add(WORD as u64), out);
        self.tail = self.tail.wrapping_add(record_len(len) as u64);
        // Release: the record has been read before the producer can reuse its space.
        self.region.tail().store(self.tail, Ordering::Release);
        Ok(len)
    }

    /// Receives the next message into `buf`, calling `wait` whenever the ring is empty and then
    /// retrying. Fails only with [`RecvError::BufferTooSmall`] or [`RecvError::Corrupt`].
    pub fn recv_with(&mut self, buf: &mut [u8], mut wait: impl FnMut()) -> Result<usize, RecvError> {
        loop {
            match self.try_recv(buf) {
                Err(RecvError::Empty) => wait(),
                result => return result,
            }
        }
    }

    /// Receives the next message into `buf`, yielding the processor while the ring is empty.
    /// Fails only with [`RecvError::BufferTooSmall`] or [`RecvError::Corrupt`].
    ///
    /// This spins through `yield_now`, which returns at once when nothing else is ready; blocking
    /// until the producer signals (a notification) will come with notification objects.
    #[cfg(not(test))]
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, RecvError> {
        self.recv_with(buf, crate::yield_now)
    }
}

impl Consumer {
    /// Receives the next message into `buf`, sleeping on `bell` while the ring is empty, and
    /// rings the producer if it sleeps for room. Fails only with
    /// [`RecvError::BufferTooSmall`] or [`RecvError::Corrupt`].
    pub fn recv_blocking(&mut self, buf: &mut [u8], bell: &mut impl Doorbell) -> Result<usize, RecvError> {
        loop {
            match self.try_recv(buf) {
                Err(RecvError::Empty) => {}
                Ok(len) => {
                    self.region.wake(self.region.producer_waiting(), bell);
                    return Ok(len);
                }
                error => return error,
            }
            Region::announce_sleep(self.region.consumer_waiting());
            match self.try_recv(buf) {
                Err(RecvError::Empty) => bell.wait(),
                result => {
                    self.region.consumer_waiting().store(0, Ordering::Relaxed);
                    let len = result?;
                    self.region.wake(self.region.producer_waiting(), bell);
                    return Ok(len);
                }
            }
            self.region.consumer_waiting().store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::alloc::{alloc_zeroed, dealloc, Layout};
    use std::collections::VecDeque;

    /// A zero-filled, page-aligned region on the host heap, standing in for shared frames.
    struct TestRegion {
        base: *mut u8,
        layout: Layout,
    }

    impl TestRegion {
        fn new(data_bytes: usize) -> TestRegion {
            let layout = Layout::from_size_align(region_len(data_bytes), PAGE_BYTES).unwrap();
            // SAFETY: the layout has a nonzero size.
            let base = unsafe { alloc_zeroed(layout) };
            assert!(!base.is_null());
            TestRegion { base, layout }
        }

        fn len(&self) -> usize {
            self.layout.size()
        }

        fn producer(&self) -> Result<Producer, RingError> {
            // SAFETY: the allocation is page-aligned and outlives the handles in every test.
            unsafe { Producer::attach(self.base, self.len()) }
        }

        fn consumer(&self) -> Result<Consumer, RingError> {
            // SAFETY: as in `producer`.
            unsafe { Consumer::attach(self.base, self.len()) }
        }

        fn pair(&self) -> (Producer, Consumer) {
            (self.producer().unwrap(), self.consumer().unwrap())
        }

        /// The `u64` at `offset`, for playing a broken peer.
        fn word(&self, offset: usize) -> &AtomicU64 {
            assert!(offset.is_multiple_of(WORD) && offset < self.len());
            // SAFETY: in bounds and 8-aligned; the allocation lives as long as `self`.
            unsafe { AtomicU64::from_ptr(self.base.add(offset).cast()) }
        }

        fn head(&self) -> &AtomicU64 {
            self.word(HEAD_OFFSET)
        }

        fn tail(&self) -> &AtomicU64 {
            self.word(TAIL_OFFSET)
        }
    }

    impl Drop for TestRegion {
        fn drop(&mut self) {
            // SAFETY: allocated in `new` with this layout.
            unsafe { dealloc(self.base, self.layout) }
        }
    }

    /// `len` bytes that depend on `seed`.
    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len).map(|i| seed.wrapping_add((i * 7) as u8)).collect()
    }

    #[test]
    fn sizes() {
        assert_eq!(region_len(16384), 20480);
        assert_eq!(region_pages(16384), 5);
        assert_eq!(record_len(0), 8);
        assert_eq!(record_len(1), 16);
        assert_eq!(record_len(8), 16);
        assert_eq!(record_len(MAX_MESSAGE), 4104);
    }

    #[test]
    fn zeroed_region_is_an_empty_ring() {
        let region = TestRegion::new(MIN_DATA_BYTES);
        let (mut producer, mut consumer) = region.pair();
        assert_eq!(producer.capacity(), MIN_DATA_BYTES);
        assert_eq!(consumer.capacity(), MIN_DATA_BYTES);
        assert_eq!(consumer.try_recv(&mut [0; 16]), Err(RecvError::Empty));
        assert_eq!(consumer.peek_len(), Err(RecvError::Empty));
        producer.try_send(b"hello").unwrap();
        producer.try_send(b"").unwrap();
        let mut buf = [0; 16];
        assert_eq!(consumer.peek_len(), Ok(5));
        assert_eq!(consumer.try_recv(&mut buf), Ok(5));
        assert_eq!(&buf[..5], b"hello");
        assert_eq!(consumer.try_recv(&mut []), Ok(0));
        assert_eq!(consumer.try_recv(&mut buf), Err(RecvError::Empty));
    }

    #[test]
    fn attach_rejects_bad_regions() {
        let region = TestRegion::new(4 * MIN_DATA_BYTES);
        let len = region.len();
        let attach = |base: *mut u8, len| {
            // SAFETY: every call either fails the checks or names the mapped region.
            unsafe { (Producer::attach(base, len).err(), Consumer::attach(base, len).err()) }
        };
        let both = |e| (Some(e), Some(e));
        assert_eq!(attach(ptr::null_mut(), len), both(RingError::BadAddress));
        assert_eq!(attach(region.base.wrapping_add(8), len - 8), both(RingError::BadAddress));
        for bad in [0, 100, HEADER_BYTES, HEADER_BYTES + 4096, HEADER_BYTES + 3 * MIN_DATA_BYTES, len - 8] {
            assert_eq!(attach(region.base, bad), both(RingError::BadLength { len: bad }));
        }
        assert_eq!(attach(region.base, region_len(MIN_DATA_BYTES)), (None, None));
        assert_eq!(attach(region.base, len), (None, None));
    }

    #[test]
    fn attach_checks_the_indices_it_finds() {
        let region = TestRegion::new(MIN_DATA_BYTES);
        let cap = MIN_DATA_BYTES as u64;
        for (head, tail) in [(cap + 8, 0), (4, 0), (0, 8), (u64::MAX - 7, 8)] {
            region.head().store(head, Ordering::Relaxed);
            region.tail().store(tail, Ordering::Relaxed);
            assert_eq!(region.producer().err(), Some(RingError::Corrupt), "head {head} tail {tail}");
            assert_eq!(region.consumer().err(), Some(RingError::Corrupt), "head {head} tail {tail}");
        }
        // A consistent ring in use, whose indices have wrapped past 2^64, is joined where it is.
        let start = u64::MAX - 15;
        region.head().store(start, Ordering::Relaxed);
        region.tail().store(start, Ordering::Relaxed);
        let (mut producer, mut consumer) = region.pair();
        let mut buf = [0; 64];
        for n in 0..100 {
            let message = pattern(n % 40, n as u8);
            producer.try_send(&message).unwrap();
            assert_eq!(consumer.try_recv(&mut buf), Ok(message.len()));
            assert_eq!(&buf[..message.len()], &message[..]);
        }
        // A second pair attaches to what the first left behind.
        producer.try_send(b"left over").unwrap();
        let _ = (producer, consumer);
        let (mut producer, mut consumer) = region.pair();
        assert_eq!(consumer.try_recv(&mut buf), Ok(9));
        producer.try_send(b"x").unwrap();
        assert_eq!(consumer.try_recv(&mut buf), Ok(1));
    }

    #[test]
    fn fills_exactly_to_capacity() {
        let region = TestRegion::new(MIN_DATA_BYTES);
        let (mut producer, mut consumer) = region.pair();
        // Records of 1-byte messages are 16 bytes.
        for n in 0..MIN_DATA_BYTES / 16 {
            producer.try_send(&[n as u8]).unwrap();
        }
        assert_eq!(producer.try_send(b""), Err(SendError::Full));
        assert_eq!(producer.try_send(&[0; MAX_MESSAGE + 1]), Err(SendError::TooLong));
        let mut buf = [0; 1];
        assert_eq!(consumer.try_recv(&mut buf), Ok(1));
        // The 16 bytes freed hold a record of up to 8 message bytes.
        assert_eq!(producer.try_send(b"123456789"), Err(SendError::Full));
        producer.try_send(b"12345678").unwrap();
        assert_eq!(producer.try_send(b""), Err(SendError::Full));
        for n in 1..MIN_DATA_BYTES / 16 {
            assert_eq!(consumer.try_recv(&mut buf), Ok(1));
            assert_eq!(buf[0], n as u8);
        }
        assert_eq!(consumer.try_recv(&mut [0; 8]), Ok(8));
        assert_eq!(consumer.try_recv(&mut buf), Err(RecvError::Empty));
    }

    #[test]
    fn max_messages_in_the_benchmark_ring() {
        let region = TestRegion::new(16384);
        let (mut producer, mut consumer) = region.pair();
        let mut buf = vec![0; MAX_MESSAGE];
        for round in 0..20u8 {
            // Three 4104-byte records fit in 16 KiB, a fourth does not.
            for k in 0..3 {
                producer.try_send(&pattern(MAX_MESSAGE, round + k)).unwrap();
            }
            assert_eq!(producer.try_send(&pattern(MAX_MESSAGE, 0)), Err(SendError::Full));
            for k in 0..3 {
                assert_eq!(consumer.try_recv(&mut buf), Ok(MAX_MESSAGE));
                assert_eq!(buf, pattern(MAX_MESSAGE, round + k));
            }
        }
    }

    #[test]
    fn wraps_with_odd_sizes() {
        let region = TestRegion::new(MIN_DATA_BYTES);
        let (mut producer, mut consumer) = region.pair();
        let sizes = [1, 7, 13, 4095, 1001, 0, 9, 3333, 2047, 4096, 15, 555];
        let mut buf = vec![0; MAX_MESSAGE];
        let mut sent = 0;
        let mut queue = VecDeque::new();
        for round in 0..400 {
            let message = pattern(sizes[round % sizes.len()], round as u8);
            while producer.try_send(&message) == Err(SendError::Full) {
                let expected: Vec<u8> = queue.pop_front().unwrap();
                assert_eq!(consumer.try_recv(&mut buf), Ok(expected.len()));
                assert_eq!(buf[..expected.len()], expected[..]);
            }
            sent += record_len(message.len());
            queue.push_back(message);
        }
        for expected in queue {
            assert_eq!(consumer.try_recv(&mut buf), Ok(expected.len()));
            assert_eq!(buf[..expected.len()], expected[..]);
        }
        assert_eq!(consumer.try_recv(&mut buf), Err(RecvError::Empty));
        assert!(sent > 50 * MIN_DATA_BYTES, "the ring wrapped many times");
    }

    #[test]
    fn buffer_too_small_leaves_the_message() {
        let region = TestRegion::new(MIN_DATA_BYTES);
        let (mut producer, mut consumer) = region.pair();
        producer.try_send(&pattern(100, 3)).unwrap();
        producer.try_send(b"next").unwrap();
        let mut small = [0xAA; 99];
        assert_eq!(consumer.try_recv(&mut small), Err(RecvError::BufferTooSmall { needed: 100 }));
        assert_eq!(small, [0xAA; 99]);
        assert_eq!(consumer.try_recv(&mut []), Err(RecvError::BufferTooSmall { needed: 100 }));
        let mut buf = [0; 200];
        assert_eq!(consumer.try_recv(&mut buf), Ok(100));
        assert_eq!(buf[..100], pattern(100, 3)[..]);
        assert_eq!(consumer.try_recv(&mut buf), Ok(4));
        assert_eq!(&buf[..4], b"next");
    }

    #[test]
    fn corrupt_head_is_rejected() {
        let region = TestRegion::new(MIN_DATA_BYTES);
        let (mut producer, mut consumer) = region.pair();
        let cap = MIN_DATA_BYTES as u64;
        let mut buf = [0; 64];
        for bad_head in [cap + 8, 12, u64::MAX - 7, 1 << 63] {
            region.head().store(bad_head, Ordering::Relaxed);
            assert_eq!(consumer.try_recv(&mut buf), Err(RecvError::Corrupt), "head {bad_head}");
            assert_eq!(consumer.peek_len(), Err(RecvError::Corrupt));
        }
        // Nothing changed: once the producer publishes a sane head again, the ring works.
        region.head().store(0, Ordering::Relaxed);
        producer.try_send(b"ok").unwrap();
        assert_eq!(consumer.try_recv(&mut buf), Ok(2));
    }

    #[test]
    fn corrupt_length_is_rejected() {
        let region = TestRegion::new(MIN_DATA_BYTES);
        let (mut producer, mut consumer) = region.pair();
        producer.try_send(&pattern(20, 1)).unwrap();
        let length = region.word(HEADER_BYTES);
        let mut buf = [0x55; MAX_MESSAGE];
        // Too long for any message, or longer than the 32 bytes published.
        for bad in [MAX_MESSAGE as u64 + 1, u64::MAX, 1 << 32, 25, MAX_MESSAGE as u64] {
            length.store(bad, Ordering::Relaxed);
            assert_eq!(consumer.try_recv(&mut buf), Err(RecvError::Corrupt), "length {bad}");
        }
        assert_eq!(buf, [0x55; MAX_MESSAGE]);
        length.store(24, Ordering::Relaxed);
        assert_eq!(consumer.try_recv(&mut buf), Ok(24));
        assert_eq!(consumer.try_recv(&mut buf), Err(RecvError::Empty));
    }

    #[test]
    fn corrupt_tail_is_rejected() {
        let region = TestRegion::new(MIN_DATA_BYTES);
        let (mut producer, _consumer) = region.pair();
        while producer.try_send(&[0; 100]).is_ok() {}
        while producer.try_send(b"").is_ok() {}
        let head = region.head().load(Ordering::Relaxed);
        // A tail ahead of the head, or one that would leave more than the whole area free.
        for bad_tail in [head + 8, head + (1 << 40), head.wrapping_sub(MIN_DATA_BYTES as u64 + 8)] {
            region.tail().store(bad_tail, Ordering::Relaxed);
            assert_eq!(producer.try_send(b"x"), Err(SendError::Corrupt), "tail {bad_tail}");
        }
        region.tail().store(head, Ordering::Relaxed);
        producer.try_send(b"x").unwrap();
    }

    /// What a test does to the ring.
    #[derive(Clone, Debug)]
    enum Op {
        /// Send a message of this length, filled from this seed.
        Send(usize, u8),
        /// Receive into a buffer of this length.
        Recv(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..64usize, any::<u8>()).prop_map(|(len, seed)| Op::Send(len, seed)),
            2 => (0..MAX_MESSAGE + 32, any::<u8>()).prop_map(|(len, seed)| Op::Send(len, seed)),
            4 => Just(Op::Recv(MAX_MESSAGE)),
            1 => (0..MAX_MESSAGE).prop_map(Op::Recv),
        ]
    }

    /// Ring words as a broken peer might leave them: mostly plausible, sometimes anything.
    fn ring_word() -> impl Strategy<Value = u64> {
        prop_oneof![(0..MAX_MESSAGE as u64 + 64), (0..64u64).prop_map(|n| n * 8), any::<u64>()]
    }

    proptest! {
        /// The ring behaves like a queue of messages bounded by the data area's size.
        #[test]
        fn matches_a_queue_model(ops in proptest::collection::vec(op(), 1..300)) {
            let region = TestRegion::new(MIN_DATA_BYTES);
            let (mut producer, mut consumer) = region.pair();
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            let mut used = 0;
            for op in ops {
                match op {
                    Op::Send(len, seed) => {
                        let message = pattern(len, seed);
                        let expected = if len > MAX_MESSAGE {
                            Err(SendError::TooLong)
                        } else if used + record_len(len) > MIN_DATA_BYTES {
                            Err(SendError::Full)
                        } else {
                            Ok(())
                        };
                        prop_assert_eq!(producer.try_send(&message), expected);
                        if expected.is_ok() {
                            used += record_len(len);
                            model.push_back(message);
                        }
                    }
                    Op::Recv(buf_len) => {
                        let mut buf = vec![0xEE; buf_len];
                        let result = consumer.try_recv(&mut buf);
                        match model.front() {
                            None => prop_assert_eq!(result, Err(RecvError::Empty)),
                            Some(front) if front.len() > buf_len => {
                                prop_assert_eq!(result, Err(RecvError::BufferTooSmall { needed: front.len() }));
                                prop_assert!(buf.iter().all(|&b| b == 0xEE));
                            }
                            Some(front) => {
                                prop_assert_eq!(result, Ok(front.len()));
                                prop_assert_eq!(&buf[..front.len()], &front[..]);
                                used -= record_len(front.len());
                                model.pop_front();
                            }
                        }
                    }
                }
            }
        }

        /// Whatever a broken peer leaves in the region, neither side panics or reads out of it.
        #[test]
        fn garbage_is_survived(
            tail in any::<u64>(),
            ahead in prop_oneof![
                3 => (0..=MIN_DATA_BYTES as u64 / 8).prop_map(|n| n * 8),
                1 => 0..MIN_DATA_BYTES as u64 + 64,
                1 => any::<u64>(),
            ],
            words in proptest::collection::vec(ring_word(), MIN_DATA_BYTES / WORD),
            aligned in proptest::bool::weighted(0.9),
        ) {
            let region = TestRegion::new(MIN_DATA_BYTES);
            let tail = if aligned { tail & !7 } else { tail };
            region.tail().store(tail, Ordering::Relaxed);
            region.head().store(tail.wrapping_add(ahead), Ordering::Relaxed);
            for (n, word) in words.iter().enumerate() {
                region.word(HEADER_BYTES + n * WORD).store(*word, Ordering::Relaxed);
            }
            if let Ok(mut consumer) = region.consumer() {
                let mut buf = vec![0; MAX_MESSAGE];
                for _ in 0..MIN_DATA_BYTES {
                    match consumer.try_recv(&mut buf) {
                        Ok(len) => prop_assert!(len <= MAX_MESSAGE),
                        Err(RecvError::Empty | RecvError::Corrupt) => break,
                        Err(RecvError::BufferTooSmall { .. }) => prop_assert!(false, "the buffer is the maximum"),
                    }
                }
            }
            if let Ok(mut producer) = region.producer() {
                for _ in 0..MIN_DATA_BYTES {
                    if producer.try_send(&[1; 24]).is_err() {
                        break;
                    }
                }
            }
        }
    }

    /// A small deterministic generator (xorshift64*), so both threads can derive the same stream.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    /// FNV-1a over a message, chained through `hash`.
    fn checksum(hash: u64, bytes: &[u8]) -> u64 {
        bytes.iter().fold(hash ^ bytes.len() as u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3))
    }

    #[test]
    fn two_threads_move_megabytes() {
        const TOTAL: usize = 6 << 20;
        let region = TestRegion::new(16384);
        let (mut producer, mut consumer) = region.pair();
        let (sent, received) = std::thread::scope(|scope| {
            let sender = scope.spawn(move || {
                let mut random = Random(0x9E37_79B9_7F4A_7C15);
                let (mut bytes, mut count, mut hash) = (0, 0u64, 0xCBF2_9CE4_8422_2325);
                let mut message = vec![0; MAX_MESSAGE];
                while bytes < TOTAL {
                    // 1..=MAX_MESSAGE: the empty message ends the stream.
                    let len = 1 + random.next() as usize % MAX_MESSAGE;
                    message[..len].iter_mut().for_each(|b| *b = random.next() as u8);
                    producer.send_with(&message[..len], std::thread::yield_now).unwrap();
                    hash = checksum(hash, &message[..len]);
                    bytes += len;
                    count += 1;
                }
                producer.send_with(b"", std::thread::yield_now).unwrap();
                (count, hash)
            });
            let receiver = scope.spawn(move || {
                let (mut count, mut hash) = (0u64, 0xCBF2_9CE4_8422_2325);
                let mut buf = vec![0; MAX_MESSAGE];
                loop {
                    let len = consumer.recv_with(&mut buf, std::thread::yield_now).unwrap();
                    if len == 0 {
                        break;
                    }
                    hash = checksum(hash, &buf[..len]);
                    count += 1;
                }
                (count, hash)
            });
            (sender.join().unwrap(), receiver.join().unwrap())
        });
        assert!(sent.0 > 1000);
        assert_eq!(sent, received);
    }

    /// One side's bell in the threaded test: its own persistent bit, and the peer's.
    struct ThreadBell {
        own: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
        peer: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    }

    impl Doorbell for ThreadBell {
        fn wait(&mut self) {
            let (lock, ready) = &*self.own;
            let mut rung = lock.lock().unwrap();
            while !*rung {
                let (guard, timeout) = ready.wait_timeout(rung, std::time::Duration::from_secs(10)).unwrap();
                assert!(!timeout.timed_out(), "a wake-up was lost: asleep for 10 s");
                rung = guard;
            }
            *rung = false;
        }

        fn ring_peer(&mut self) {
            let (lock, ready) = &*self.peer;
            *lock.lock().unwrap() = true;
            ready.notify_one();
        }
    }

    /// Two threads, a small ring and many messages of every size: each side sleeps often,
    /// and a lost wake-up would leave one asleep (the bell fails the test after 10 s).
    #[test]
    fn blocking_sides_never_lose_a_wake_up() {
        let region = TestRegion::new(MIN_DATA_BYTES);
        let bits = || std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let (producer_bit, consumer_bit) = (bits(), bits());
        let mut consumer_bell = ThreadBell { own: consumer_bit.clone(), peer: producer_bit.clone() };
        let mut producer_bell = ThreadBell { own: producer_bit, peer: consumer_bit };
        let (mut producer, mut consumer) = region.pair();
        const MESSAGES: usize = 20_000;
        let sender = std::thread::spawn(move || {
            for n in 0..MESSAGES {
                producer.send_blocking(&pattern(n % 700, n as u8), &mut producer_bell).unwrap();
            }
        });
        let mut buf = vec![0; MAX_MESSAGE];
        for n in 0..MESSAGES {
            let len = consumer.recv_blocking(&mut buf, &mut consumer_bell).unwrap();
            assert_eq!(&buf[..len], &pattern(n % 700, n as u8)[..]);
        }
        sender.join().unwrap();
    }
}
