//! System-call and IPC microbenchmarks: each operation many times after a warm-up, timed with
//! serialized `rdtsc` (the timer's own overhead subtracted); prints min, median and p99, a
//! table and one JSON line. Under `-icount shift=0` the figures are guest instruction counts.
//!
//! The IPC figures are cross-address-space: `bench_server` processes answer on the first
//! endpoint (echo, reply_recv loop) and receive on the second (sink, recv loop).
#![no_std]
#![no_main]

use tryst::abi::SyscallNumber;
use tryst::ipc::{self, MessageExt};
use tryst::raw::timestamp;
use tryst::{caps, println, Message, Slot};

tryst::entry!(main);

const WARM_UP: usize = 200;
const SAMPLES: usize = 2000;

struct Summary {
    min: u64,
    median: u64,
    p99: u64,
}

/// Times `operation` SAMPLES times after WARM_UP untimed runs, less `overhead` per sample.
fn measure(overhead: u64, mut operation: impl FnMut()) -> Summary {
    for _ in 0..WARM_UP {
        operation();
    }
    let mut samples = [0u64; SAMPLES];
    for sample in samples.iter_mut() {
        let start = timestamp();
        operation();
        *sample = (timestamp() - start).saturating_sub(overhead);
    }
    samples.sort_unstable();
    Summary { min: samples[0], median: samples[SAMPLES / 2], p99: samples[SAMPLES * 99 / 100] }
}

/// The label that ends a `bench_server`.
const STOP: u64 = 0xdead;
/// A spare slot for the capability the transfer benchmark sends.
const SPARE: u64 = 40;

fn main(_: u64) -> u32 {
    let boot = tryst::boot_info();
    let echo = Slot::new(boot.endpoints[0]).expect("echo endpoint slot");
    let sink = Slot::new(boot.endpoints[1]).expect("sink endpoint slot");
    let spare = Slot::new(SPARE).expect("valid slot");
    // The capability the transfer benchmark sends (the server deletes its copy each time).
    if let Err(error) = caps::copy(sink, spare) {
        println!("bench: cannot copy a capability to send: {error:?}");
        return 1;
    }
    let words: [u64; 64] = core::array::from_fn(|i| i as u64);
    let overhead = measure(0, || {}).min;
    let invalid = SyscallNumber::ALL.len() as u64 + 100;
    let results = [
        (
            "null syscall (unknown number)",
            measure(overhead, || {
                // SAFETY: an unknown number is rejected with an error code and changes nothing.
                unsafe { tryst::raw::syscall(invalid, [0; 6]) };
            }),
        ),
        (
            "clock read (sleep 0)",
            measure(overhead, || {
                tryst::now();
            }),
        ),
        ("yield (alone)", measure(overhead, tryst::yield_now)),
        (
            "debug_write (0 bytes)",
            measure(overhead, || {
                let _ = tryst::debug_write(&[]);
            }),
        ),
        (
            "ipc call+reply_recv (4 words)",
            measure(overhead, || {
                let _ = ipc::call(echo, Message::short(1, &words[..4]));
            }),
        ),
        (
            "ipc send->recv one way",
            measure(overhead, || {
                let _ = ipc::send(sink, Message::short(1, &words[..4]));
            }),
        ),
        (
            "ipc call+reply_recv (64 words)",
            measure(overhead, || {
                let _ = ipc::call(echo, Message::long(1, &words));
            }),
        ),
        (
            "ipc call+reply_recv (1 cap)",
            measure(overhead, || {
                let _ = ipc::call(echo, Message::short(1, &words[..4]).with_caps(&[spare]));
            }),
        ),
    ];
    for endpoint in [echo, sink] {
        let _ = ipc::send(endpoint, Message::short(STOP, &[]));
    }
    println!("bench: {SAMPLES} samples each after {WARM_UP} warm-up, timer overhead {overhead} subtracted");
    println!("bench: {:<32} {:>8} {:>8} {:>8}", "operation", "min", "median", "p99");
    for (name, s) in &results {
        println!("bench: {:<32} {:>8} {:>8} {:>8}", name, s.min, s.median, s.p99);
    }
    let mut first = true;
    tryst::print!("json: {{\"samples\": {SAMPLES}, \"results\": [");
    for (name, s) in &results {
        let comma = if first { "" } else { ", " };
        first = false;
        tryst::print!(
            "{comma}{{\"operation\": \"{name}\", \"min\": {}, \"median\": {}, \"p99\": {}}}",
            s.min,
            s.median,
            s.p99
        );
    }
    println!("]}}");
    0
}
