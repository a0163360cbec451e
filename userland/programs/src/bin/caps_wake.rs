//! `endpoint_deleted_wakes_waiters`: an endpoint dies with its last capability, and every
//! thread blocked on it wakes with `PeerGone`; deleting other capabilities to it wakes nobody.
//!
//! The owner (argument 0, the highest priority) makes two endpoints, E and F, and hands a
//! read-only copy of E to the receiver (argument 1) over boot endpoint 0 and a write-only copy
//! of F to the caller (argument 2) over boot endpoint 1. The receiver blocks in `recv` on E,
//! the caller in `call` on F. The owner revokes both endpoints (deleting the others' copies:
//! the endpoints live on in the owner's originals, so nobody wakes, which a pause then
//! shows), and deletes its originals, the last capabilities: both blocked threads wake with
//! `PeerGone`, and `kernel_stats` shows both endpoints gone. The woken processes find their
//! copies gone (`EmptySlot`).
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot, Checks};
use tryst::caps::{self, CapInfo};
use tryst::ipc::{self, MessageExt};
use tryst::{Error, Message, ObjectKind, Rights};

tryst::entry!(main);

fn main(role: u64) -> u32 {
    match role {
        0 => owner(),
        1 => receiver(),
        _ => caller(),
    }
}

fn owner() -> u32 {
    let mut checks = Checks::new("caps_wake owner");
    let boot = tryst::boot_info();
    let (to_receiver, to_caller) = (boot_endpoint(0), boot_endpoint(1));
    let first = boot.first_free_slot;
    let (e, f, e_read, f_write) = (slot(first), slot(first + 1), slot(first + 2), slot(first + 3));
    let start = caps::kernel_stats();
    let memory = slot(boot.memory_slot);

    checks.ok("create endpoint E", caps::create_endpoint(memory, e));
    checks.ok("create endpoint F", caps::create_endpoint(memory, f));
    checks.ok("mint a read-only copy of E", caps::mint(e, e_read, Rights::READ, 0));
    checks.ok("mint a write-only copy of F", caps::mint(f, f_write, Rights::WRITE, 0));
    checks.ok("send E to the receiver", ipc::send(to_receiver, Message::short(1, &[]).with_caps(&[e_read])));
    checks.ok("send F to the caller", ipc::send(to_caller, Message::short(1, &[]).with_caps(&[f_write])));
    checks.ok("delete the read-only copy of E", caps::delete(e_read));
    checks.ok("delete the write-only copy of F", caps::delete(f_write));

    // Let the receiver and the caller block on E and F.
    checks.ok("sleep", tryst::sleep(5));
    checks.note(format_args!("revoking E and F"));
    checks.ok("revoke E", caps::revoke(e));
    checks.ok("revoke F", caps::revoke(f));
    // Were anybody woken by the revokes, it would run (and print) during this pause.
    checks.ok("sleep", tryst::sleep(5));
    checks.equal(
        "endpoints before deleting the last capabilities",
        caps::kernel_stats().endpoints,
        start.endpoints + 2,
    );
    checks.note(format_args!("deleting E and F"));
    checks.ok("delete E", caps::delete(e));
    checks.ok("delete F", caps::delete(f));
    let end = caps::kernel_stats();
    checks.equal("endpoints after deleting the last capabilities", end.endpoints, start.endpoints);
    checks.equal("capabilities at the end, against the start", end.capabilities, start.capabilities);
    checks.finish()
}

fn receiver() -> u32 {
    let mut checks = Checks::new("caps_wake receiver");
    let e = slot(tryst::boot_info().first_free_slot);
    ipc::set_receive_slots(&[e]);
    if let Some((_, message)) = checks.ok("recv E", ipc::recv(boot_endpoint(0))) {
        checks.equal("capabilities received", message.info.caps, 1);
    }
    checks.equal(
        "E",
        caps::identify(e),
        Ok(CapInfo { kind: Some(ObjectKind::Endpoint), rights: Rights::READ, badge: 0 }),
    );
    checks.note(format_args!("blocking in recv on E"));
    checks.error("recv on E, blocked when E was deleted", ipc::recv(e), Error::PeerGone);
    checks.error("E after the wake-up", caps::identify(e), Error::EmptySlot);
    checks.finish()
}

fn caller() -> u32 {
    let mut checks = Checks::new("caps_wake caller");
    let f = slot(tryst::boot_info().first_free_slot);
    ipc::set_receive_slots(&[f]);
    if let Some((_, message)) = checks.ok("recv F", ipc::recv(boot_endpoint(0))) {
        checks.equal("capabilities received", message.info.caps, 1);
    }
    checks.equal(
        "F",
        caps::identify(f),
        Ok(CapInfo { kind: Some(ObjectKind::Endpoint), rights: Rights::WRITE, badge: 0 }),
    );
    checks.note(format_args!("blocking in call on F"));
    checks.error(
        "call on F, blocked when F was deleted",
        ipc::call(f, Message::short(2, &[7])),
        Error::PeerGone,
    );
    checks.error("F after the wake-up", caps::identify(f), Error::EmptySlot);
    checks.finish()
}
