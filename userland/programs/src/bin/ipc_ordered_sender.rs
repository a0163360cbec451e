//! A sender of `send_recv_blocking_order`: called by the letter in `argument & 0xff`, it sleeps
//! `argument >> 8` ticks (if any), then sends one message labelled with its letter through its
//! first endpoint with a blocking `send`. It prints before sending and again once `send` has
//! returned, so the log shows that `send` waited until a receiver took the message.
#![no_std]
#![no_main]

use tryst::ipc::{self, MessageExt};
use tryst::{println, Message, Slot};

tryst::entry!(main);

fn main(argument: u64) -> u32 {
    let letter = char::from((argument & 0xff) as u8);
    let delay = argument >> 8;
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    if delay > 0 {
        println!("ipc_ordered_sender {letter}: sleeping {delay} ticks, then sending");
        if let Err(error) = tryst::sleep(delay) {
            println!("ipc_ordered_sender {letter}: sleep failed: {error:?} (FAILED)");
            return 1;
        }
    }
    println!("ipc_ordered_sender {letter}: sending");
    match ipc::send(endpoint, Message::short(u64::from(letter), &[])) {
        Ok(()) => {
            println!("ipc_ordered_sender {letter}: sent");
            0
        }
        Err(error) => {
            println!("ipc_ordered_sender {letter}: send failed: {error:?} (FAILED)");
            1
        }
    }
}
