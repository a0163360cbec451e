//! A server of `server_dies_caller_gets_peer_gone` that never answers: it receives one call on
//! its first endpoint, sleeps a little (others run meanwhile), and then dies while it holds
//! the reply right: it exits when `argument` is 0, and reads address 0 (a page fault, which
//! the kernel reports as the process stopping) otherwise. Its caller must get `PeerGone`.
#![no_std]
#![no_main]

use tryst::{ipc, println, Slot};

tryst::entry!(main);

/// Ticks it holds the unanswered call before dying.
const HOLD: u64 = 1;

fn main(how: u64) -> u32 {
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    let (badge, request) = match ipc::recv(endpoint) {
        Ok(received) => received,
        Err(error) => {
            println!("ipc_dying_server: recv failed: {error:?} (FAILED)");
            return 1;
        }
    };
    let death = if how == 0 { "exiting" } else { "faulting" };
    println!(
        "ipc_dying_server: holding the call labelled {} from badge {badge}; sleeping, then {death} without replying",
        request.info.label
    );
    let _ = tryst::sleep(HOLD);
    if how != 0 {
        // SAFETY: not safe at all: reading address 0 must fault, and the kernel must stop this
        // process with the call still unanswered. That is what the scenario tests.
        unsafe { core::arch::asm!("mov {0}, [0]", out(reg) _) };
        println!("ipc_dying_server: the read of address 0 did not fault (FAILED)");
        return 1;
    }
    0
}
