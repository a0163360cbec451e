//! `rights_enforced`: every right is checked, a missing one is `MissingRights`, and derived
//! capabilities can only narrow rights.
//!
//! Two processes share boot endpoint 0. The checker (argument 0, the higher priority) holds it
//! with every right; the peer (argument 1) was given it write-only with badge 55.
//!
//! The checker mints a read-only and a write-only copy and checks: send through the read-only
//! one and recv through the write-only one are `MissingRights`; minting more rights than the
//! source has is `MissingRights`; a Memory capability without Write cannot create and one
//! without Read cannot `memory_info` (`MissingRights`), while each does what its right allows;
//! badging an already badged endpoint capability or a Memory capability is `InvalidArgument`.
//! Then it receives through its read-only copy, and the peer shows from its side that its
//! write-only capability cannot receive, cannot be widened or rebadged, but sends: the checker
//! gets the message with the peer's badge.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot, Checks};
use tryst::caps::{self, CapInfo};
use tryst::ipc::{self, MessageExt};
use tryst::{Error, Message, ObjectKind, Rights};

tryst::entry!(main);

/// The peer's badge, set by the scenario.
const PEER_BADGE: u64 = 55;
/// The label and words of the peer's message.
const LABEL: u64 = 1234;
const WORDS: [u64; 3] = [7, 8, 9];

fn main(role: u64) -> u32 {
    match role {
        0 => checker(),
        _ => peer(),
    }
}

fn checker() -> u32 {
    let mut checks = Checks::new("caps_rights");
    let boot = tryst::boot_info();
    let (memory, endpoint) = (slot(boot.memory_slot), boot_endpoint(0));
    let mut next_free = boot.first_free_slot;
    let mut fresh = || {
        next_free += 1;
        slot(next_free - 1)
    };
    let (read_only, write_only, badged, rebadged, widened) = (fresh(), fresh(), fresh(), fresh(), fresh());
    let (memory_ro, memory_wo, made, spare) = (fresh(), fresh(), fresh(), fresh());

    // Endpoint capabilities with one right each.
    checks.ok("mint a read-only copy", caps::mint(endpoint, read_only, Rights::READ, 0));
    checks.ok("mint a write-only copy", caps::mint(endpoint, write_only, Rights::WRITE, 0));
    checks.equal(
        "the read-only copy",
        caps::identify(read_only),
        Ok(CapInfo { kind: Some(ObjectKind::Endpoint), rights: Rights::READ, badge: 0 }),
    );
    checks.error("send without Write", ipc::send(read_only, Message::short(1, &[])), Error::MissingRights);
    checks.error(
        "nb_send without Write",
        ipc::nb_send(read_only, Message::short(1, &[])),
        Error::MissingRights,
    );
    checks.error("call without Write", ipc::call(read_only, Message::short(1, &[])), Error::MissingRights);
    checks.error("recv without Read", ipc::recv(write_only), Error::MissingRights);
    checks.error("nb_recv without Read", ipc::nb_recv(write_only), Error::MissingRights);
    checks.error(
        "reply_recv without Read",
        ipc::reply_recv(write_only, Message::short(1, &[])),
        Error::MissingRights,
    );
    checks.error("nb_recv with Read and no sender", ipc::nb_recv(read_only), Error::WouldBlock);
    checks.error(
        "nb_send with Write and no receiver",
        ipc::nb_send(write_only, Message::short(1, &[])),
        Error::WouldBlock,
    );

    // Derived capabilities only narrow.
    let read_write = Rights::READ | Rights::WRITE;
    checks.error(
        "mint Read and Write from the read-only copy",
        caps::mint(read_only, widened, read_write, 0),
        Error::MissingRights,
    );
    checks.error(
        "mint Grant from the write-only copy",
        caps::mint(write_only, widened, Rights::GRANT, 0),
        Error::MissingRights,
    );
    checks.equal("the slot of the refused mints", caps::identify(widened), Err(Error::EmptySlot));
    checks.ok("copy the read-only copy", caps::copy(read_only, widened));
    checks.equal(
        "a copy of the read-only copy",
        caps::identify(widened),
        Ok(CapInfo { kind: Some(ObjectKind::Endpoint), rights: Rights::READ, badge: 0 }),
    );

    // Badges: given once, to an endpoint capability, and kept by copies.
    checks.ok("mint a badged copy", caps::mint(endpoint, badged, Rights::of(ObjectKind::Endpoint), 7));
    checks.error(
        "badge an already badged capability",
        caps::mint(badged, rebadged, Rights::of(ObjectKind::Endpoint), 9),
        Error::InvalidArgument,
    );
    checks.ok("mint from the badged copy with badge 0", caps::mint(badged, rebadged, Rights::WRITE, 0));
    checks.equal(
        "a copy of the badged copy",
        caps::identify(rebadged),
        Ok(CapInfo { kind: Some(ObjectKind::Endpoint), rights: Rights::WRITE, badge: 7 }),
    );
    checks.error(
        "badge a Memory capability",
        caps::mint(memory, spare, Rights::of(ObjectKind::Memory), 3),
        Error::InvalidArgument,
    );

    // Memory capabilities: Write to create, Read to read the figures.
    checks.ok("mint a read-only Memory copy", caps::mint(memory, memory_ro, Rights::READ, 0));
    checks.ok("mint a write-only Memory copy", caps::mint(memory, memory_wo, Rights::WRITE, 0));
    checks.error("create without Write", caps::create_endpoint(memory_ro, made), Error::MissingRights);
    checks.error(
        "create a Memory without Write",
        caps::create_memory(memory_ro, made, 64),
        Error::MissingRights,
    );
    checks.error("memory_info without Read", caps::memory_info(memory_wo), Error::MissingRights);
    let figures = caps::memory_info(memory);
    checks.holds(
        "memory_info with Read gives the original's figures",
        figures.is_ok() && caps::memory_info(memory_ro) == figures,
    );
    checks.ok("create with Write", caps::create_endpoint(memory_wo, made));
    checks.ok("delete what was created", caps::delete(made));

    // Through correctly righted capabilities a message goes through: the peer sends through
    // its write-only capability, this process receives through its read-only copy.
    checks.note(format_args!("receiving through the read-only copy"));
    if let Some((badge, message)) = checks.ok("recv through the read-only copy", ipc::recv(read_only)) {
        let words = [message.words[0], message.words[1], message.words[2]];
        let got = (badge, message.info.label, message.info.length, words);
        checks.equal(
            "message from the peer: badge, label, length, words",
            got,
            (PEER_BADGE, LABEL, 3, WORDS),
        );
    }
    for slot in [read_only, write_only, badged, rebadged, widened, memory_ro, memory_wo] {
        checks.ok("delete a copy", caps::delete(slot));
    }
    checks.finish()
}

fn peer() -> u32 {
    let mut checks = Checks::new("caps_rights peer");
    let boot = tryst::boot_info();
    let endpoint = boot_endpoint(0);
    let spare = slot(boot.first_free_slot);
    checks.equal(
        "the boot capability",
        caps::identify(endpoint),
        Ok(CapInfo { kind: Some(ObjectKind::Endpoint), rights: Rights::WRITE, badge: PEER_BADGE }),
    );
    checks.error("recv through the write-only boot capability", ipc::recv(endpoint), Error::MissingRights);
    checks.error(
        "mint Read from it",
        caps::mint(endpoint, spare, Rights::READ | Rights::WRITE, 0),
        Error::MissingRights,
    );
    checks.error("rebadge it", caps::mint(endpoint, spare, Rights::WRITE, 1), Error::InvalidArgument);
    checks.ok("send through it", ipc::send(endpoint, Message::short(LABEL, &WORDS)));
    checks.note(format_args!("sent through the write-only capability"));
    checks.finish()
}
