//! The receiver of `nb_send_would_block` (runs below `ipc_nb_sender`): `nb_recv` after the
//! sender's refused `nb_send` must find nothing (the refused message was not kept); a
//! blocking `recv` must then get label 2, not 1; `nb_recv` while the sender is queued in
//! `send` must get label 3; and one more `nb_recv` must find nothing left. Results are shown
//! as `Ok(label)` or `Err(error)`.
#![no_std]
#![no_main]

use tryst::{ipc, println, Error, Message, Slot};

tryst::entry!(main);

/// The label of a received message, or the error.
fn label(received: Result<(u64, Message), Error>) -> Result<u64, Error> {
    received.map(|(_, message)| message.info.label)
}

fn main(_: u64) -> u32 {
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    let mut failures = 0;
    let mut outcome = |what: &str, result: Result<u64, Error>, expected: Result<u64, Error>| {
        if result == expected {
            println!("ipc_nb_receiver: {what}: {result:?}, as expected");
        } else {
            println!("ipc_nb_receiver: {what}: {result:?}, expected {expected:?} (FAILED)");
            failures += 1;
        }
    };

    outcome("nb_recv after the refused nb_send", label(ipc::nb_recv(endpoint)), Err(Error::WouldBlock));
    outcome("recv while the sender sleeps", label(ipc::recv(endpoint)), Ok(2));
    outcome("nb_recv with the sender queued in send", label(ipc::nb_recv(endpoint)), Ok(3));
    outcome("nb_recv with nobody queued", label(ipc::nb_recv(endpoint)), Err(Error::WouldBlock));
    if failures == 0 {
        0
    } else {
        1
    }
}
