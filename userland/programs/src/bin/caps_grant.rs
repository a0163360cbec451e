//! `grant_right_required`: capabilities travel in a message only through a capability with
//! Grant, and in a reply only when the caller's capability had GrantReply; otherwise the
//! sender (or replier) gets `GrantRequired` and nothing is delivered.
//!
//! Both processes share boot endpoint 0. The server (argument 0, the higher priority) holds it
//! with every right. The client (argument 1) holds three badged send capabilities to it:
//! slot 2, badge 1: Write and GrantReply (no Grant); slot 3, badge 2: Write and Grant (no
//! GrantReply); slot 4, badge 3: Write, Grant and GrantReply.
//!
//! 1. While the server waits in `recv`, the client tries `send`, `nb_send` and `call` carrying
//!    an endpoint capability through slot 2: each is `GrantRequired`, and the server stays
//!    blocked: the first message it gets is the next one, label 20 with the capability,
//!    sent through slot 3.
//! 2. The client calls through slot 3 (label 30). The server's `reply_recv` and `reply`
//!    carrying a capability are `GrantRequired`; its reply without one (label 31) arrives
//!    with no capability, and nothing lands in the client's receive slot.
//! 3. The client calls through slot 4 (label 40); the server's reply carrying a capability
//!    (label 41) works and the client finds it in its receive slot.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot, Checks};
use tryst::caps::{self, CapInfo};
use tryst::ipc::{self, MessageExt};
use tryst::{Error, Message, ObjectKind, Rights};

tryst::entry!(main);

/// The badge the server puts on the capability it sends back.
const REPLY_BADGE: u64 = 77;

fn main(role: u64) -> u32 {
    match role {
        0 => server(),
        _ => client(),
    }
}

fn server() -> u32 {
    let mut checks = Checks::new("caps_grant server");
    let boot = tryst::boot_info();
    let endpoint = boot_endpoint(0);
    let (received, answer) = (slot(boot.first_free_slot), slot(boot.first_free_slot + 1));

    // 1. The first message to arrive is the one sent through a capability with Grant.
    ipc::set_receive_slots(&[received]);
    if let Some((badge, message)) = checks.ok("recv", ipc::recv(endpoint)) {
        let got = (message.info.label, badge, message.info.caps);
        checks.equal("first message received: label, badge, capabilities", got, (20, 2, 1));
    }
    checks.equal(
        "the capability received",
        caps::identify(received),
        Ok(CapInfo { kind: Some(ObjectKind::Endpoint), rights: Rights::of(ObjectKind::Endpoint), badge: 0 }),
    );
    checks.ok("mint a badged copy to send back", caps::mint(received, answer, Rights::WRITE, REPLY_BADGE));

    // 2. A call through a capability without GrantReply: no capability in the reply.
    if let Some((badge, message)) = checks.ok("recv", ipc::recv(endpoint)) {
        checks.equal("second message: label, badge", (message.info.label, badge), (30, 2));
    }
    let with_cap = || Message::short(31, &[]).with_caps(&[answer]);
    checks.error(
        "reply_recv carrying a capability to a caller without GrantReply",
        ipc::reply_recv(endpoint, with_cap()),
        Error::GrantRequired,
    );
    checks.error(
        "reply carrying a capability to a caller without GrantReply",
        ipc::reply(with_cap()),
        Error::GrantRequired,
    );
    checks.ok("reply without a capability", ipc::reply(Message::short(31, &[])));

    // 3. A call through a capability with GrantReply: the capability goes with the reply.
    if let Some((badge, message)) = checks.ok("recv", ipc::recv(endpoint)) {
        checks.equal("third message: label, badge", (message.info.label, badge), (40, 3));
    }
    checks.ok(
        "reply carrying a capability to a caller with GrantReply",
        ipc::reply(Message::short(41, &[]).with_caps(&[answer])),
    );
    checks.note(format_args!("replied with a capability"));
    checks.ok("delete the copy sent back", caps::delete(answer));
    checks.ok("delete the capability received", caps::delete(received));
    checks.finish()
}

fn client() -> u32 {
    let mut checks = Checks::new("caps_grant client");
    let boot = tryst::boot_info();
    let (no_grant, no_grant_reply, every_right) = (boot_endpoint(0), boot_endpoint(1), boot_endpoint(2));
    let (mine, landing, landed) =
        (slot(boot.first_free_slot), slot(boot.first_free_slot + 1), slot(boot.first_free_slot + 2));
    checks.ok("create an endpoint to send", caps::create_endpoint(slot(boot.memory_slot), mine));

    // 1. Carrying a capability through a capability without Grant.
    let carrying = |label| Message::short(label, &[]).with_caps(&[mine]);
    checks.error(
        "send carrying a capability without Grant",
        ipc::send(no_grant, carrying(10)),
        Error::GrantRequired,
    );
    checks.error(
        "nb_send carrying a capability without Grant",
        ipc::nb_send(no_grant, carrying(11)),
        Error::GrantRequired,
    );
    checks.error(
        "call carrying a capability without Grant",
        ipc::call(no_grant, carrying(12)),
        Error::GrantRequired,
    );
    checks.ok("send carrying a capability with Grant", ipc::send(no_grant_reply, carrying(20)));

    // 2. Calling through a capability without GrantReply.
    ipc::set_receive_slots(&[landing]);
    if let Some(reply) =
        checks.ok("call without GrantReply", ipc::call(no_grant_reply, Message::short(30, &[])))
    {
        checks.equal(
            "reply to the call without GrantReply: label, capabilities",
            (reply.info.label, reply.info.caps),
            (31, 0),
        );
    }
    checks.equal("the receive slot after that reply", caps::identify(landing), Err(Error::EmptySlot));

    // 3. Calling through a capability with GrantReply.
    ipc::set_receive_slots(&[landed]);
    if let Some(reply) = checks.ok("call with GrantReply", ipc::call(every_right, Message::short(40, &[]))) {
        checks.equal(
            "reply to the call with GrantReply: label, capabilities",
            (reply.info.label, reply.info.caps),
            (41, 1),
        );
    }
    checks.equal(
        "the capability in the reply",
        caps::identify(landed),
        Ok(CapInfo { kind: Some(ObjectKind::Endpoint), rights: Rights::WRITE, badge: REPLY_BADGE }),
    );
    checks.ok("delete the capability received", caps::delete(landed));
    checks.ok("delete the endpoint made", caps::delete(mine));
    checks.finish()
}
