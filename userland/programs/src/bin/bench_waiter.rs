//! The other side of the notification benchmark: waits on its notification (first boot
//! capability) over and over, so that each signal wakes it and it blocks again; bit 1 in the
//! bits it takes ends it.
#![no_std]
#![no_main]

use tryst::{notify, println, Slot};

tryst::entry!(main);

/// The bit that ends the waiter.
const STOP: u64 = 0x2;

fn main(_: u64) -> u32 {
    let notification = Slot::new(tryst::boot_info().endpoints[0]).expect("boot capability slot");
    loop {
        match notify::wait(notification) {
            Ok(bits) if bits & STOP != 0 => return 0,
            Ok(_) => {}
            Err(error) => {
                println!("bench_waiter: wait failed: {error:?}");
                return 1;
            }
        }
    }
}
