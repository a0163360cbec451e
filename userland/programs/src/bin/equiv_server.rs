//! A server of `fastpath_equivalence`: receives every client's messages on its first endpoint,
//! keeps a digest of the stream from each badge (label and words, in order), answers each
//! call with words the client checks, and after the last message prints the digests and the
//! endpoint's counters. Argument: its number (0 or 1).
#![no_std]
#![no_main]

mod equiv_protocol;

use equiv_protocol::{answer_length, answer_word, Digest, CLIENTS, MESSAGES, ONE_WAY};
use tryst::ipc::{self, MessageExt};
use tryst::{println, Message, Slot};

tryst::entry!(main);

fn main(me: u64) -> u32 {
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("endpoint slot");
    // Badges are 1..=CLIENTS at server 0 and 17..=16 + CLIENTS at server 1.
    let first_badge = if me == 0 { 1 } else { 17 };
    let mut digests = [Digest::NEW; CLIENTS as usize];
    let mut counts = [0u64; CLIENTS as usize];
    let total = MESSAGES * CLIENTS;
    let mut received = ipc::recv(endpoint);
    for served in 1..=total {
        let (badge, request) = match received {
            Ok(got) => got,
            Err(error) => {
                println!("equiv_server {me}: receive FAILED: {error:?}");
                return 1;
            }
        };
        let Some(client) = badge.checked_sub(first_badge).filter(|&c| c < CLIENTS) else {
            println!("equiv_server {me}: unexpected badge {badge} FAILED");
            return 1;
        };
        let length = usize::from(request.info.length);
        let digest = &mut digests[client as usize];
        digest.add(request.info.label);
        for i in 0..length {
            digest.add(ipc::word(&request, i));
        }
        counts[client as usize] += 1;
        let label = request.info.label;
        let answer = {
            let words: [u64; 4] = core::array::from_fn(|i| answer_word(label, badge, i));
            Message::short(label + 1, &words[..answer_length(length)])
        };
        let one_way = label & ONE_WAY != 0;
        if served == total {
            if let (false, Err(error)) = (one_way, ipc::reply(answer)) {
                println!("equiv_server {me}: last reply FAILED: {error:?}");
                return 1;
            }
            break;
        }
        received = if one_way { ipc::recv(endpoint) } else { ipc::reply_recv(endpoint, answer) };
    }
    for (client, (digest, count)) in digests.iter().zip(&counts).enumerate() {
        let badge = first_badge + client as u64;
        println!("equiv: server {me}: badge {badge}: {count} messages, digest {:#018x}", digest.0);
    }
    match ipc::endpoint_stats(endpoint) {
        Ok(s) => println!(
            "equiv: server {me}: endpoint counted {} messages, {} calls, {} replies, {} capabilities",
            s.messages, s.calls, s.replies, s.caps
        ),
        Err(error) => {
            println!("equiv_server {me}: endpoint_stats FAILED: {error:?}");
            return 1;
        }
    }
    0
}
