//! The preempter of `registers_preserved_across_fastpath`: more urgent than `regs_client`,
//! it sleeps one tick at a time, so that each tick takes the CPU from whatever runs (the
//! client's spins among them) and gives it back. Argument: how many ticks.
#![no_std]
#![no_main]

use tryst::println;

tryst::entry!(main);

fn main(ticks: u64) -> u32 {
    for _ in 0..ticks {
        if let Err(error) = tryst::sleep(1) {
            println!("regs_ticker: sleep FAILED: {error:?}");
            return 1;
        }
    }
    0
}
