//! A client of `ipc_badge_server` (scenario `badge_identifies_client`): makes
//! `argument & 0xffff` calls through its first endpoint, each claiming in its words to come
//! from badge `argument >> 16` (a lie for all but one client). It learns its real badge from
//! its own capability, and checks every answer: the badge the server saw must be that one,
//! the call number echoed, and the server's count for the badge equal to its own count so far.
#![no_std]
#![no_main]

use tryst::ipc::{self, MessageExt};
use tryst::{caps, println, Message, Slot};

tryst::entry!(main);

fn main(argument: u64) -> u32 {
    let calls = argument & 0xffff;
    let claimed = argument >> 16;
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    let badge = match caps::identify(endpoint) {
        Ok(info) => info.badge,
        Err(error) => {
            println!("ipc_badge_client: identify failed: {error:?} (FAILED)");
            return 1;
        }
    };
    for n in 0..calls {
        let answer = match ipc::call(endpoint, Message::short(1, &[n, claimed])) {
            Ok(answer) => answer,
            Err(error) => {
                println!("ipc_badge_client {badge}: call {n} failed: {error:?} (FAILED)");
                return 1;
            }
        };
        let [number, count, echoed_claim, _] = answer.words;
        if answer.info.label != badge || number != n || count != n + 1 || echoed_claim != claimed {
            println!(
                "ipc_badge_client {badge}: call {n} answered with badge {}, call {number}, count {count} (FAILED)",
                answer.info.label
            );
            return 1;
        }
        // Let the other clients call in between.
        tryst::yield_now();
    }
    println!(
        "ipc_badge_client {badge}: {calls} calls claiming badge {claimed}, each answered with badge {badge} \
         and the server's count for it"
    );
    0
}
