//! The consumer side of the ring benchmarks in `bench`: receives a ring (see ring_common)
//! on its endpoint, then drains it. An empty message ends a run; the sink then answers the
//! benchmark's next call with the bytes it received in that run. A call labelled `STOP`
//! ends it.
#![no_std]
#![no_main]

mod ring_common;

use tryst::ipc::{self, MessageExt};
use tryst::ring::MAX_MESSAGE;
use tryst::{println, Message, Slot};

tryst::entry!(main);

/// Where the sink maps the ring.
const RING_ADDR: u64 = 0x20_0000_0000;
/// The label that ends the sink.
const STOP: u64 = 0xdead;

fn main(_: u64) -> u32 {
    let boot = tryst::boot_info();
    let endpoint = Slot::new(boot.endpoints[0]).expect("endpoint slot");
    let mut consumer = match ring_common::consume(endpoint, boot.first_free_slot, RING_ADDR) {
        Ok(consumer) => consumer,
        Err(error) => {
            println!("bench_ring_sink: cannot set up the ring: {error:?}");
            return 1;
        }
    };
    let mut buffer = [0u8; MAX_MESSAGE];
    loop {
        let mut bytes = 0u64;
        loop {
            match consumer.recv_with(&mut buffer, tryst::yield_now) {
                Ok(0) => break,
                Ok(len) => bytes += len as u64,
                Err(error) => {
                    println!("bench_ring_sink: receive failed: {error}");
                    return 1;
                }
            }
        }
        match ipc::recv(endpoint) {
            Ok((_, message)) if message.info.label == STOP => {
                let _ = ipc::reply(Message::short(0, &[]));
                return 0;
            }
            Ok(_) => {
                let _ = ipc::reply(Message::short(0, &[bytes]));
            }
            Err(error) => {
                println!("bench_ring_sink: recv failed: {error:?}");
                return 1;
            }
        }
    }
}
