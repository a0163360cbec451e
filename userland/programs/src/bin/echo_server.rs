//! An echo server on the first endpoint of its boot info: answers each call with the caller's
//! badge as the label and every word plus one, for `argument` calls, then reports and exits.
#![no_std]
#![no_main]

use tryst::ipc::{self, word, MessageExt};
use tryst::{println, Message, Slot};

tryst::entry!(main);

fn main(calls: u64) -> u32 {
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    let mut served = 0;
    let mut received = ipc::recv(endpoint);
    loop {
        let (badge, request) = match received {
            Ok(message) => message,
            Err(error) => {
                println!("echo_server: receive failed: {error:?}");
                return 1;
            }
        };
        let mut answer = [0u64; 64];
        let length = usize::from(request.info.length);
        for (i, slot) in answer.iter_mut().enumerate().take(length) {
            *slot = word(&request, i) + 1;
        }
        let reply = Message::long(badge, &answer[..length]);
        served += 1;
        if served == calls {
            if let Err(error) = ipc::reply(reply) {
                println!("echo_server: reply failed: {error:?}");
            }
            println!("echo_server: served {served} calls");
            return 0;
        }
        received = ipc::reply_recv(endpoint, reply);
    }
}
