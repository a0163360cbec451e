//! `shared_page_both_ways`: one Frame mapped read-write by two processes at different addresses
//! is one page: each sees the other's writes, byte for byte, in both directions and again
//! later; one side's `unmap` leaves the other's mapping working.
//!
//! Both processes share boot endpoint 0. A (argument 0, the higher priority) owns the page;
//! B (argument 1) maps it. The page's layout:
//!
//! | bytes | written by |
//! |---|---|
//! | `0x000..0x400` | A's pattern (`shm_common::a_pattern`) |
//! | `0x400..0x800` | B's pattern (`shm_common::b_pattern`) |
//! | `0x800` | A's later word, `A_LATE` |
//! | `0x808` | B's later word, `B_LATE` |
//! | `0x810` | A's last word, `A_LAST`, after B's unmap |
//!
//! 1. A makes a Frame (`identify`: a Frame with every right; `kernel_stats` counts one more
//!    frame), maps it read-write at `0x40000000` (`mapping` says so), finds all 4096 bytes
//!    zero, writes its pattern, and calls B with the Frame capability and its address.
//! 2. B receives a derived copy (every right, not mapped), maps it read-write at `0x50000000`,
//!    finds A's pattern byte for byte and the rest of the page zero, writes its own pattern and
//!    replies; A finds B's pattern through its own mapping, its own pattern intact and the
//!    rest zero.
//! 3. A writes `A_LATE` and calls B, which reads it through its mapping, writes `B_LATE` and
//!    replies; A reads `B_LATE`. Neither word travels in the messages.
//! 4. A calls B, which unmaps (`mapping` is `None`, a second `unmap` is `NotMapped`), deletes
//!    its copy and replies. A's mapping still works: both patterns and both words are there, a
//!    new word reads back, and the frame still lives (A's capability holds it).
//! 5. A unmaps and deletes the Frame: frames and capabilities are back to the start.
#![no_std]
#![no_main]

mod caps_common;
mod shm_common;

use caps_common::{boot_endpoint, mapping, slot, Checks, Hex};
use shm_common::{a_pattern, b_pattern, frame_cap, zero, Page, A_ADDR, B_ADDR, PAGE_BYTES};
use tryst::caps;
use tryst::ipc::{self, MessageExt};
use tryst::memory::{self, READ_WRITE};
use tryst::{Error, Message, ObjectKind, Rights};

tryst::entry!(main);

/// A's pattern.
const A_BYTES: core::ops::Range<usize> = 0x000..0x400;
/// B's pattern.
const B_BYTES: core::ops::Range<usize> = 0x400..0x800;
/// Where A's and B's later words go, and A's last one.
const A_LATE_AT: usize = 0x800;
const B_LATE_AT: usize = 0x808;
const A_LAST_AT: usize = 0x810;
const A_LATE: u64 = 0xa1a1_0000_0000_0800;
const B_LATE: u64 = 0xb2b2_0000_0000_0808;
const A_LAST: u64 = 0xa3a3_0000_0000_0810;

// Labels: A's calls, and B's replies to them.
const SHARE: u64 = 1;
const SHARED: u64 = 11;
const ROUND_2: u64 = 2;
const ROUND_2_DONE: u64 = 12;
const UNMAP: u64 = 3;
const UNMAPPED: u64 = 13;

fn main(role: u64) -> u32 {
    match role {
        0 => a(),
        _ => b(),
    }
}

fn a() -> u32 {
    let mut checks = Checks::new("shm_both_ways A");
    let boot = tryst::boot_info();
    let (endpoint, space, frame) = (boot_endpoint(0), slot(boot.space_slot), slot(boot.first_free_slot));
    let start = caps::kernel_stats();

    checks.ok("create a frame", caps::create_frame(slot(boot.memory_slot), frame));
    checks.equal("the new frame", caps::identify(frame), frame_cap(Rights::of(ObjectKind::Frame)));
    checks.equal(
        "frames after create_frame, against the start",
        caps::kernel_stats().frames - start.frames,
        1,
    );
    checks.equal("the new frame's mapping", mapping(frame), Ok(None));
    if checks.ok("map it read-write", memory::map(space, frame, A_ADDR, READ_WRITE)).is_none() {
        return checks.finish();
    }
    checks.equal("mapped read-write at", mapping(frame), Ok(Some(Hex(A_ADDR))));
    // SAFETY: A mapped the frame at A_ADDR just now; no Rust object lives there.
    let page = unsafe { Page::at(A_ADDR) };
    checks.equal(
        "the new page, all 4096 bytes against zero: first mismatch",
        page.mismatch(0..PAGE_BYTES, zero),
        None,
    );
    page.fill(A_BYTES, a_pattern);
    checks.equal(
        "own pattern in bytes 0x0..0x400, read back: first mismatch",
        page.mismatch(A_BYTES, a_pattern),
        None,
    );

    // 1–2: the capability to B, B's pattern back.
    checks.note(format_args!("calling B with the frame capability"));
    let share = Message::short(SHARE, &[A_ADDR]).with_caps(&[frame]);
    if let Some(reply) = checks.ok("call B with the frame", ipc::call(endpoint, share)) {
        checks.equal(
            "B's reply: label, B's address",
            (reply.info.label, Hex(reply.words[0])),
            (SHARED, Hex(B_ADDR)),
        );
    }
    checks.equal(
        "frames while B holds a copy, against the start",
        caps::kernel_stats().frames - start.frames,
        1,
    );
    checks.equal(
        "B's pattern in bytes 0x400..0x800, read through 0x40000000: first mismatch",
        page.mismatch(B_BYTES, b_pattern),
        None,
    );
    checks.equal("own pattern after B's writes: first mismatch", page.mismatch(A_BYTES, a_pattern), None);
    checks.equal(
        "bytes 0x800..0x1000, written by nobody: first mismatch",
        page.mismatch(0x800..PAGE_BYTES, zero),
        None,
    );

    // 3: later writes, each way.
    page.write_word(A_LATE_AT, A_LATE);
    checks.note(format_args!("wrote {A_LATE:#x} at {:#x}", A_ADDR + A_LATE_AT as u64));
    if let Some(reply) = checks.ok("call B for round 2", ipc::call(endpoint, Message::short(ROUND_2, &[]))) {
        checks.equal("B's reply to round 2: label", reply.info.label, ROUND_2_DONE);
    }
    checks.equal(
        "B's later word at 0x808, read through 0x40000000",
        Hex(page.read_word(B_LATE_AT)),
        Hex(B_LATE),
    );

    // 4: B unmaps; A's mapping goes on working.
    if let Some(reply) = checks.ok("call B to unmap", ipc::call(endpoint, Message::short(UNMAP, &[]))) {
        checks.equal("B's reply to the unmap: label", reply.info.label, UNMAPPED);
    }
    checks.equal("own mapping after B's unmap", mapping(frame), Ok(Some(Hex(A_ADDR))));
    checks.equal(
        "frames after B deleted its copy, against the start",
        caps::kernel_stats().frames - start.frames,
        1,
    );
    checks.equal("own pattern after B's unmap: first mismatch", page.mismatch(A_BYTES, a_pattern), None);
    checks.equal("B's pattern after B's unmap: first mismatch", page.mismatch(B_BYTES, b_pattern), None);
    checks.equal(
        "the later words after B's unmap",
        (Hex(page.read_word(A_LATE_AT)), Hex(page.read_word(B_LATE_AT))),
        (Hex(A_LATE), Hex(B_LATE)),
    );
    page.write_word(A_LAST_AT, A_LAST);
    checks.equal("a word written after B's unmap, read back", Hex(page.read_word(A_LAST_AT)), Hex(A_LAST));

    // 5: all gone.
    checks.ok("unmap", memory::unmap(frame));
    checks.equal("own mapping after unmap", mapping(frame), Ok(None));
    checks.ok("delete the frame", caps::delete(frame));
    let end = caps::kernel_stats();
    checks.equal(
        "frames and capabilities at the end, against the start",
        (end.frames, end.capabilities),
        (start.frames, start.capabilities),
    );
    checks.finish()
}

fn b() -> u32 {
    let mut checks = Checks::new("shm_both_ways B");
    let boot = tryst::boot_info();
    let (endpoint, space, frame) = (boot_endpoint(0), slot(boot.space_slot), slot(boot.first_free_slot));

    ipc::set_receive_slots(&[frame]);
    let Some((_, message)) = checks.ok("recv the frame", ipc::recv(endpoint)) else { return checks.finish() };
    checks.equal(
        "A's message: label, capabilities, A's address",
        (message.info.label, message.info.caps, Hex(message.words[0])),
        (SHARE, 1, Hex(A_ADDR)),
    );
    checks.equal("the frame received", caps::identify(frame), frame_cap(Rights::of(ObjectKind::Frame)));
    checks.equal("the received copy's mapping", mapping(frame), Ok(None));
    if checks.ok("map it read-write", memory::map(space, frame, B_ADDR, READ_WRITE)).is_none() {
        return checks.finish();
    }
    checks.equal("mapped read-write at", mapping(frame), Ok(Some(Hex(B_ADDR))));
    checks.holds("B's address differs from A's", B_ADDR != message.words[0]);
    // SAFETY: B mapped the frame at B_ADDR just now; no Rust object lives there.
    let page = unsafe { Page::at(B_ADDR) };
    checks.equal(
        "A's pattern in bytes 0x0..0x400, read through 0x50000000: first mismatch",
        page.mismatch(A_BYTES, a_pattern),
        None,
    );
    checks.equal(
        "bytes 0x400..0x1000 before B writes, against zero: first mismatch",
        page.mismatch(0x400..PAGE_BYTES, zero),
        None,
    );
    page.fill(B_BYTES, b_pattern);
    checks.equal(
        "own pattern in bytes 0x400..0x800, read back: first mismatch",
        page.mismatch(B_BYTES, b_pattern),
        None,
    );

    let reply = Message::short(SHARED, &[B_ADDR]);
    let Some((_, message)) = checks.ok("reply, then recv round 2", ipc::reply_recv(endpoint, reply)) else {
        return checks.finish();
    };
    checks.equal("round 2: label", message.info.label, ROUND_2);
    checks.equal(
        "A's later word at 0x800, read through 0x50000000",
        Hex(page.read_word(A_LATE_AT)),
        Hex(A_LATE),
    );
    page.write_word(B_LATE_AT, B_LATE);
    checks.note(format_args!("wrote {B_LATE:#x} at {:#x}", B_ADDR + B_LATE_AT as u64));

    let reply = Message::short(ROUND_2_DONE, &[]);
    let Some((_, message)) = checks.ok("reply, then recv the unmap", ipc::reply_recv(endpoint, reply)) else {
        return checks.finish();
    };
    checks.equal("third message: label", message.info.label, UNMAP);
    checks.ok("unmap", memory::unmap(frame));
    checks.equal("own mapping after unmap", mapping(frame), Ok(None));
    checks.error("unmap again", memory::unmap(frame), Error::NotMapped);
    checks.ok("delete the copy", caps::delete(frame));
    checks.error("the copy's slot after delete", caps::identify(frame), Error::EmptySlot);
    checks.ok("reply to the unmap", ipc::reply(Message::short(UNMAPPED, &[])));
    checks.finish()
}
