//! `ring_channel_transfer`, producer side: sets up a shared-page ring with `ring_consumer`
//! (see ring_common), then sends messages of pseudo-random sizes from 1 byte to 4 KiB (mostly short), with
//! pseudo-random contents, until at least 1 MiB has gone through the ring, and a final
//! empty message. Only when the ring is full does it make a system call (a yield). Then it
//! tells the consumer over IPC what it sent: message count, byte count and an FNV-1a
//! checksum of every byte, which the consumer compares with its own.
//!
//! With argument 1 (`ring_channel_blocking`) it sleeps on its notification (second boot
//! capability) while the ring is full, and signals the consumer's (third) when it sleeps for
//! data, instead of yielding.
#![no_std]
#![no_main]

mod ring_common;

use ring_common::{fnv1a, next_len, Stream, Waiting, FNV_START};
use tryst::ipc::{self, MessageExt};
use tryst::ring::MAX_MESSAGE;
use tryst::{println, Message, Slot};

tryst::entry!(main);

/// At least this much goes through the ring.
const TOTAL: u64 = 1 << 20;
/// Where the producer maps the ring.
const RING_ADDR: u64 = 0x10_0000_0000;
/// The label of the final report call.
pub const REPORT: u64 = 0x7265;

fn main(blocking: u64) -> u32 {
    let boot = tryst::boot_info();
    let endpoint = Slot::new(boot.endpoints[0]).expect("endpoint slot");
    let memory = Slot::new(boot.memory_slot).expect("memory slot");
    let mut producer = match ring_common::produce(memory, endpoint, boot.first_free_slot, RING_ADDR) {
        Ok(producer) => producer,
        Err(error) => {
            println!("ring_producer: FAILED to set up the ring: {error:?}");
            return 1;
        }
    };
    println!("ring_producer: ring of {} bytes shared, mapped at {RING_ADDR:#x}", producer.capacity());
    let mut waiting = Waiting::from_boot(blocking == 1, &boot);
    let (mut sizes, mut contents) = (Stream::new(1), Stream::new(2));
    let mut buffer = [0u8; MAX_MESSAGE];
    let (mut messages, mut bytes, mut checksum) = (0u64, 0u64, FNV_START);
    while bytes < TOTAL {
        let len = next_len(&mut sizes);
        let message = &mut buffer[..len];
        contents.fill(message);
        if let Err(error) = waiting.send(&mut producer, message) {
            println!("ring_producer: FAILED: send of message {messages}: {error}");
            return 1;
        }
        messages += 1;
        bytes += len as u64;
        checksum = fnv1a(checksum, message);
    }
    // The empty message ends the stream.
    let _ = waiting.send(&mut producer, &[]);
    println!("ring_producer: sent {messages} messages, {bytes} bytes, checksum {checksum:#018x}");
    let (waits, how) = waiting.report();
    println!("ring_producer: waited for room {waits} times ({how})");
    match ipc::call(endpoint, Message::short(REPORT, &[messages, bytes, checksum])) {
        Ok(answer) if answer.info.label == 0 => {
            println!("ring_producer: the consumer confirms count, size and checksum");
            0
        }
        other => {
            println!("ring_producer: FAILED: the consumer answered {other:?}");
            1
        }
    }
}
