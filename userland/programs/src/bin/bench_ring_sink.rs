//! The consumer side of the ring benchmarks in `bench`: receives a ring (see ring_common)
//! on its endpoint, then drains it. An empty message ends a run; the sink then answers the
//! benchmark's next call with the bytes it received in that run. A call labelled `BLOCKING`
//! carries two notification capabilities, its own and the benchmark's: from then on it sleeps
//! on its own while the ring is empty and signals the benchmark's when the benchmark sleeps for
//! room, instead of yielding. A call labelled `STOP` ends it.
#![no_std]
#![no_main]

mod ring_common;

use ring_common::Waiting;
use tryst::ipc::{self, MessageExt};
use tryst::ring::{NotificationBell, MAX_MESSAGE};
use tryst::{println, Message, Slot};

tryst::entry!(main);

/// Where the sink maps the ring.
const RING_ADDR: u64 = 0x20_0000_0000;
/// The label that ends the sink.
const STOP: u64 = 0xdead;
/// The label of the call that makes the sink block on notifications.
const BLOCKING: u64 = 0xb10c;
/// Where the notification capabilities of `BLOCKING` land.
const OWN_NOTIFICATION: u64 = 60;
const PEER_NOTIFICATION: u64 = 61;

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
    let mut waiting = Waiting::Yield { yields: 0 };
    let slot = |n| Slot::new(n).expect("valid slot");
    loop {
        let mut bytes = 0u64;
        loop {
            match waiting.recv(&mut consumer, &mut buffer) {
                Ok(0) => break,
                Ok(len) => bytes += len as u64,
                Err(error) => {
                    println!("bench_ring_sink: receive failed: {error}");
                    return 1;
                }
            }
        }
        ipc::set_receive_slots(&[slot(OWN_NOTIFICATION), slot(PEER_NOTIFICATION)]);
        match ipc::recv(endpoint) {
            Ok((_, message)) if message.info.label == BLOCKING && message.info.caps == 2 => {
                let own = slot(OWN_NOTIFICATION);
                waiting = Waiting::Sleep(NotificationBell { own, peer: slot(PEER_NOTIFICATION), waits: 0 });
                let _ = ipc::reply(Message::short(0, &[bytes]));
            }
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
