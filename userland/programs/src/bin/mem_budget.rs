//! `memory_budget_exhausted_frames`: Frames and the page tables of made address spaces are
//! paid for from a Memory budget; exhaustion is `OutOfMemory` and changes nothing; deleting
//! refunds.
//!
//! The checker (argument 0, the highest priority: it runs first, to its end). Frames: from
//! the boot Memory it makes a child Memory with a budget of exactly five Frames (the boot
//! Memory is charged `MEMORY_COST` plus that budget) and checks: five Frames can be made, the
//! sixth is `OutOfMemory` with its slot left empty and the figures unchanged, and then used ==
//! budget; mapping into the process's own (boot) address space charges nothing; words written
//! through a read-write mapping read back, and through a read-only mapping of a copy of the
//! capability (a copy costs nothing and maps nothing); a new Frame reads as zeros; deleting an
//! unmapped Frame refunds `FRAME_COST` and lets exactly one more be made; deleting a mapped
//! Frame's capability unmaps it (its address can be mapped again) and refunds it; deleting the
//! original capability of a Frame whose copy is still mapped undoes only the original's
//! mapping and refunds nothing until the copy goes too; `unmap` clears the capability's
//! mapping; a Frame made after a written page was freed reads as zeros; a moved capability
//! keeps its mapping, and deleting it undoes that mapping.
//!
//! Address spaces: from a second child Memory with a budget of four page tables it makes an
//! address space (charged `PAGE_TABLE_COST`) and a Frame (one more page) and checks: mapping
//! a page that needs three new page tables is `OutOfMemory` with two affordable, and changes
//! nothing (figures, `mapping` of the Frame); once the extra Frame is deleted the same map
//! succeeds and charges the three tables; a neighbouring page (same tables) maps with the
//! budget full, a page in another 512 GiB region does not; deleting the address space's
//! capability refunds it and its tables and forgets the mappings into it. At the end
//! `kernel_stats` (Frames included) and the boot Memory's figures are as at the start.
//!
//! Two touchers then show that a mapping taken away is gone from the TLB too: each maps a
//! Frame, writes and reads it, then the reader (argument 1) deletes the Frame's capability
//! and reads the page, the writer (argument 2) unmaps it and writes the page. The kernel must
//! stop each with a page fault at that address (the QEMU check reads the kernel's lines).
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{mapping, slot, Checks, Hex};
use tryst::abi::{FRAME_COST, MEMORY_COST, PAGE_TABLE_COST};
use tryst::memory::{self, PAGE, READ, READ_WRITE};
use tryst::{caps, Error, ObjectKind, Slot};

tryst::entry!(main);

/// How many Frames the first child Memory can pay for.
const FRAMES: u64 = 5;
/// The first child Memory's budget: exactly [`FRAMES`] Frames.
const FRAME_BUDGET: u64 = FRAMES * FRAME_COST;
/// The second child Memory's budget: an address space's top table plus three page tables.
const SPACE_BUDGET: u64 = 4 * PAGE_TABLE_COST;

// Addresses in this process's own address space (nothing is mapped there at start).
/// Where the first Frame is mapped read-write.
const WRITE_AT: u64 = 0x4000_0000;
/// Where a copy of its capability is mapped read-only.
const COPY_AT: u64 = 0x4000_1000;
/// Where a fresh Frame is mapped read-only.
const FRESH_AT: u64 = 0x4000_2000;
/// Where a Frame is mapped once its mapping into the made address space is forgotten.
const AGAIN_AT: u64 = 0x4000_3000;

// Addresses in the address space made from the second child Memory (empty when made).
/// A page whose mapping needs three new page tables (page directory pointer table, page
/// directory, page table) below the top one.
const SPACE_AT: u64 = 0x4000_0000;
/// A page in another 512 GiB region (another top-level entry): three new tables again.
const FAR_AT: u64 = SPACE_AT + (1 << 39);

/// Word `index` of the pattern written into a Frame.
fn pattern(index: u64) -> u64 {
    0x5452_5953_0000_0000 | (index * 3)
}

/// Fills the page at `page` with [`pattern`].
///
/// # Safety
/// `page` must be a page this process maps writable, holding no Rust object.
unsafe fn write_pattern(page: u64) {
    for index in 0..PAGE / 8 {
        // SAFETY: inside the page, 8-aligned; the caller vouches it is mapped writable and
        // that nothing else in this program uses it. Volatile: it may be mapped twice.
        unsafe { core::ptr::write_volatile((page + index * 8) as *mut u64, pattern(index)) };
    }
}

/// Whether every word of the page at `page` is what `expected` says for its index.
///
/// # Safety
/// `page` must be a page this process maps readable.
unsafe fn page_holds(page: u64, expected: impl Fn(u64) -> u64) -> bool {
    (0..PAGE / 8).all(|index| {
        // SAFETY: inside the page, 8-aligned, mapped readable (the caller vouches).
        let word = unsafe { core::ptr::read_volatile((page + index * 8) as *const u64) };
        word == expected(index)
    })
}

fn main(role: u64) -> u32 {
    match role {
        0 => checker(),
        1 => touch_after(Undo::Delete),
        _ => touch_after(Undo::Unmap),
    }
}

fn checker() -> u32 {
    let mut checks = Checks::new("mem_budget");
    let boot = tryst::boot_info();
    let boot_memory = slot(boot.memory_slot);
    let own = slot(boot.space_slot);
    let first = boot.first_free_slot;
    let start_stats = caps::kernel_stats();
    let Some(boot_figures) = checks.ok("memory_info on the boot Memory", caps::memory_info(boot_memory))
    else {
        return checks.finish();
    };

    frames_from_a_budget(&mut checks, boot_memory, own, first, start_stats.frames);
    address_space_from_a_budget(&mut checks, boot_memory, own, first + 10);

    checks.holds(
        "the boot Memory's figures at the end are those at the start",
        caps::memory_info(boot_memory) == Ok(boot_figures),
    );
    checks.equal("kernel_stats at the end", caps::kernel_stats(), start_stats);
    checks.finish()
}

/// Bytes used of the Memory capability `memory` (0 if it cannot be read: the checks using
/// it then fail).
fn used(memory: Slot) -> u64 {
    caps::memory_info(memory).map_or(0, |(_, used)| used)
}

/// The Frame half: a child Memory for exactly [`FRAMES`] Frames, in slots from `first`;
/// `start_frames` is the Frame count `kernel_stats` gave at the start.
fn frames_from_a_budget(checks: &mut Checks, boot_memory: Slot, own: Slot, first: u64, start_frames: u64) {
    let boot_used_at_start = used(boot_memory);
    let boot_charged = || used(boot_memory).wrapping_sub(boot_used_at_start);
    let frames_made = || caps::kernel_stats().frames.wrapping_sub(start_frames);
    let child = slot(first);
    let frames = [slot(first + 1), slot(first + 2), slot(first + 3), slot(first + 4), slot(first + 5)];
    let (extra, copy) = (slot(first + 6), slot(first + 7));

    checks.ok("create a child Memory", caps::create_memory(boot_memory, child, FRAME_BUDGET));
    checks.equal("the child Memory: budget, used", caps::memory_info(child), Ok((FRAME_BUDGET, 0)));
    checks.equal(
        "the boot Memory is charged MEMORY_COST plus the child's budget",
        boot_charged(),
        MEMORY_COST + FRAME_BUDGET,
    );

    // Exactly five Frames fit.
    let made = frames.iter().filter(|&&frame| caps::create_frame(child, frame).is_ok()).count();
    checks.equal("Frames made from the child", made, FRAMES as usize);
    checks.equal("Frames in kernel_stats", frames_made(), FRAMES);
    checks.equal(
        "the full child Memory: budget, used",
        caps::memory_info(child),
        Ok((FRAME_BUDGET, FRAME_BUDGET)),
    );
    checks.error("a sixth Frame", caps::create_frame(child, extra), Error::OutOfMemory);
    checks.error("the slot of the sixth Frame", caps::identify(extra), Error::EmptySlot);
    checks.equal(
        "the full child Memory after the refusal: budget, used",
        caps::memory_info(child),
        Ok((FRAME_BUDGET, FRAME_BUDGET)),
    );
    checks.equal("Frames in kernel_stats after the refusal", frames_made(), FRAMES);

    // Data: written through one mapping, read through it and through a copy's mapping.
    checks.ok("map the first Frame read-write", memory::map(own, frames[0], WRITE_AT, READ_WRITE));
    // SAFETY: WRITE_AT was just mapped read-write, and no Rust object lives there.
    unsafe { write_pattern(WRITE_AT) };
    // SAFETY: mapped readable just above.
    checks.holds("the words written read back through the read-write mapping", unsafe {
        page_holds(WRITE_AT, pattern)
    });
    checks.ok("copy the first Frame's capability", caps::copy(frames[0], copy));
    checks.equal("the copy's mapping before it is mapped", mapping(copy), Ok(None));
    checks.ok("map the copy read-only", memory::map(own, copy, COPY_AT, READ));
    // SAFETY: COPY_AT was just mapped readable.
    checks.holds("the words written read back through the copy's read-only mapping", unsafe {
        page_holds(COPY_AT, pattern)
    });
    checks.equal(
        "where the Frame and its copy are mapped",
        (mapping(frames[0]), mapping(copy)),
        (Ok(Some(Hex(WRITE_AT))), Ok(Some(Hex(COPY_AT)))),
    );
    checks.ok("map the second Frame read-only", memory::map(own, frames[1], FRESH_AT, READ));
    // SAFETY: FRESH_AT was just mapped readable.
    checks.holds("a new Frame reads as zeros", unsafe { page_holds(FRESH_AT, |_| 0) });
    checks.equal(
        "the child Memory after a copy and mappings into the boot address space: budget, used",
        caps::memory_info(child),
        Ok((FRAME_BUDGET, FRAME_BUDGET)),
    );
    checks.equal(
        "the boot Memory is charged nothing for the mappings (boot page tables are free)",
        boot_charged(),
        MEMORY_COST + FRAME_BUDGET,
    );
    checks.equal("Frames in kernel_stats with the copy", frames_made(), FRAMES);

    // Deleting an unmapped Frame refunds it: one more fits, and no more.
    checks.ok("delete the fifth Frame", caps::delete(frames[4]));
    checks.equal(
        "the child Memory after deleting a Frame: budget, used",
        caps::memory_info(child),
        Ok((FRAME_BUDGET, FRAME_BUDGET - FRAME_COST)),
    );
    checks.equal("Frames in kernel_stats after deleting one", frames_made(), FRAMES - 1);
    checks.ok("a Frame again after the delete", caps::create_frame(child, frames[4]));
    checks.error("one more after that", caps::create_frame(child, extra), Error::OutOfMemory);

    // Deleting a mapped Frame's only capability unmaps and refunds it.
    checks.ok("delete the mapped second Frame", caps::delete(frames[1]));
    checks.equal(
        "the child Memory after deleting a mapped Frame: budget, used",
        caps::memory_info(child),
        Ok((FRAME_BUDGET, FRAME_BUDGET - FRAME_COST)),
    );
    checks.equal("Frames in kernel_stats after deleting a mapped one", frames_made(), FRAMES - 1);
    checks.ok(
        "map another Frame where the deleted one was mapped",
        memory::map(own, frames[4], FRESH_AT, READ),
    );
    // SAFETY: FRESH_AT was just mapped readable.
    checks.holds("the page where the deleted Frame was is a new Frame's (zeros)", unsafe {
        page_holds(FRESH_AT, |_| 0)
    });

    // A copy keeps the page: deleting the original undoes only the original's mapping.
    checks.ok("delete the first Frame's original capability", caps::delete(frames[0]));
    checks.equal(
        "the child Memory while the copy keeps the page: budget, used",
        caps::memory_info(child),
        Ok((FRAME_BUDGET, FRAME_BUDGET - FRAME_COST)),
    );
    // SAFETY: COPY_AT is still mapped readable through the copy.
    checks.holds("the copy's mapping still reads the words written", unsafe { page_holds(COPY_AT, pattern) });
    checks.ok("map another Frame where the original was mapped", memory::map(own, frames[2], WRITE_AT, READ));
    // SAFETY: WRITE_AT was just mapped readable.
    checks.holds("the page where the original was is a new Frame's (zeros)", unsafe {
        page_holds(WRITE_AT, |_| 0)
    });
    checks.ok("delete the copy", caps::delete(copy));
    checks.equal(
        "the child Memory once the last capability to the page is gone: budget, used",
        caps::memory_info(child),
        Ok((FRAME_BUDGET, FRAME_BUDGET - 2 * FRAME_COST)),
    );
    checks.equal("Frames in kernel_stats after the copy", frames_made(), FRAMES - 2);
    checks.ok("a Frame again after the written page was freed", caps::create_frame(child, extra));
    checks.ok("map it where the copy was mapped", memory::map(own, extra, COPY_AT, READ));
    // SAFETY: COPY_AT was just mapped readable.
    checks.holds("a Frame made after a written page was freed reads as zeros", unsafe {
        page_holds(COPY_AT, |_| 0)
    });

    // `unmap` clears the mapping; the capability can map again.
    checks.ok("unmap the third Frame", memory::unmap(frames[2]));
    checks.equal("the third Frame's mapping after unmap", mapping(frames[2]), Ok(None));
    checks.ok("map the third Frame again at the same address", memory::map(own, frames[2], WRITE_AT, READ));

    // A moved capability takes its mapping along.
    checks.ok("move the mapped capability", caps::move_cap(extra, copy));
    checks.equal("the moved capability's mapping", mapping(copy), Ok(Some(Hex(COPY_AT))));
    for frame in [frames[2], copy, frames[3], frames[4]] {
        checks.ok("delete a Frame", caps::delete(frame));
    }
    checks.ok("a Frame again", caps::create_frame(child, extra));
    checks.ok("map it where the moved capability mapped its Frame", memory::map(own, extra, COPY_AT, READ));
    checks.ok("delete it", caps::delete(extra));
    checks.equal(
        "the child Memory with no Frame left: budget, used",
        caps::memory_info(child),
        Ok((FRAME_BUDGET, 0)),
    );
    checks.equal("Frames in kernel_stats with none left", frames_made(), 0);
    checks.ok("delete the child Memory", caps::delete(child));
    checks.equal("the boot Memory's use after deleting the child", boot_charged(), 0);
}

/// The address-space half: a child Memory for an address space and three page tables, in
/// slots from `first`. The Frames mapped into the space are paid for by the boot Memory.
fn address_space_from_a_budget(checks: &mut Checks, boot_memory: Slot, own: Slot, first: u64) {
    let (child, space, extra) = (slot(first), slot(first + 1), slot(first + 2));
    let (frame, neighbour, far) = (slot(first + 3), slot(first + 4), slot(first + 5));

    checks.ok(
        "create a child Memory for an address space",
        caps::create_memory(boot_memory, child, SPACE_BUDGET),
    );
    checks.ok("create an address space from it", caps::create_address_space(child, space));
    checks.equal(
        "the new address space's kind",
        caps::identify(space).map(|info| info.kind),
        Ok(Some(ObjectKind::AddressSpace)),
    );
    checks.equal(
        "the child Memory with an address space: budget, used",
        caps::memory_info(child),
        Ok((SPACE_BUDGET, PAGE_TABLE_COST)),
    );
    checks.ok("create a Frame from the child too", caps::create_frame(child, extra));
    for target in [frame, neighbour, far] {
        checks.ok("create a Frame from the boot Memory", caps::create_frame(boot_memory, target));
    }
    let before = caps::memory_info(child);
    checks.equal(
        "the child Memory with the address space and a Frame: budget, used",
        before,
        Ok((SPACE_BUDGET, PAGE_TABLE_COST + FRAME_COST)),
    );

    checks.error(
        "map a page needing 3 page tables with 2 affordable",
        memory::map(space, frame, SPACE_AT, READ_WRITE),
        Error::OutOfMemory,
    );
    checks.equal("the child Memory after the refused map: budget, used", caps::memory_info(child), before);
    checks.equal("the Frame's mapping after the refused map", mapping(frame), Ok(None));

    checks.ok("delete the child's Frame", caps::delete(extra));
    checks.ok("map the page with 3 page tables affordable", memory::map(space, frame, SPACE_AT, READ_WRITE));
    checks.equal(
        "the child Memory after the map: the space and 3 tables",
        caps::memory_info(child),
        Ok((SPACE_BUDGET, 4 * PAGE_TABLE_COST)),
    );
    checks.equal("the Frame's mapping", mapping(frame), Ok(Some(Hex(SPACE_AT))));
    checks.ok(
        "map the next page (no new table) with the budget full",
        memory::map(space, neighbour, SPACE_AT + PAGE, READ_WRITE),
    );
    checks.error(
        "map a page in another 512 GiB region with the budget full",
        memory::map(space, far, FAR_AT, READ_WRITE),
        Error::OutOfMemory,
    );
    checks.equal(
        "the child Memory after the neighbour and the refusal: budget, used",
        caps::memory_info(child),
        Ok((SPACE_BUDGET, SPACE_BUDGET)),
    );

    checks.ok("delete the address space's capability", caps::delete(space));
    checks.equal(
        "the child Memory after deleting the address space: budget, used",
        caps::memory_info(child),
        Ok((SPACE_BUDGET, 0)),
    );
    checks.equal(
        "the mappings into the deleted address space",
        (mapping(frame), mapping(neighbour)),
        (Ok(None), Ok(None)),
    );
    checks
        .ok("map the Frame that was mapped there into this process", memory::map(own, frame, AGAIN_AT, READ));
    for target in [frame, neighbour, far] {
        checks.ok("delete a boot Memory Frame", caps::delete(target));
    }
    checks.ok("delete the child Memory", caps::delete(child));
}

/// How a toucher takes its mapping away before touching the page again.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Undo {
    /// Delete the Frame's only capability, then read the page.
    Delete,
    /// `unmap` the Frame, then write the page.
    Unmap,
}

/// Maps a Frame read-write at [`WRITE_AT`], writes and reads it (so that the translation is
/// in the TLB), takes the mapping away with `undo`, and touches the page again: the kernel
/// must stop this process with a page fault at [`WRITE_AT`] (a read after `Delete`, a write
/// after `Unmap`). If the touch succeeds, it reports a failure and exits 1.
fn touch_after(undo: Undo) -> u32 {
    let who = match undo {
        Undo::Delete => "mem_budget reader",
        Undo::Unmap => "mem_budget writer",
    };
    let mut checks = Checks::new(who);
    let boot = tryst::boot_info();
    let (boot_memory, own, frame) =
        (slot(boot.memory_slot), slot(boot.space_slot), slot(boot.first_free_slot));
    checks.ok("create a Frame", caps::create_frame(boot_memory, frame));
    checks.ok("map it read-write", memory::map(own, frame, WRITE_AT, READ_WRITE));
    // SAFETY: WRITE_AT was just mapped read-write, and no Rust object lives there.
    unsafe { write_pattern(WRITE_AT) };
    // SAFETY: mapped readable.
    checks.holds("the words written read back", unsafe { page_holds(WRITE_AT, pattern) });
    let word = WRITE_AT as *mut u64;
    match undo {
        Undo::Delete => {
            checks.ok("delete the Frame's capability", caps::delete(frame));
            checks.note(format_args!("reading {WRITE_AT:#x} after the delete"));
            // SAFETY: none: the page is gone and the read must fault. Should the kernel have
            // left it mapped, it reads a plain word of the Frame's page.
            let value = unsafe { core::ptr::read_volatile(word) };
            checks.fail("the read after the delete", format_args!("read {value:#x}: it did not fault"));
        }
        Undo::Unmap => {
            checks.ok("unmap the Frame", memory::unmap(frame));
            checks.note(format_args!("writing {WRITE_AT:#x} after the unmap"));
            // SAFETY: none: the page is gone and the write must fault. Should the kernel have
            // left it mapped, it writes a plain word of a page no Rust object uses.
            unsafe { core::ptr::write_volatile(word, 1) };
            checks.fail("the write after the unmap", format_args!("it did not fault"));
        }
    }
    checks.finish()
}
