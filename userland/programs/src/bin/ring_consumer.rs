//! `ring_channel_transfer`, consumer side: receives the ring's frames from `ring_producer`,
//! maps them at an address of its own, and takes messages until the empty one. It
//! regenerates the producer's pseudo-random stream and compares every message byte for
//! byte, keeps its own FNV-1a checksum, and finally compares count, size and checksum with
//! the producer's report (answering 0 when all match).
//!
//! With argument 1 (`ring_channel_blocking`) it sleeps on its notification (second boot
//! capability) while the ring is empty, and signals the producer's (third) when it sleeps for
//! room, instead of yielding.
#![no_std]
#![no_main]

mod ring_common;

use ring_common::{fnv1a, next_len, Stream, Waiting, FNV_START};
use tryst::ipc::{self, MessageExt};
use tryst::ring::MAX_MESSAGE;
use tryst::{println, Message, Slot};

tryst::entry!(main);

/// Where the consumer maps the ring (not where the producer does).
const RING_ADDR: u64 = 0x20_0000_0000;
const REPORT: u64 = 0x7265;

fn main(blocking: u64) -> u32 {
    let boot = tryst::boot_info();
    let endpoint = Slot::new(boot.endpoints[0]).expect("endpoint slot");
    let mut consumer = match ring_common::consume(endpoint, boot.first_free_slot, RING_ADDR) {
        Ok(consumer) => consumer,
        Err(error) => {
            println!("ring_consumer: FAILED to set up the ring: {error:?}");
            return 1;
        }
    };
    println!("ring_consumer: ring mapped at {RING_ADDR:#x}");
    let mut waiting = Waiting::from_boot(blocking == 1, &boot);
    let (mut sizes, mut contents) = (Stream::new(1), Stream::new(2));
    let (mut buffer, mut expected) = ([0u8; MAX_MESSAGE], [0u8; MAX_MESSAGE]);
    let (mut messages, mut bytes, mut checksum, mut mismatches) = (0u64, 0u64, FNV_START, 0u64);
    loop {
        let len = match waiting.recv(&mut consumer, &mut buffer) {
            Ok(0) => break,
            Ok(len) => len,
            Err(error) => {
                println!("ring_consumer: FAILED: receive of message {messages}: {error}");
                return 1;
            }
        };
        let expected_len = next_len(&mut sizes);
        contents.fill(&mut expected[..expected_len]);
        if len != expected_len || buffer[..len] != expected[..len] {
            if mismatches == 0 {
                println!(
                    "ring_consumer: FAILED: message {messages} ({len} bytes) differs from what was sent"
                );
            }
            mismatches += 1;
        }
        messages += 1;
        bytes += len as u64;
        checksum = fnv1a(checksum, &buffer[..len]);
    }
    println!("ring_consumer: received {messages} messages, {bytes} bytes, checksum {checksum:#018x}");
    println!("ring_consumer: messages that differ from the producer's stream: {mismatches}");
    let (waits, how) = waiting.report();
    println!("ring_consumer: waited for data {waits} times ({how})");
    let Ok((_, report)) = ipc::recv(endpoint) else {
        println!("ring_consumer: FAILED: no report from the producer");
        return 1;
    };
    let theirs = [report.words[0], report.words[1], report.words[2]];
    let agree = report.info.label == REPORT && theirs == [messages, bytes, checksum] && mismatches == 0;
    if agree {
        println!("ring_consumer: the producer's count, size and checksum match");
    } else {
        println!("ring_consumer: FAILED: the producer reports {theirs:?}");
    }
    let _ = ipc::reply(Message::short(u64::from(!agree), &[]));
    u32::from(!agree)
}
