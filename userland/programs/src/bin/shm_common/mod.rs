//! Helpers shared by the `shm_*` programs of the shared-memory scenarios
//! (`userland/programs/src/bin/init/scenarios/shm.rs`): where each process maps the shared page, the byte patterns
//! written into it, and volatile access to a page this process mapped.
//!
//! Each program includes this file with `mod shm_common;` (next to `mod caps_common;`, whose
//! `Checks` prints the check lines). It is not a program of its own: Cargo and the kernel's
//! build.rs only take `src/bin/*.rs` (and `src/bin/*/main.rs`).
//!
//! The shared page is written by another process while this one runs, so it is only ever
//! reached through volatile reads and writes of single bytes and words, never through a Rust
//! reference.
#![allow(dead_code)]

use core::fmt;
use core::ops::Range;
use core::ptr;

use tryst::caps::CapInfo;
use tryst::memory::PAGE;
use tryst::{Error, ObjectKind, Rights};

/// Where the owner (process A) maps the shared page.
pub const A_ADDR: u64 = 0x4000_0000;
/// Where process B maps it: a different address from A's.
pub const B_ADDR: u64 = 0x5000_0000;
/// Where process C maps it.
pub const C_ADDR: u64 = 0x6000_0000;

/// The page's size in bytes, as an offset bound.
pub const PAGE_BYTES: usize = PAGE as usize;

/// A's byte pattern: byte `offset` of the page (distinct from B's at every offset).
pub fn a_pattern(offset: usize) -> u8 {
    ((offset * 7 + 0x11) % 256) as u8
}

/// B's byte pattern: byte `offset` of the page.
pub fn b_pattern(offset: usize) -> u8 {
    ((offset * 13 + 0x5c) % 256) as u8
}

/// Zero, the content of every byte of a new frame.
pub fn zero(_offset: usize) -> u8 {
    0
}

/// Frames made from this process's Memory capability (the scenario's shared pool), as its
/// figures count them: unlike `kernel_stats`, it does not move when a peer process, with its
/// own pages, goes away.
pub fn frames_made() -> u64 {
    let memory = tryst::caps::slot(tryst::boot_info().memory_slot).expect("boot slot");
    tryst::caps::memory_info(memory).map_or(0, |(_, used)| used / PAGE)
}

/// What `identify` says of an unbadged Frame capability with `rights`.
pub fn frame_cap(rights: Rights) -> Result<CapInfo, Error> {
    Ok(CapInfo { kind: Some(ObjectKind::Frame), rights, badge: 0 })
}

/// The first byte in `range` that differs from `pattern`: `(offset, found, expected)`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    offset: usize,
    found: u8,
    expected: u8,
}

impl fmt::Debug for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {:#x} is {:#04x}, not {:#04x}", self.offset, self.found, self.expected)
    }
}

/// One page of this process's address space, at `addr`, reached with volatile accesses.
#[derive(Clone, Copy)]
pub struct Page {
    addr: u64,
}

impl Page {
    /// The page at `addr` (page-aligned).
    ///
    /// # Safety
    ///
    /// No Rust object lives at `addr`: the process mapped a Frame there itself, or means to
    /// touch an address where such a page was unmapped (the kernel must then stop the process
    /// with a page fault, which is what the scenarios check).
    pub const unsafe fn at(addr: u64) -> Page {
        Page { addr }
    }

    /// The page's address.
    pub fn addr(self) -> u64 {
        self.addr
    }

    fn byte_ptr(self, offset: usize) -> *mut u8 {
        assert!(offset < PAGE_BYTES, "offset {offset:#x} outside the page");
        (self.addr as usize + offset) as *mut u8
    }

    fn word_ptr(self, offset: usize) -> *mut u64 {
        assert!(offset.is_multiple_of(8) && offset + 8 <= PAGE_BYTES, "bad word offset {offset:#x}");
        (self.addr as usize + offset) as *mut u64
    }

    /// Byte `offset`: a read access at `addr + offset`.
    pub fn read(self, offset: usize) -> u8 {
        // SAFETY: the pointer is inside the page (checked above), which holds no Rust object
        // (`Page::at`'s contract); a volatile read of plain bytes is valid for any content. If
        // the page is not mapped readable, the CPU faults and the kernel stops this process.
        unsafe { ptr::read_volatile(self.byte_ptr(offset)) }
    }

    /// Writes byte `offset`: a write access at `addr + offset`.
    pub fn write(self, offset: usize, value: u8) {
        // SAFETY: as in `read`; if the page is not mapped writable, the kernel stops this
        // process at the write.
        unsafe { ptr::write_volatile(self.byte_ptr(offset), value) }
    }

    /// The 8-byte word at `offset` (a multiple of 8).
    pub fn read_word(self, offset: usize) -> u64 {
        // SAFETY: as in `read`; the word is aligned and inside the page (checked above).
        unsafe { ptr::read_volatile(self.word_ptr(offset)) }
    }

    /// Writes the 8-byte word at `offset` (a multiple of 8).
    pub fn write_word(self, offset: usize, value: u64) {
        // SAFETY: as in `write`; the word is aligned and inside the page (checked above).
        unsafe { ptr::write_volatile(self.word_ptr(offset), value) }
    }

    /// Writes `pattern(offset)` into every byte of `range`.
    pub fn fill(self, range: Range<usize>, pattern: fn(usize) -> u8) {
        for offset in range {
            self.write(offset, pattern(offset));
        }
    }

    /// Compares every byte of `range` with `pattern`, byte for byte: the first that differs.
    pub fn mismatch(self, range: Range<usize>, pattern: fn(usize) -> u8) -> Option<Mismatch> {
        range.into_iter().find_map(|offset| {
            let (found, expected) = (self.read(offset), pattern(offset));
            (found != expected).then_some(Mismatch { offset, found, expected })
        })
    }
}
