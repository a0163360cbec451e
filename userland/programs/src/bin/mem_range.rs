//! `map_kernel_range_refused`: `map` maps only into free, page-aligned user pages; everything
//! else is refused with its documented error and changes nothing.
//!
//! Runs alone. It maps a Frame read-write at [`GOOD_AT`] and fills it with a pattern, then
//! tries a second, unmapped Frame at: the direct-map base, the kernel image, `USER_END`
//! (non-canonical), one page above it, the last page of the address space (all
//! `BadAddress`); page 0 (`BadAddress`); an unaligned address, an unaligned kernel address
//! (`InvalidArgument`); over the IPC buffer, the boot-info page, the page of this program's
//! code and the stack page holding a local variable, and over the good mapping
//! (`AlreadyMapped`). It maps the already-mapped Frame capability again elsewhere
//! (`AlreadyMapped`), unmaps the unmapped one (`NotMapped`), and passes capabilities of the
//! wrong kind as the Frame or the address space to `map` and `unmap` (`WrongType`) and empty
//! slots (`EmptySlot`). After all that: the second Frame maps nothing, the Memory figures and
//! `kernel_stats` are as before, the good mapping still holds its pattern. Then the edges of
//! user space that may be mapped are: the lowest page above page 0 (`0x1000`) and the highest
//! user page (`USER_END - PAGE`, which nothing occupies at start) both map, and a word
//! written at the very last user address reads back. At the end every object is gone and the
//! figures are as at the start.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{mapping, slot, Checks, Hex};
use tryst::abi::{BOOT_INFO_ADDR, IPC_BUFFER_ADDR, USER_END};
use tryst::memory::{self, PAGE, READ, READ_WRITE};
use tryst::{caps, Error};

tryst::entry!(main);

/// Where the good mapping lives.
const GOOD_AT: u64 = 0x4000_0000;
/// The kernel's direct map of physical memory starts here.
const DIRECT_MAP: u64 = 0xffff_8000_0000_0000;
/// The kernel image is linked here.
const KERNEL_IMAGE: u64 = 0xffff_ffff_8000_0000;
/// The lowest page that may be mapped.
const LOWEST_PAGE: u64 = PAGE;
/// The highest page that may be mapped.
const HIGHEST_PAGE: u64 = USER_END - PAGE;

/// What is written at the last user address.
const LAST_WORD: u64 = 0x7e57_1a57_0000_05e2;

/// Word `index` of the pattern in the good mapping.
fn pattern(index: u64) -> u64 {
    0x6d61_7000_0000_0000 | index << 8 | 0x5a
}

/// The page holding `addr`.
fn page_of(addr: u64) -> u64 {
    addr & !(PAGE - 1)
}

fn main(_: u64) -> u32 {
    let mut checks = Checks::new("mem_range");
    let boot = tryst::boot_info();
    let (boot_memory, own, thread) = (slot(boot.memory_slot), slot(boot.space_slot), slot(boot.thread_slot));
    let cspace = slot(boot.cspace_slot);
    let first = boot.first_free_slot;
    let (good, spare, empty) = (slot(first), slot(first + 1), slot(first + 2));

    let start_stats = caps::kernel_stats();
    let start_figures = caps::memory_info(boot_memory);
    checks.ok("create the good Frame", caps::create_frame(boot_memory, good));
    checks.ok("create the spare Frame", caps::create_frame(boot_memory, spare));
    checks.ok("map the good Frame R|W", memory::map(own, good, GOOD_AT, READ_WRITE));
    for index in 0..PAGE / 8 {
        // SAFETY: GOOD_AT was just mapped read-write, no Rust object lives there; 8-aligned.
        unsafe { core::ptr::write_volatile((GOOD_AT + index * 8) as *mut u64, pattern(index)) };
    }
    let figures = caps::memory_info(boot_memory);
    let stats = caps::kernel_stats();

    // Addresses outside user space.
    let bad_addresses: [(&str, u64); 6] = [
        ("map at the direct-map base", DIRECT_MAP),
        ("map in the kernel image", KERNEL_IMAGE),
        ("map at USER_END (non-canonical)", USER_END),
        ("map one page above USER_END", USER_END + PAGE),
        ("map at the last page of the address space (u64::MAX & !0xfff)", !(PAGE - 1)),
        ("map at page 0", 0),
    ];
    for (case, vaddr) in bad_addresses {
        checks.error(case, memory::map(own, spare, vaddr, READ), Error::BadAddress);
    }
    checks.error(
        "map at an unaligned address",
        memory::map(own, spare, GOOD_AT + PAGE + 8, READ),
        Error::InvalidArgument,
    );
    checks.error(
        "map at an unaligned kernel address",
        memory::map(own, spare, KERNEL_IMAGE + 1, READ),
        Error::InvalidArgument,
    );

    // Pages that are already there.
    let local = core::hint::black_box(0u64);
    let occupied: [(&str, u64); 5] = [
        ("map over the IPC buffer", IPC_BUFFER_ADDR),
        ("map over the boot-info page", BOOT_INFO_ADDR),
        ("map over this program's code", page_of(main as fn(u64) -> u32 as usize as u64)),
        ("map over this program's stack", page_of(core::ptr::addr_of!(local) as u64)),
        ("map over the good mapping", GOOD_AT),
    ];
    for (case, vaddr) in occupied {
        checks.error(case, memory::map(own, spare, vaddr, READ), Error::AlreadyMapped);
    }
    checks.error(
        "map the mapped good Frame capability again elsewhere",
        memory::map(own, good, GOOD_AT + PAGE, READ),
        Error::AlreadyMapped,
    );
    checks.error("unmap the unmapped spare Frame", memory::unmap(spare), Error::NotMapped);

    // Capabilities of the wrong kind, and empty slots.
    checks.error(
        "map the Memory capability as the Frame",
        memory::map(own, boot_memory, GOOD_AT + PAGE, READ),
        Error::WrongType,
    );
    checks.error(
        "map the address space capability as the Frame",
        memory::map(own, own, GOOD_AT + PAGE, READ),
        Error::WrongType,
    );
    checks.error(
        "map into the Memory capability",
        memory::map(boot_memory, spare, GOOD_AT + PAGE, READ),
        Error::WrongType,
    );
    checks.error(
        "map into a Frame capability",
        memory::map(good, spare, GOOD_AT + PAGE, READ),
        Error::WrongType,
    );
    checks.error(
        "map into the Thread capability",
        memory::map(thread, spare, GOOD_AT + PAGE, READ),
        Error::WrongType,
    );
    checks.error(
        "map into the CSpace capability",
        memory::map(cspace, spare, GOOD_AT + PAGE, READ),
        Error::WrongType,
    );
    checks.error("unmap the Memory capability", memory::unmap(boot_memory), Error::WrongType);
    checks.error("unmap the address space capability", memory::unmap(own), Error::WrongType);
    checks.error(
        "map an empty slot as the Frame",
        memory::map(own, empty, GOOD_AT + PAGE, READ),
        Error::EmptySlot,
    );
    checks.error("map into an empty slot", memory::map(empty, spare, GOOD_AT + PAGE, READ), Error::EmptySlot);
    checks.error("unmap an empty slot", memory::unmap(empty), Error::EmptySlot);

    // Nothing changed.
    checks.equal("the spare Frame's mapping after the refusals", mapping(spare), Ok(None));
    checks.equal("the good Frame's mapping after the refusals", mapping(good), Ok(Some(Hex(GOOD_AT))));
    checks.holds(
        "after the refusals the Memory figures and kernel_stats are unchanged",
        caps::memory_info(boot_memory) == figures && caps::kernel_stats() == stats,
    );
    let intact = (0..PAGE / 8).all(|index| {
        // SAFETY: GOOD_AT is still mapped (checked just above); 8-aligned.
        let word = unsafe { core::ptr::read_volatile((GOOD_AT + index * 8) as *const u64) };
        word == pattern(index)
    });
    checks.holds("the good mapping still reads its pattern", intact);

    // The edges of user space that may be mapped.
    checks.ok(
        "map the spare Frame at the lowest page above page 0",
        memory::map(own, spare, LOWEST_PAGE, READ),
    );
    checks.equal("the spare Frame's mapping at the lowest page", mapping(spare), Ok(Some(Hex(LOWEST_PAGE))));
    checks.ok("unmap it", memory::unmap(spare));
    checks.error("unmap it again", memory::unmap(spare), Error::NotMapped);
    checks.ok(
        "map the spare Frame R|W at the highest user page",
        memory::map(own, spare, HIGHEST_PAGE, READ_WRITE),
    );
    let last_word = USER_END - 8;
    // SAFETY: the last word of the page just mapped read-write; no Rust object lives there.
    unsafe { core::ptr::write_volatile(last_word as *mut u64, LAST_WORD) };
    // SAFETY: as above.
    let read = unsafe { core::ptr::read_volatile(last_word as *const u64) };
    checks.holds("the word written at the last user address reads back", read == LAST_WORD);
    checks.equal(
        "the spare Frame's mapping at the highest page",
        mapping(spare),
        Ok(Some(Hex(HIGHEST_PAGE))),
    );

    checks.ok("delete the mapped spare Frame", caps::delete(spare));
    checks.ok("delete the mapped good Frame", caps::delete(good));
    checks.holds(
        "at the end the Memory figures and kernel_stats are as at the start",
        caps::memory_info(boot_memory) == start_figures && caps::kernel_stats() == start_stats,
    );
    checks.finish()
}
