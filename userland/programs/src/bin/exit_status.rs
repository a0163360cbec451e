//! Exits with a status the test harness looks for.
#![no_std]
#![no_main]

tryst::entry!(main);

fn main(_: u64) -> u32 {
    tryst::println!("exit_status: leaving with status 42");
    42
}
