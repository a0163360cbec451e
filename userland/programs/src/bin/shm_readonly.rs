//! `readonly_share_write_faults`: a read-only Frame capability maps only read-only, and the
//! page it maps cannot be written: the write stops the writer with a page fault at the page's
//! address, and the owner's data is unchanged.
//!
//! Both processes share boot endpoint 0. A (argument 0, the higher priority) owns the page;
//! B (argument 1) gets a read-only copy.
//!
//! 1. A makes a Frame, maps it read-write at `0x40000000`, fills all 4096 bytes with its
//!    pattern, mints a copy with Read only (`identify`: `Rights(READ)`, not mapped) and calls
//!    B with it.
//! 2. B receives the copy with Read only. Mapping it read-write or read-execute is
//!    `MissingRights`, and so is minting a read-write copy of it; none of these leaves a
//!    mapping. Mapping it read-only at `0x50000000` works (`mapping` says so; mapping it again
//!    elsewhere is `AlreadyMapped`) and B reads A's pattern, byte for byte.
//! 3. B prints its summary, then writes to the page at `0x50000000`: the kernel must stop it
//!    with `page fault at 0x50000000 (write, ...)` (checked in `kernel/qemu-tests.d/shm.sh`).
//!    Were the write to succeed, B prints a FAILED line and exits with status 1.
//! 4. B died holding the reply right to A's call: A wakes with `PeerGone`. Its page is
//!    unchanged, all 4096 bytes; its mapping still works; the frame lives on (B's copy went
//!    with B). A deletes everything: the frame count is back to the start; A exits 0.
#![no_std]
#![no_main]

mod caps_common;
mod shm_common;

use caps_common::{boot_endpoint, mapping, slot, Checks, Hex};
use shm_common::{a_pattern, frame_cap, frames_made, Page, A_ADDR, B_ADDR, PAGE_BYTES};
use tryst::caps;
use tryst::ipc::{self, MessageExt};
use tryst::memory::{self, PAGE, READ, READ_EXECUTE, READ_WRITE};
use tryst::{println, Error, Message, Rights};

tryst::entry!(main);

/// The label of A's call.
const SHARE: u64 = 1;
/// What A writes, and reads back, once B is gone.
const A_AFTER: u8 = 0x5a;

fn main(role: u64) -> u32 {
    match role {
        0 => a(),
        _ => b(),
    }
}

fn a() -> u32 {
    let mut checks = Checks::new("shm_readonly A");
    let boot = tryst::boot_info();
    let (endpoint, space) = (boot_endpoint(0), slot(boot.space_slot));
    let (frame, read_only) = (slot(boot.first_free_slot), slot(boot.first_free_slot + 1));
    let start_frames = frames_made();

    checks.ok("create a frame", caps::create_frame(slot(boot.memory_slot), frame));
    if checks.ok("map it read-write", memory::map(space, frame, A_ADDR, READ_WRITE)).is_none() {
        return checks.finish();
    }
    checks.equal("mapped read-write at", mapping(frame), Ok(Some(Hex(A_ADDR))));
    // SAFETY: A mapped the frame at A_ADDR just now; no Rust object lives there.
    let page = unsafe { Page::at(A_ADDR) };
    page.fill(0..PAGE_BYTES, a_pattern);
    checks.equal(
        "own pattern, all 4096 bytes read back: first mismatch",
        page.mismatch(0..PAGE_BYTES, a_pattern),
        None,
    );
    checks.ok("mint a read-only copy", caps::mint(frame, read_only, Rights::READ, 0));
    checks.equal("the read-only copy", caps::identify(read_only), frame_cap(Rights::READ));
    checks.equal("the read-only copy's mapping", mapping(read_only), Ok(None));

    checks.note(format_args!("calling B with the read-only copy"));
    let share = Message::short(SHARE, &[A_ADDR]).with_caps(&[read_only]);
    checks.error("call B, which dies holding the reply", ipc::call(endpoint, share), Error::PeerGone);

    checks.equal(
        "own page after B's write, all 4096 bytes against own pattern: first mismatch",
        page.mismatch(0..PAGE_BYTES, a_pattern),
        None,
    );
    checks.equal("own mapping after B stopped", mapping(frame), Ok(Some(Hex(A_ADDR))));
    checks.equal("frames after B stopped, against the start", frames_made() - start_frames, 1);
    page.write(0, A_AFTER);
    checks.equal("a byte written after B stopped, read back", Hex(page.read(0).into()), Hex(A_AFTER.into()));

    checks.ok("delete the read-only copy", caps::delete(read_only));
    checks.ok("unmap", memory::unmap(frame));
    checks.ok("delete the frame", caps::delete(frame));
    checks.equal("frames at the end, against the start", frames_made(), start_frames);
    checks.finish()
}

fn b() -> u32 {
    let mut checks = Checks::new("shm_readonly B");
    let boot = tryst::boot_info();
    let (endpoint, space) = (boot_endpoint(0), slot(boot.space_slot));
    let (frame, minted) = (slot(boot.first_free_slot), slot(boot.first_free_slot + 1));

    ipc::set_receive_slots(&[frame]);
    let Some((_, message)) = checks.ok("recv the frame", ipc::recv(endpoint)) else { return checks.finish() };
    checks.equal(
        "A's message: label, capabilities, A's address",
        (message.info.label, message.info.caps, Hex(message.words[0])),
        (SHARE, 1, Hex(A_ADDR)),
    );
    checks.equal("the frame received", caps::identify(frame), frame_cap(Rights::READ));
    checks.error("map it read-write", memory::map(space, frame, B_ADDR, READ_WRITE), Error::MissingRights);
    checks.error(
        "map it read-execute",
        memory::map(space, frame, B_ADDR, READ_EXECUTE),
        Error::MissingRights,
    );
    checks.error(
        "mint a read-write copy of it",
        caps::mint(frame, minted, READ_WRITE, 0),
        Error::MissingRights,
    );
    checks.error("the slot of the refused mint", caps::identify(minted), Error::EmptySlot);
    checks.equal("its mapping after the refused maps", mapping(frame), Ok(None));
    if checks.ok("map it read-only", memory::map(space, frame, B_ADDR, READ)).is_none() {
        return checks.finish();
    }
    checks.equal("mapped read-only at", mapping(frame), Ok(Some(Hex(B_ADDR))));
    checks.error(
        "map it again at 0x50001000",
        memory::map(space, frame, B_ADDR + PAGE, READ),
        Error::AlreadyMapped,
    );
    // SAFETY: B mapped the frame at B_ADDR just now; no Rust object lives there. The write
    // below must fault: that is what this program tests.
    let page = unsafe { Page::at(B_ADDR) };
    checks.equal(
        "A's pattern, all 4096 bytes read through 0x50000000: first mismatch",
        page.mismatch(0..PAGE_BYTES, a_pattern),
        None,
    );
    let status = checks.finish();

    println!("shm_readonly B: writing to the read-only page at {:#x}", page.addr());
    page.write(0, !a_pattern(0));
    println!("shm_readonly B: the write to the read-only page: FAILED, it did not fault (status {status})");
    1
}
