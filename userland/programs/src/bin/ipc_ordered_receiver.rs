//! The receiver of `send_recv_blocking_order`, started at the lowest priority so that every
//! sender on its first endpoint is already blocked in `send` when it first runs. It receives
//! them one by one and checks they arrive in the order the low 32 bits of `argument` spell
//! (priority order, first come first served within a priority). Then it blocks in `recv` on
//! its second endpoint before anyone sends there, and checks that the letter in bits 32..40
//! arrives later and wakes it.
#![no_std]
#![no_main]

use tryst::{ipc, println, Slot};

tryst::entry!(main);

/// The most senders it expects on the first endpoint.
const MAX_QUEUED: usize = 4;

fn main(argument: u64) -> u32 {
    let info = tryst::boot_info();
    let queued_on = Slot::new(info.endpoints[0]).expect("boot endpoint slot");
    let waits_on = Slot::new(info.endpoints[1]).expect("boot endpoint slot");
    let expected = ((argument & 0xffff_ffff) as u32).to_le_bytes();
    let expected = &expected[..expected.iter().position(|&b| b == 0).unwrap_or(MAX_QUEUED)];
    let late = char::from((argument >> 32) as u8);

    println!("ipc_ordered_receiver: receiving {} messages on endpoint 0", expected.len());
    let mut got = [b'?'; MAX_QUEUED];
    for (k, slot) in got.iter_mut().enumerate().take(expected.len()) {
        match ipc::recv(queued_on) {
            Ok((_, message)) => {
                *slot = message.info.label as u8;
                println!("ipc_ordered_receiver: message {} from {}", k + 1, char::from(*slot));
            }
            Err(error) => {
                println!("ipc_ordered_receiver: recv failed: {error:?} (FAILED)");
                return 1;
            }
        }
    }
    let got = core::str::from_utf8(&got[..expected.len()]).unwrap_or("?");
    let wanted = core::str::from_utf8(expected).unwrap_or("?");
    // On a wrong order it goes on all the same, so that the late sender is not left blocked.
    let in_order = got == wanted;
    if in_order {
        println!("ipc_ordered_receiver: order {got}: by priority, first come first served within a priority");
    } else {
        println!("ipc_ordered_receiver: order {got}, expected {wanted} (FAILED)");
    }

    println!("ipc_ordered_receiver: waiting on endpoint 1");
    let before = tryst::now();
    let label = match ipc::recv(waits_on) {
        Ok((_, message)) => message.info.label,
        Err(error) => {
            println!("ipc_ordered_receiver: recv on endpoint 1 failed: {error:?} (FAILED)");
            return 1;
        }
    };
    let waited = tryst::now() - before;
    let from = char::from(label as u8);
    if from != late || waited == 0 {
        println!("ipc_ordered_receiver: endpoint 1 gave {from} after {waited} ticks, expected {late} later (FAILED)");
        return 1;
    }
    println!("ipc_ordered_receiver: message from {from} on endpoint 1 woke it after it had blocked");
    u32::from(!in_order)
}
