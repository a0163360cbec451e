//! A client of `fastpath_equivalence`: sends `equiv_protocol::MESSAGES` messages to each of
//! the two servers in turn (calls of 0 to 6 words, one in five a one-way `send`), checks every
//! answer word, and prints a digest of what it sent and received. Argument: its number
//! (1 to 3), which is also its badge at server 0; at server 1 its badge is 16 + that.
#![no_std]
#![no_main]

mod equiv_protocol;

use equiv_protocol::{answer_length, answer_word, label, length, message, Digest, MESSAGES, ONE_WAY};
use tryst::{ipc, println, Slot};

tryst::entry!(main);

fn main(me: u64) -> u32 {
    let boot = tryst::boot_info();
    let servers = [0, 1].map(|i| Slot::new(boot.endpoints[i]).expect("endpoint slot"));
    let badges = [me, 16 + me];
    let mut digest = Digest::NEW;
    let (mut calls, mut sends) = (0, 0);
    for n in 0..MESSAGES {
        for (server, (&endpoint, &badge)) in servers.iter().zip(&badges).enumerate() {
            let label = label(me, server as u64, n);
            let words = length(n);
            let request = message(label, words);
            if label & ONE_WAY != 0 {
                if let Err(error) = ipc::send(endpoint, request) {
                    println!("equiv_client {me}: send {n} to server {server} FAILED: {error:?}");
                    return 1;
                }
                sends += 1;
                digest.add(label);
                continue;
            }
            let answer = match ipc::call(endpoint, request) {
                Ok(answer) => answer,
                Err(error) => {
                    println!("equiv_client {me}: call {n} to server {server} FAILED: {error:?}");
                    return 1;
                }
            };
            let expected = answer_length(words);
            let right = answer.info.label == label + 1
                && usize::from(answer.info.length) == expected
                && (0..expected).all(|i| answer.words[i] == answer_word(label, badge, i));
            if !right {
                println!("equiv_client {me}: answer to call {n} from server {server} FAILED: {answer:?}");
                return 1;
            }
            calls += 1;
            digest.add(answer.info.label);
            for &word in &answer.words[..expected] {
                digest.add(word);
            }
        }
    }
    println!(
        "equiv: client {me}: {calls} calls answered correctly, {sends} sends, digest {:#018x}",
        digest.0
    );
    0
}
