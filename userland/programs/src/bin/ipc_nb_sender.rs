//! The sender of `nb_send_would_block` (runs above `ipc_nb_receiver`). Label 1: `nb_send`
//! while nobody receives must fail with `WouldBlock`. Label 2: after a sleep, while the
//! receiver waits in `recv`, `nb_send` must deliver. Label 3: a blocking `send` that queues
//! until the receiver's `nb_recv` takes it.
#![no_std]
#![no_main]

use tryst::ipc::{self, MessageExt};
use tryst::{println, Error, Message, Slot};

tryst::entry!(main);

/// Ticks to sleep so that the receiver gets to wait in `recv`.
const NAP: u64 = 5;

fn main(_: u64) -> u32 {
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    let mut failures = 0;
    let mut outcome = |what: &str, result: Result<(), Error>, expected: Result<(), Error>| {
        if result == expected {
            println!("ipc_nb_sender: {what}: {result:?}, as expected");
        } else {
            println!("ipc_nb_sender: {what}: {result:?}, expected {expected:?} (FAILED)");
            failures += 1;
        }
    };

    let refused = ipc::nb_send(endpoint, Message::short(1, &[]));
    outcome("nb_send with no receiver waiting", refused, Err(Error::WouldBlock));
    if tryst::sleep(NAP).is_err() {
        println!("ipc_nb_sender: sleep failed (FAILED)");
        return 1;
    }
    let delivered = ipc::nb_send(endpoint, Message::short(2, &[]));
    outcome("nb_send to a waiting receiver", delivered, Ok(()));
    println!("ipc_nb_sender: sending label 3 with a blocking send (nobody is receiving now)");
    let queued = ipc::send(endpoint, Message::short(3, &[]));
    outcome("send of label 3 returned once the receiver took it", queued, Ok(()));
    if failures == 0 {
        0
    } else {
        1
    }
}
