//! A client of `echo_server`: makes `argument & 0xffff` calls through its first endpoint with
//! register-only messages (and with 64 words when bit 16 is set), checks every answer, and
//! prints the badge the server saw. Its name for itself is `argument >> 32`.
#![no_std]
#![no_main]

use tryst::ipc::{self, word, MessageExt};
use tryst::{println, Message, Slot};

tryst::entry!(main);

fn main(argument: u64) -> u32 {
    let calls = argument & 0xffff;
    let long = argument & (1 << 16) != 0;
    let me = argument >> 32;
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    let length = if long { 64 } else { 4 };
    let mut badge_seen = None;
    for n in 0..calls {
        let words: [u64; 64] = core::array::from_fn(|i| me << 48 | n << 8 | i as u64);
        let request = Message::long(7, &words[..length]);
        let answer = match ipc::call(endpoint, request) {
            Ok(answer) => answer,
            Err(error) => {
                println!("echo_client {me}: call {n} failed: {error:?}");
                return 1;
            }
        };
        if usize::from(answer.info.length) != length {
            println!("echo_client {me}: call {n}: answer has {} words, not {length}", answer.info.length);
            return 1;
        }
        for (i, &sent) in words[..length].iter().enumerate() {
            if word(&answer, i) != sent + 1 {
                println!(
                    "echo_client {me}: call {n}: word {i} is {:#x}, not {:#x}",
                    word(&answer, i),
                    sent + 1
                );
                return 1;
            }
        }
        badge_seen.get_or_insert(answer.info.label);
        if badge_seen != Some(answer.info.label) {
            println!("echo_client {me}: the badge changed between calls");
            return 1;
        }
    }
    println!(
        "echo_client {me}: {calls} calls of {length} words answered correctly; server saw badge {}",
        badge_seen.unwrap_or(0)
    );
    0
}
