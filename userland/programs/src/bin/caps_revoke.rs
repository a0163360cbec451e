//! `revoke_removes_derived`: revoking a capability deletes every capability derived from it,
//! in every process, and only those; the capability revoked stays and still works.
//!
//! Both processes share boot endpoint 0. The owner (argument 0, the higher priority) makes an
//! endpoint, mints three badged copies of it (badges 11, 12, 13) and a copy of the first, and
//! sends the badge-11 and badge-12 copies to the holder (argument 1), which receives them,
//! identifies them, and blocks in `send` through the badge-11 one (nobody receives there).
//! The owner then revokes its original: `kernel_stats` shows exactly the six derived
//! capabilities gone (its four, the holder's two) and no endpoint gone; its own copies are
//! `EmptySlot`; the original is intact. The holder's blocked send wakes with `PeerGone` (the
//! last capability with its badge is gone) and its copies are `EmptySlot`. To show the
//! original still works, the owner sends the holder a fresh badge-21 copy and receives the
//! holder's message through the original. Finally everything is back to the starting count.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot, Checks};
use tryst::caps::{self, CapInfo};
use tryst::ipc::{self, MessageExt};
use tryst::{Error, Message, ObjectKind, Rights};

tryst::entry!(main);

/// The capabilities derived from the original when it is revoked: the owner's four copies
/// and the two the holder received.
const DERIVED: u64 = 6;

fn main(role: u64) -> u32 {
    match role {
        0 => owner(),
        _ => holder(),
    }
}

fn endpoint_cap(rights: Rights, badge: u64) -> Result<CapInfo, Error> {
    Ok(CapInfo { kind: Some(ObjectKind::Endpoint), rights, badge })
}

fn owner() -> u32 {
    let mut checks = Checks::new("caps_revoke owner");
    let boot = tryst::boot_info();
    let boot_ep = boot_endpoint(0);
    let first = boot.first_free_slot;
    let (original, copy_11, copy_12, copy_13, copy_of_11, fresh) =
        (slot(first), slot(first + 1), slot(first + 2), slot(first + 3), slot(first + 4), slot(first + 5));
    let start = caps::kernel_stats();

    checks.ok("create an endpoint", caps::create_endpoint(slot(boot.memory_slot), original));
    for (copy, badge) in [(copy_11, 11), (copy_12, 12), (copy_13, 13)] {
        checks.ok("mint a badged copy", caps::mint(original, copy, Rights::of(ObjectKind::Endpoint), badge));
    }
    checks.ok("copy the badge-11 copy", caps::copy(copy_11, copy_of_11));
    let minted = caps::kernel_stats();
    checks.equal(
        "capabilities made: the original and four copies",
        minted.capabilities - start.capabilities,
        5,
    );
    checks.ok(
        "send two copies to the holder",
        ipc::send(boot_ep, Message::short(1, &[]).with_caps(&[copy_11, copy_12])),
    );

    // Let the holder run until it blocks in send through its badge-11 copy.
    checks.ok("sleep", tryst::sleep(5));
    let before = caps::kernel_stats();
    checks.equal("capabilities the holder received", before.capabilities - minted.capabilities, 2);
    checks.note(format_args!("revoking the original"));
    checks.ok("revoke the original", caps::revoke(original));
    let after = caps::kernel_stats();
    checks.equal("capabilities removed by the revoke", before.capabilities - after.capabilities, DERIVED);
    checks.equal("endpoints after the revoke", after.endpoints, before.endpoints);
    for (name, copy) in [
        ("own badge-11 copy", copy_11),
        ("own badge-12 copy", copy_12),
        ("own badge-13 copy", copy_13),
        ("own copy of the badge-11 copy", copy_of_11),
    ] {
        checks.error(name, caps::identify(copy), Error::EmptySlot);
    }
    checks.equal(
        "the original after the revoke",
        caps::identify(original),
        endpoint_cap(Rights::of(ObjectKind::Endpoint), 0),
    );

    // The original still works: a new copy to the holder, and a message back through it.
    checks.ok("mint a badge-21 copy", caps::mint(original, fresh, Rights::WRITE, 21));
    checks.ok(
        "send the badge-21 copy to the holder",
        ipc::send(boot_ep, Message::short(2, &[]).with_caps(&[fresh])),
    );
    if let Some((badge, message)) = checks.ok("recv through the original", ipc::recv(original)) {
        checks.equal("message through the original: label, badge", (message.info.label, badge), (3, 21));
    }
    checks.ok("revoke the original again", caps::revoke(original));
    checks.ok("delete the original", caps::delete(original));
    let end = caps::kernel_stats();
    checks.equal(
        "capabilities and endpoints at the end, against the start",
        (end.capabilities, end.endpoints),
        (start.capabilities, start.endpoints),
    );
    checks.finish()
}

fn holder() -> u32 {
    let mut checks = Checks::new("caps_revoke holder");
    let boot = tryst::boot_info();
    let boot_ep = boot_endpoint(0);
    let (badge_11, badge_12) = (slot(boot.first_free_slot), slot(boot.first_free_slot + 1));

    ipc::set_receive_slots(&[badge_11, badge_12]);
    if let Some((_, message)) = checks.ok("recv the copies", ipc::recv(boot_ep)) {
        checks.equal("capabilities received", message.info.caps, 2);
    }
    checks.equal(
        "first copy received",
        caps::identify(badge_11),
        endpoint_cap(Rights::of(ObjectKind::Endpoint), 11),
    );
    checks.equal(
        "second copy received",
        caps::identify(badge_12),
        endpoint_cap(Rights::of(ObjectKind::Endpoint), 12),
    );
    checks.note(format_args!("blocking in send through the badge-11 copy"));
    checks.error(
        "send through the badge-11 copy while it is revoked",
        ipc::send(badge_11, Message::short(9, &[])),
        Error::PeerGone,
    );
    checks.error("the badge-11 copy after the revoke", caps::identify(badge_11), Error::EmptySlot);
    checks.error("the badge-12 copy after the revoke", caps::identify(badge_12), Error::EmptySlot);

    // A fresh copy from the original, which still works.
    ipc::set_receive_slots(&[badge_11]);
    if let Some((_, message)) = checks.ok("recv the fresh copy", ipc::recv(boot_ep)) {
        checks.equal("capabilities received", message.info.caps, 1);
    }
    checks.equal("the fresh copy", caps::identify(badge_11), endpoint_cap(Rights::WRITE, 21));
    checks.ok("send through the fresh copy", ipc::send(badge_11, Message::short(3, &[])));
    checks.finish()
}
