//! The killer of `caller_dies_reply_fails_cleanly`. On its first endpoint it receives two
//! kinds of message: a message carrying a Thread capability registers a caller (its label is
//! the caller's badge at the server); a call labelled with a registered badge orders that
//! caller's death: it destroys the thread, checks the Thread capability went with it, and
//! answers. It exits after `argument` deaths.
#![no_std]
#![no_main]

use tryst::caps::{self, CapInfo};
use tryst::ipc::{self, MessageExt};
use tryst::{println, Error, Message, ObjectKind, Slot};

tryst::entry!(main);

/// The most callers it holds Thread capabilities for.
const MAX_VICTIMS: usize = 4;

fn main(deaths: u64) -> u32 {
    let info = tryst::boot_info();
    let endpoint = Slot::new(info.endpoints[0]).expect("boot endpoint slot");
    let slot_for = |n: usize| Slot::new(info.first_free_slot + n as u64).expect("a free slot");
    let mut victims = [0u64; MAX_VICTIMS];
    let mut registered = 0;
    let mut killed = 0;
    while killed < deaths {
        ipc::set_receive_slots(&[slot_for(registered.min(MAX_VICTIMS - 1))]);
        let (_, order) = match ipc::recv(endpoint) {
            Ok(received) => received,
            Err(error) => {
                println!("ipc_reply_killer: recv failed: {error:?} (FAILED)");
                return 1;
            }
        };
        let badge = order.info.label;
        if order.info.caps == 1 && registered < MAX_VICTIMS {
            let held = caps::identify(slot_for(registered));
            if !matches!(held, Ok(CapInfo { kind: Some(ObjectKind::Thread), .. })) {
                println!(
                    "ipc_reply_killer: the caller with badge {badge} sent {held:?}, not a Thread (FAILED)"
                );
                return 1;
            }
            victims[registered] = badge;
            registered += 1;
            println!("ipc_reply_killer: holding the Thread capability of the caller with badge {badge}");
            continue;
        }
        let Some(victim) = victims[..registered].iter().position(|&b| b == badge) else {
            println!("ipc_reply_killer: ordered to destroy unknown badge {badge} (FAILED)");
            return 1;
        };
        if let Err(error) = caps::destroy_thread(slot_for(victim)) {
            println!("ipc_reply_killer: destroying the caller with badge {badge} failed: {error:?} (FAILED)");
            return 1;
        }
        let after = caps::identify(slot_for(victim)).map(|_| ());
        if after != Err(Error::EmptySlot) {
            println!("ipc_reply_killer: its Thread capability is still there: {after:?} (FAILED)");
            return 1;
        }
        println!(
            "ipc_reply_killer: destroyed the caller with badge {badge}; its Thread capability went with it"
        );
        killed += 1;
        if let Err(error) = ipc::reply(Message::short(badge, &[])) {
            println!("ipc_reply_killer: answering the order failed: {error:?} (FAILED)");
            return 1;
        }
    }
    0
}
