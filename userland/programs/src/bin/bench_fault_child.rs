//! The faulting side of the fault benchmark in `bench`: names its endpoint as its fault
//! handler, gives `bench` its address space, then reads two pages in turn. `bench` maps its
//! one Frame at whichever page faulted (unmapping it from the other), so every read faults.
//! Each read is timed from just before the faulting instruction to just after it resumed;
//! min, median, p99 and the sample count go back to `bench` in one call.
#![no_std]
#![no_main]

use tryst::ipc::{self, MessageExt};
use tryst::raw::timestamp;
use tryst::{caps, println, Message, Rights, Slot};

tryst::entry!(main);

const WARM_UP: usize = 20;
const SAMPLES: usize = 500;
/// The two pages read in turn.
const PAGES: [u64; 2] = [0x5000_0000, 0x5000_2000];
/// The label of the call carrying the results.
const RESULTS: u64 = 0xf417;

fn main(_: u64) -> u32 {
    let boot = tryst::boot_info();
    let endpoint = Slot::new(boot.endpoints[0]).expect("endpoint slot");
    let handler = Slot::new(boot.first_free_slot).expect("free slot");
    let thread = Slot::new(boot.thread_slot).expect("thread slot");
    let space = Slot::new(boot.space_slot).expect("space slot");
    let setup = caps::mint(endpoint, handler, Rights::WRITE, 1)
        .and_then(|()| caps::set_fault_handler(thread, Some(handler)))
        .and_then(|()| ipc::call(endpoint, Message::short(0, &[]).with_caps(&[space])).map(drop));
    if let Err(error) = setup {
        println!("bench_fault_child: setup failed: {error:?}");
        return 1;
    }
    let mut samples = [0u64; SAMPLES];
    for n in 0..WARM_UP + SAMPLES {
        let page = PAGES[n % 2];
        let start = timestamp();
        // SAFETY: the page is not mapped (bench unmapped it to map the other one): the read
        // faults, bench maps the page, and the read is retried. No Rust object lives there.
        unsafe { core::ptr::read_volatile(page as *const u64) };
        let time = timestamp() - start;
        if n >= WARM_UP {
            samples[n - WARM_UP] = time;
        }
    }
    samples.sort_unstable();
    let summary = [samples[0], samples[SAMPLES / 2], samples[SAMPLES * 99 / 100], SAMPLES as u64];
    let _ = ipc::call(endpoint, Message::short(RESULTS, &summary));
    0
}
