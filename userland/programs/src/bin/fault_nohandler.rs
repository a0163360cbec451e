//! `fault_without_handler_kills`: a thread with no fault handler, or whose handler slot
//! holds nothing, is stopped by its fault and reported; the others go on.
//!
//! Role 0 sets no handler and reads an unmapped page. Role 1 names slot `first_free_slot` as
//! its handler, puts an endpoint capability there, deletes it again, and reads an unmapped
//! page. Role 2 (lower priority) runs after both were stopped, checks that it is the only
//! thread left and exits 0.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot, Checks};
use tryst::{caps, println};

tryst::entry!(main);

const UNMAPPED: u64 = 0x5000_0000;

fn main(role: u64) -> u32 {
    let boot = tryst::boot_info();
    match role {
        0 | 1 => {
            if role == 1 {
                let handler = slot(boot.first_free_slot);
                let thread = slot(boot.thread_slot);
                let _ = caps::copy(boot_endpoint(0), handler);
                let _ = caps::set_fault_handler(thread, Some(handler));
                let _ = caps::delete(handler);
                println!("fault_nohandler {role}: handler slot emptied; reading {UNMAPPED:#x}");
            } else {
                println!("fault_nohandler {role}: no handler; reading {UNMAPPED:#x}");
            }
            // SAFETY: the address is unmapped and there is no handler: the read stops this
            // process, so nothing runs after it.
            let value = unsafe { core::ptr::read_volatile(UNMAPPED as *const u64) };
            println!("fault_nohandler {role}: FAILED: read {value} and went on");
            1
        }
        _ => {
            let mut checks = Checks::new("fault_nohandler bystander");
            // Itself, and the system's: init, the console and timer servers, the name service.
            checks.equal("threads left", caps::kernel_stats().threads, 5);
            checks.finish()
        }
    }
}
