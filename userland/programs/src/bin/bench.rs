//! System-call microbenchmarks: each operation many times after a warm-up, timed with
//! serialized `rdtsc` (the timer's own overhead subtracted); prints min, median and p99, a
//! table and one JSON line. Under `-icount shift=0` the figures are guest instruction counts.
#![no_std]
#![no_main]

use tryst::abi::SyscallNumber;
use tryst::println;
use tryst::raw::timestamp;

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

fn main(_: u64) -> u32 {
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
    ];
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
