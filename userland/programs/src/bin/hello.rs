//! The demo greeter: says hello a few times, yielding in between.
#![no_std]
#![no_main]

use tryst::println;

tryst::entry!(main);

fn main(argument: u64) -> u32 {
    for round in 1..=3 {
        println!("hello {argument}: round {round}, from ring 3");
        tryst::yield_now();
    }
    0
}
