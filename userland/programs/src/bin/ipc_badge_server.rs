//! The server of `badge_identifies_client`: answers `argument` calls on its first endpoint and
//! counts them by the badge the kernel delivers with each one, never by what a message says
//! about its sender. Each answer carries that badge as its label, the caller's call number,
//! and the server's running count for the badge, so a client can check both. At the end it
//! prints its count for every badge it saw.
#![no_std]
#![no_main]

use tryst::ipc::{self, MessageExt};
use tryst::{println, Message, Slot};

tryst::entry!(main);

/// The most distinct badges it keeps counts for.
const MAX_BADGES: usize = 8;

/// Calls counted per badge, in the order the badges first called.
struct Tally {
    badges: [u64; MAX_BADGES],
    counts: [u64; MAX_BADGES],
    used: usize,
}

impl Tally {
    const fn new() -> Tally {
        Tally { badges: [0; MAX_BADGES], counts: [0; MAX_BADGES], used: 0 }
    }

    /// Counts one call with `badge`; returns the count so far, or `None` when there are too
    /// many badges to keep.
    fn count(&mut self, badge: u64) -> Option<u64> {
        let at = match self.badges[..self.used].iter().position(|&b| b == badge) {
            Some(at) => at,
            None if self.used < MAX_BADGES => {
                self.badges[self.used] = badge;
                self.used += 1;
                self.used - 1
            }
            None => return None,
        };
        self.counts[at] += 1;
        Some(self.counts[at])
    }

    /// Prints one line per badge, lowest badge first.
    fn report(&self) {
        let mut order: [usize; MAX_BADGES] = core::array::from_fn(|i| i);
        order[..self.used].sort_unstable_by_key(|&i| self.badges[i]);
        for &i in &order[..self.used] {
            println!("ipc_badge_server: badge {} made {} calls", self.badges[i], self.counts[i]);
        }
    }
}

fn main(calls: u64) -> u32 {
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    let mut tally = Tally::new();
    let mut received = ipc::recv(endpoint);
    for served in 1..=calls {
        let (badge, request) = match received {
            Ok(message) => message,
            Err(error) => {
                println!("ipc_badge_server: receive failed: {error:?} (FAILED)");
                return 1;
            }
        };
        let Some(count) = tally.count(badge) else {
            println!("ipc_badge_server: more than {MAX_BADGES} badges called (FAILED)");
            return 1;
        };
        // Word 0 is the caller's call number, word 1 the identity it claims: echoed, never
        // believed.
        let answer = Message::short(badge, &[request.words[0], count, request.words[1]]);
        if served == calls {
            if let Err(error) = ipc::reply(answer) {
                println!("ipc_badge_server: last reply failed: {error:?} (FAILED)");
                return 1;
            }
            break;
        }
        received = ipc::reply_recv(endpoint, answer);
    }
    tally.report();
    println!("ipc_badge_server: answered {calls} calls from {} badges", tally.used);
    0
}
