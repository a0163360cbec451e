//! The other side of the IPC benchmarks. With argument 0 it answers every call on its first
//! endpoint with the request itself (deleting any capability that came with it); with
//! argument 1 it just receives; with argument 2 it answers every call with two time stamps,
//! read as the request arrived and just before the answer leaves, for the one-way figures.
//! A message labelled `STOP` ends it.
#![no_std]
#![no_main]

use tryst::ipc::{self, MessageExt};
use tryst::raw::timestamp;
use tryst::{caps, println, Message, Slot};

tryst::entry!(main);

/// The label that ends the server.
const STOP: u64 = 0xdead;
/// Where a capability sent to the echo server lands (and is deleted again).
const CAP_SLOT: u64 = 40;

fn main(mode: u64) -> u32 {
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    let landing = Slot::new(CAP_SLOT).expect("valid slot");
    ipc::set_receive_slots(&[landing]);
    let mut received = ipc::recv(endpoint);
    loop {
        let message = match received {
            Ok((_, message)) if message.info.label == STOP => return 0,
            Ok((_, message)) => message,
            Err(error) => {
                println!("bench_server: receive failed: {error:?}");
                return 1;
            }
        };
        if mode == 1 {
            received = ipc::recv(endpoint);
            continue;
        }
        if mode == 2 {
            let arrived = timestamp();
            let leaves = timestamp();
            received = ipc::reply_recv(endpoint, Message::short(0, &[arrived, leaves, 0, 0]));
            continue;
        }
        if message.info.caps > 0 {
            let _ = caps::delete(landing);
        }
        // The words beyond the registers are still in this thread's IPC buffer, where the
        // reply takes them from: echoing them costs no copy here.
        let reply = Message {
            info: tryst::abi::MessageInfo::new(message.info.label, message.info.length),
            ..message
        };
        received = ipc::reply_recv(endpoint, reply);
    }
}
