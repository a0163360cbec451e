//! `cap_transfer_grant`: capabilities travel in messages through a capability with Grant and
//! land where the receiver's `receive_slots` say; the receiver's info word counts those that
//! arrived, and it can use them at once.
//!
//! Both processes share boot endpoint 0. The server (argument 0, the higher priority) holds it
//! with every right; the client (argument 1) holds it with every right and badge 5.
//!
//! 1. The client makes an endpoint of its own, mints a write-only copy with badge 42 and a
//!    read-only copy of its Memory capability, and sends both to the server, which named two
//!    receive slots: info.caps is 2; the slots hold an endpoint (Write, badge 42) and a
//!    Memory (Read) with the boot Memory's figures, through which `create` is `MissingRights`.
//! 2. The server sends a message through the endpoint it received; the client receives it on
//!    its own endpoint with badge 42.
//! 3. The client sends three capabilities; the server named one receive slot (the others are
//!    "no slot"): only the first lands and info.caps says 1.
//!
//! `receive_slot_none` (arguments 2 and 3): the server empties its slot 0 (it parks its
//! CSpace capability elsewhere) and names one receive slot; the client sends two
//! capabilities. Only one lands: the second receive slot says `NO_RECEIVE_SLOT`, not slot 0.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot, Checks};
use tryst::caps::{self, CapInfo};
use tryst::ipc::{self, MessageExt};
use tryst::{Error, Message, ObjectKind, Rights};

tryst::entry!(main);

/// The client's badge on boot endpoint 0, set by the scenario.
const CLIENT_BADGE: u64 = 5;
/// The badge of the endpoint capability the client sends.
const BADGE: u64 = 42;
/// What the server sends back through it.
const WORDS: [u64; 4] = [10, 20, 30, 40];

fn main(role: u64) -> u32 {
    match role {
        0 => server(),
        1 => client(),
        2 => none_server(),
        _ => none_client(),
    }
}

/// `receive_slot_none`, receiving: two capabilities arrive for one named slot, with slot 0
/// empty.
fn none_server() -> u32 {
    let mut checks = Checks::new("caps_transfer none-server");
    let boot = tryst::boot_info();
    let first = boot.first_free_slot;
    let (own, parked, landing) = (slot(boot.cspace_slot), slot(first), slot(first + 1));
    checks.ok("park the CSpace capability out of slot 0", caps::move_cap(own, parked));
    ipc::set_receive_slots(&[landing]);
    if let Some((_, message)) = checks.ok("recv", ipc::recv(boot_endpoint(0))) {
        checks.equal("capabilities arrived", message.info.caps, 1);
    }
    let landed = caps::identify(landing).map(|c| c.kind);
    checks.equal("the named slot holds", landed, Ok(Some(ObjectKind::Endpoint)));
    checks.equal("slot 0 after the message", caps::identify(own).err(), Some(Error::EmptySlot));
    checks.ok("put the CSpace capability back", caps::move_cap(parked, own));
    checks.ok("delete the capability received", caps::delete(landing));
    checks.finish()
}

/// `receive_slot_none`, sending two capabilities.
fn none_client() -> u32 {
    let mut checks = Checks::new("caps_transfer none-client");
    let boot = tryst::boot_info();
    let (endpoint, copy) = (slot(boot.first_free_slot), slot(boot.first_free_slot + 1));
    checks.ok("create an endpoint", caps::create_endpoint(slot(boot.memory_slot), endpoint));
    checks.ok("copy it", caps::copy(endpoint, copy));
    let message = Message::short(3, &[]).with_caps(&[endpoint, copy]);
    checks.ok("send two capabilities", ipc::send(boot_endpoint(0), message));
    for slot in [endpoint, copy] {
        checks.ok("delete", caps::delete(slot));
    }
    checks.finish()
}

fn server() -> u32 {
    let mut checks = Checks::new("caps_transfer server");
    let boot = tryst::boot_info();
    let boot_ep = boot_endpoint(0);
    let first = boot.first_free_slot;
    let (endpoint, memory, third, spare) =
        (slot(first + 10), slot(first + 20), slot(first + 30), slot(first + 31));

    // 1. Two capabilities, landing where the receive slots say.
    ipc::set_receive_slots(&[endpoint, memory]);
    if let Some((badge, message)) = checks.ok("recv", ipc::recv(boot_ep)) {
        let got = (message.info.label, badge, message.info.caps);
        checks.equal("first message: label, badge, capabilities", got, (1, CLIENT_BADGE, 2));
    }
    checks.equal(
        "first capability received",
        caps::identify(endpoint),
        Ok(CapInfo { kind: Some(ObjectKind::Endpoint), rights: Rights::WRITE, badge: BADGE }),
    );
    checks.equal(
        "second capability received",
        caps::identify(memory),
        Ok(CapInfo { kind: Some(ObjectKind::Memory), rights: Rights::READ, badge: 0 }),
    );
    let figures = caps::memory_info(slot(boot.memory_slot));
    checks.holds(
        "memory_info through the received Memory capability gives the boot Memory's figures",
        figures.is_ok() && caps::memory_info(memory) == figures,
    );
    checks.error(
        "create through the received read-only Memory",
        caps::create_endpoint(memory, spare),
        Error::MissingRights,
    );

    // 2. Using the endpoint received: a message to the client.
    checks.ok("send through the endpoint received", ipc::send(endpoint, Message::short(99, &WORDS)));
    checks.note(format_args!("sent through the endpoint received"));

    // 3. Three capabilities sent, one receive slot named.
    ipc::set_receive_slots(&[third]);
    let before = caps::kernel_stats();
    if let Some((_, message)) = checks.ok("recv", ipc::recv(boot_ep)) {
        checks.equal(
            "second message: label, capabilities arrived",
            (message.info.label, message.info.caps),
            (2, 1),
        );
    }
    checks.equal(
        "the one capability that landed",
        caps::identify(third),
        Ok(CapInfo { kind: Some(ObjectKind::Endpoint), rights: Rights::WRITE, badge: BADGE }),
    );
    checks.equal(
        "capabilities gained from the second message",
        caps::kernel_stats().capabilities - before.capabilities,
        1,
    );
    for received in [endpoint, memory, third] {
        checks.ok("delete a capability received", caps::delete(received));
    }
    checks.finish()
}

fn client() -> u32 {
    let mut checks = Checks::new("caps_transfer client");
    let boot = tryst::boot_info();
    let boot_ep = boot_endpoint(0);
    let first = boot.first_free_slot;
    let (mine, badged, memory_ro) = (slot(first), slot(first + 1), slot(first + 2));

    checks.ok("create an endpoint", caps::create_endpoint(slot(boot.memory_slot), mine));
    checks.ok("mint a badged write-only copy", caps::mint(mine, badged, Rights::WRITE, BADGE));
    checks.ok("mint a read-only Memory copy", caps::mint(slot(boot.memory_slot), memory_ro, Rights::READ, 0));
    let before = caps::kernel_stats();
    checks.ok(
        "send two capabilities",
        ipc::send(boot_ep, Message::short(1, &[]).with_caps(&[badged, memory_ro])),
    );
    checks.equal(
        "capabilities the server gained",
        caps::kernel_stats().capabilities - before.capabilities,
        2,
    );

    // The server answers through the copy it received.
    if let Some((badge, message)) = checks.ok("recv on the endpoint sent", ipc::recv(mine)) {
        let got = (message.info.label, badge, message.words);
        checks.equal("message through the endpoint sent: label, badge, words", got, (99, BADGE, WORDS));
    }

    checks.ok(
        "send three capabilities",
        ipc::send(boot_ep, Message::short(2, &[]).with_caps(&[badged, memory_ro, mine])),
    );
    for slot in [badged, memory_ro, mine] {
        checks.ok("delete", caps::delete(slot));
    }
    checks.finish()
}
