//! A caller of `ipc_reply_server` (scenario `caller_dies_reply_fails_cleanly`) that makes one
//! call through its first endpoint; its badge there names it. What it expects depends on
//! `argument`:
//! - 0, a victim: it first sends its own Thread capability to the killer (second endpoint),
//!   then calls. It must be destroyed while the server holds its call, so it never returns.
//! - 1: the call is answered, with its badge as the label.
//! - 2: the call fails with `PeerGone`, because the server received again without answering.
#![no_std]
#![no_main]

use tryst::ipc::{self, MessageExt};
use tryst::{caps, println, Error, Message, Slot};

tryst::entry!(main);

const VICTIM: u64 = 0;
const ANSWERED: u64 = 1;
const DROPPED: u64 = 2;

fn main(role: u64) -> u32 {
    let info = tryst::boot_info();
    let server = Slot::new(info.endpoints[0]).expect("boot endpoint slot");
    let badge = caps::identify(server).map_or(0, |cap| cap.badge);
    if role == VICTIM {
        let killer = Slot::new(info.endpoints[1]).expect("boot endpoint slot");
        let me = Slot::new(info.thread_slot).expect("boot thread slot");
        if let Err(error) = ipc::send(killer, Message::short(badge, &[]).with_caps(&[me])) {
            println!("ipc_reply_client {badge}: sending my Thread capability failed: {error:?} (FAILED)");
            return 1;
        }
        println!("ipc_reply_client {badge}: calling; the killer holds my Thread capability");
    }
    let result = ipc::call(server, Message::short(badge, &[badge]));
    match (role, result) {
        (ANSWERED, Ok(answer)) if answer.info.label == badge => {
            println!("ipc_reply_client {badge}: call answered, as expected");
            0
        }
        (DROPPED, Err(Error::PeerGone)) => {
            println!(
                "ipc_reply_client {badge}: call returned PeerGone, as expected (the server received again)"
            );
            0
        }
        (_, result) => {
            let result = result.map(|answer| answer.info.label);
            println!("ipc_reply_client {badge}: role {role}: call returned {result:?} (FAILED)");
            1
        }
    }
}
