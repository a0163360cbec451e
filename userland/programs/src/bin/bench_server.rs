//! The other side of the IPC benchmarks. With argument 0 it answers every call on its first
//! endpoint with the request itself (deleting any capability that came with it); with
//! argument 1 it just receives; with argument 2 it answers every call with two time stamps,
//! read as the request arrived and just before the answer leaves, for the one-way figures.
//! A message labelled `STOP` ends it.
#![no_std]
#![no_main]

use tryst::ipc::{self, MessageExt};
use tryst::raw::timestamp;
use tryst::{caps, println, Error, Message, Slot};

tryst::entry!(main);

/// The label that ends the server.
const STOP: u64 = 0xdead;
/// Where a capability sent to the echo server lands (and is deleted again).
const CAP_SLOT: u64 = 40;

fn main(mode: u64) -> u32 {
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    let landing = Slot::new(CAP_SLOT).expect("valid slot");
    ipc::set_receive_slots(&[landing]);
    // One loop per mode, so that choosing the mode costs the measured loops nothing.
    let stopped = match mode {
        1 => receive_only(endpoint),
        2 => answer_with_time_stamps(endpoint),
        _ => echo(endpoint, landing),
    };
    match stopped {
        Ok(()) => 0,
        Err(error) => {
            println!("bench_server: receive failed: {error:?}");
            1
        }
    }
}

/// The request in `received`, or `None` for `STOP`.
#[inline(always)]
fn request(received: Result<(u64, Message), Error>) -> Result<Option<Message>, Error> {
    let (_, message) = received?;
    Ok((message.info.label != STOP).then_some(message))
}

/// Answers every call with the request itself, deleting any capability that came with it.
fn echo(endpoint: Slot, landing: Slot) -> Result<(), Error> {
    let mut received = ipc::recv(endpoint);
    while let Some(message) = request(received)? {
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
    Ok(())
}

/// Receives and never answers.
fn receive_only(endpoint: Slot) -> Result<(), Error> {
    while request(ipc::recv(endpoint))?.is_some() {}
    Ok(())
}

/// Answers every call with the time stamps of its arrival and of the answer's departure.
fn answer_with_time_stamps(endpoint: Slot) -> Result<(), Error> {
    let mut received = ipc::recv(endpoint);
    while request(received)?.is_some() {
        let arrived = timestamp();
        let leaves = timestamp();
        received = ipc::reply_recv(endpoint, Message::short(0, &[arrived, leaves, 0, 0]));
    }
    Ok(())
}
