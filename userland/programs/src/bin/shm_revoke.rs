//! `revoke_unmaps_everywhere`: revoking a Frame capability takes the page back from every
//! process it was shared with (their capabilities go, their mappings go: the next access
//! faults) and undoes the revoker's own mapping too; the page and its contents stay with the
//! revoked capability, which can map it again.
//!
//! A (argument 0, priority 5) holds boot endpoints 0 and 1; B (argument 1, priority 4) holds
//! endpoint 0 and C (argument 2, priority 3) endpoint 1, so every run goes the same way.
//!
//! 1. A makes a Frame, maps it read-write at `0x40000000`, fills it with its pattern and calls
//!    B, then C, with its Frame capability. B maps its copy read-write at `0x50000000`, C
//!    read-only at `0x60000000`; each finds A's pattern, all 4096 bytes, then replies and
//!    waits for A's next message (one `reply_recv`). A sees two more capabilities.
//! 2. A revokes its Frame capability: exactly the two copies go (`kernel_stats`), the frame
//!    does not (A's capability holds it), A's own mapping is undone (`mapping` is `None`) and
//!    its capability is intact.
//! 3. A calls B, then C, to read again. Each first identifies its frame slot, which is empty
//!    (`EmptySlot`), prints its summary, then reads its old address: the kernel must stop it
//!    with `page fault at ADDRESS (read, ...)` (checked in `kernel/qemu-tests.d/shm.sh`); were
//!    the read to succeed it prints a FAILED line and exits 1. A's calls return `PeerGone`.
//! 4. A maps the frame again at the same address (so the revoke cleared its page-table entry)
//!    and finds its pattern, all 4096 bytes: revocation took the mappings, not the contents.
//!    A deletes the frame: the frame count is back to the start; A exits 0.
#![no_std]
#![no_main]

mod caps_common;
mod shm_common;

use caps_common::{boot_endpoint, mapping, slot, Checks, Hex};
use shm_common::{a_pattern, frame_cap, frames_made, Page, A_ADDR, B_ADDR, C_ADDR, PAGE_BYTES};
use tryst::caps;
use tryst::ipc::{self, MessageExt};
use tryst::memory::{self, READ, READ_WRITE};
use tryst::{println, Error, Message, ObjectKind, Rights};

tryst::entry!(main);

// Labels: A's calls, and the peers' replies.
const SHARE: u64 = 1;
const SHARED: u64 = 11;
const READ_AGAIN: u64 = 2;

fn main(role: u64) -> u32 {
    match role {
        0 => a(),
        1 => peer("shm_revoke B", B_ADDR, READ_WRITE),
        _ => peer("shm_revoke C", C_ADDR, READ),
    }
}

fn a() -> u32 {
    let mut checks = Checks::new("shm_revoke A");
    let boot = tryst::boot_info();
    let (to_b, to_c) = (boot_endpoint(0), boot_endpoint(1));
    let (space, frame) = (slot(boot.space_slot), slot(boot.first_free_slot));
    let start_frames = frames_made();

    checks.ok("create a frame", caps::create_frame(slot(boot.memory_slot), frame));
    if checks.ok("map it read-write", memory::map(space, frame, A_ADDR, READ_WRITE)).is_none() {
        return checks.finish();
    }
    checks.equal("mapped read-write at", mapping(frame), Ok(Some(Hex(A_ADDR))));
    // SAFETY: A mapped the frame at A_ADDR just now; no Rust object lives there. A touches
    // the page only while it is mapped (the checks of `mapping` come first).
    let page = unsafe { Page::at(A_ADDR) };
    page.fill(0..PAGE_BYTES, a_pattern);
    checks.equal(
        "own pattern, all 4096 bytes read back: first mismatch",
        page.mismatch(0..PAGE_BYTES, a_pattern),
        None,
    );

    // 1: share with B and C.
    let shared = caps::kernel_stats();
    for (case, endpoint, address) in
        [("B's reply: label, address", to_b, B_ADDR), ("C's reply: label, address", to_c, C_ADDR)]
    {
        let share = Message::short(SHARE, &[]).with_caps(&[frame]);
        if let Some(reply) = checks.ok("call with the frame", ipc::call(endpoint, share)) {
            checks.equal(case, (reply.info.label, Hex(reply.words[0])), (SHARED, Hex(address)));
        }
    }
    let before = caps::kernel_stats();
    checks.equal("capabilities B and C gained", before.capabilities - shared.capabilities, 2);
    checks.equal("frames before the revoke, against the start", frames_made() - start_frames, 1);

    // 2: revoke.
    checks.note(format_args!("revoking the frame capability"));
    checks.ok("revoke the frame", caps::revoke(frame));
    let after = caps::kernel_stats();
    checks.equal("capabilities removed by the revoke", before.capabilities - after.capabilities, 2);
    checks.equal("frames after the revoke, against the start", frames_made() - start_frames, 1);
    checks.equal("own mapping after the revoke", mapping(frame), Ok(None));
    checks.equal(
        "the frame capability after the revoke",
        caps::identify(frame),
        frame_cap(Rights::of(ObjectKind::Frame)),
    );

    // 3: B and C read again, and fault.
    for (case, endpoint) in [("call B to read again", to_b), ("call C to read again", to_c)] {
        checks.error(case, ipc::call(endpoint, Message::short(READ_AGAIN, &[])), Error::PeerGone);
    }
    checks.equal("frames after B and C stopped, against the start", frames_made() - start_frames, 1);

    // 4: the page comes back, contents and all.
    if checks.ok("map it again at 0x40000000", memory::map(space, frame, A_ADDR, READ_WRITE)).is_none() {
        return checks.finish();
    }
    checks.equal("mapped again at", mapping(frame), Ok(Some(Hex(A_ADDR))));
    checks.equal(
        "own pattern after the revoke, all 4096 bytes: first mismatch",
        page.mismatch(0..PAGE_BYTES, a_pattern),
        None,
    );
    checks.ok("delete the frame", caps::delete(frame));
    checks.equal("own mapping's slot after the delete", mapping(frame), Err(Error::EmptySlot));
    checks.equal("frames at the end, against the start", frames_made(), start_frames);
    checks.finish()
}

/// B or C: maps what A shares at `address` with `rights`, checks it, waits, and after A's
/// revoke finds its slot empty and reads the address, which must fault.
fn peer(who: &'static str, address: u64, rights: Rights) -> u32 {
    let mut checks = Checks::new(who);
    let boot = tryst::boot_info();
    let (endpoint, space, frame) = (boot_endpoint(0), slot(boot.space_slot), slot(boot.first_free_slot));

    ipc::set_receive_slots(&[frame]);
    let Some((_, message)) = checks.ok("recv the frame", ipc::recv(endpoint)) else { return checks.finish() };
    checks.equal("A's message: label, capabilities", (message.info.label, message.info.caps), (SHARE, 1));
    checks.equal("the frame received", caps::identify(frame), frame_cap(Rights::of(ObjectKind::Frame)));
    let how = if rights == READ { "mapped read-only at" } else { "mapped read-write at" };
    if checks.ok("map it", memory::map(space, frame, address, rights)).is_none() {
        return checks.finish();
    }
    checks.equal(how, mapping(frame), Ok(Some(Hex(address))));
    // SAFETY: this process mapped the frame at `address` just now; no Rust object lives there.
    // After A's revoke the read below must fault: that is what this program tests.
    let page = unsafe { Page::at(address) };
    checks.equal(
        "A's pattern, all 4096 bytes read through the mapping: first mismatch",
        page.mismatch(0..PAGE_BYTES, a_pattern),
        None,
    );

    checks.note(format_args!("replying, then waiting for A's next message"));
    let reply = Message::short(SHARED, &[address]);
    let Some((_, message)) = checks.ok("reply, then recv", ipc::reply_recv(endpoint, reply)) else {
        return checks.finish();
    };
    checks.equal("A's next message: label", message.info.label, READ_AGAIN);
    checks.error("the frame slot after A's revoke", caps::identify(frame), Error::EmptySlot);
    let status = checks.finish();

    println!("{who}: reading {address:#x} after the revoke");
    let byte = page.read(0);
    println!("{who}: read {byte:#04x} at {address:#x} after the revoke: FAILED, it did not fault (status {status})");
    1
}
