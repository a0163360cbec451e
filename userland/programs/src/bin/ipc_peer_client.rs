//! A caller of `ipc_dying_server` (scenario `server_dies_caller_gets_peer_gone`), named by the
//! letter in `argument`: makes one call through its first endpoint and expects it to fail
//! with `PeerGone`, because the server that received it dies without answering.
#![no_std]
#![no_main]

use tryst::ipc::{self, MessageExt};
use tryst::{println, Error, Message, Slot};

tryst::entry!(main);

fn main(argument: u64) -> u32 {
    let me = char::from(argument as u8);
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    match ipc::call(endpoint, Message::short(argument, &[1, 2, 3])) {
        Err(Error::PeerGone) => {
            println!("ipc_peer_client {me}: call returned PeerGone, as expected (its server died)");
            0
        }
        other => {
            println!("ipc_peer_client {me}: call returned {other:?}, expected PeerGone (FAILED)");
            1
        }
    }
}
