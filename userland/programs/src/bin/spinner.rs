//! A CPU-bound process that never yields: burns CPU for a number of timer ticks, printing its
//! progress with the tick count. The argument is `letter | (ticks << 8)`.
#![no_std]
#![no_main]

use core::hint::black_box;

use tryst::println;

tryst::entry!(main);

/// One chunk of work: a fraction of a timer tick under TCG.
const CHUNK: u64 = 200_000;

fn main(argument: u64) -> u32 {
    let name = char::from(argument as u8);
    let ticks = argument >> 8;
    let start = tryst::now();
    let mut state = argument;
    let mut chunk = 0;
    while tryst::now() < start + ticks {
        for i in 0..CHUNK {
            state = black_box(state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
        chunk += 1;
        println!("spinner {name}: chunk {chunk} at tick {}", tryst::now());
    }
    println!("spinner {name}: done after {chunk} chunks");
    0
}
