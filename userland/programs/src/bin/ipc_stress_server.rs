//! A server of `ipc_stress_no_leak`, numbered `argument`, serving the calls of the stress
//! clients (badges 1 to `CLIENTS`) on its first endpoint until the monitor (badge
//! `MONITOR_BADGE`) calls with `QUIT`.
//!
//! Every call carries the client's sequence number for this server in word 0: each must be
//! exactly the next one (no call lost, duplicated or reordered). Calls labelled `WITH_*` carry
//! one capability, which must arrive in the receive slot and be what the label says: a new
//! endpoint, a Write-only copy of the client's own badged capability to this server, or a new
//! Memory object of `GIFT_BUDGET` bytes; the server identifies it and deletes it. Each answer
//! has label `GOOD` or `BAD` and echoes the sequence number, the badge and the capabilities
//! that arrived. `QUIT` is answered with the number of calls of each client and the number of
//! problems seen.
#![no_std]
#![no_main]

use tryst::caps::{self, CapInfo};
use tryst::ipc::{self, MessageExt};
use tryst::{println, Message, ObjectKind, Rights, Slot};

mod ipc_stress_protocol;
use ipc_stress_protocol::{
    BAD, CLIENTS, GIFT_BUDGET, GOOD, MONITOR_BADGE, PLAIN, QUIT, WITH_ENDPOINT, WITH_MEMORY, WITH_MINTED,
};

tryst::entry!(main);

/// Problems printed in full; later ones are only counted.
const SHOWN: u64 = 5;

/// What the server knows about its clients.
struct State {
    me: u64,
    /// The next sequence number expected from each client (badge - 1).
    next: [u64; CLIENTS],
    problems: u64,
    received_caps: u64,
}

impl State {
    fn problem(&mut self, args: core::fmt::Arguments) {
        if self.problems < SHOWN {
            println!("ipc_stress_server {}: {args} (FAILED)", self.me);
        }
        self.problems += 1;
    }

    /// Checks one call and its capability; returns whether all was well.
    fn serve(&mut self, badge: u64, request: &Message, gift: Slot) -> bool {
        let problems = self.problems;
        let Some(client) = badge.checked_sub(1).map(|c| c as usize).filter(|&c| c < CLIENTS) else {
            self.problem(format_args!("a call with unknown badge {badge}"));
            return false;
        };
        let (sequence, expected) = (request.words[0], self.next[client]);
        if sequence != expected {
            self.problem(format_args!("badge {badge} sent sequence {sequence}, expected {expected}"));
        }
        self.next[client] = sequence + 1;
        let label = request.info.label;
        let caps_expected = u8::from(label != PLAIN);
        if request.info.caps != caps_expected {
            self.problem(format_args!(
                "call {sequence} of badge {badge}: {} capabilities arrived",
                request.info.caps
            ));
        }
        if request.info.caps > 0 {
            self.received_caps += 1;
            self.check_gift(badge, label, gift);
            if let Err(error) = caps::delete(gift) {
                self.problem(format_args!("deleting a capability from badge {badge} failed: {error:?}"));
            }
        }
        self.problems == problems
    }

    /// Checks the capability in `gift` is what `label` announces.
    fn check_gift(&mut self, badge: u64, label: u64, gift: Slot) {
        let info = caps::identify(gift);
        let endpoint = Some(ObjectKind::Endpoint);
        let good = match (label, info) {
            (WITH_ENDPOINT, Ok(CapInfo { kind, rights, badge: 0 })) => {
                kind == endpoint && rights == Rights::of(ObjectKind::Endpoint)
            }
            (WITH_MINTED, Ok(CapInfo { kind, rights, badge: b })) => {
                kind == endpoint && rights == Rights::WRITE && b == badge
            }
            (WITH_MEMORY, Ok(CapInfo { kind: Some(ObjectKind::Memory), rights, .. })) => {
                rights == Rights::of(ObjectKind::Memory) && caps::memory_info(gift) == Ok((GIFT_BUDGET, 0))
            }
            _ => false,
        };
        if !good {
            self.problem(format_args!("badge {badge} sent label {label} with capability {info:?}"));
        }
    }
}

fn main(me: u64) -> u32 {
    let info = tryst::boot_info();
    let endpoint = Slot::new(info.endpoints[0]).expect("boot endpoint slot");
    let gift = Slot::new(info.first_free_slot).expect("a free slot");
    ipc::set_receive_slots(&[gift]);
    let mut state = State { me, next: [0; CLIENTS], problems: 0, received_caps: 0 };
    let mut received = ipc::recv(endpoint);
    loop {
        let (badge, request) = match received {
            Ok(message) => message,
            Err(error) => {
                println!("ipc_stress_server {me}: receive failed: {error:?} (FAILED)");
                return 1;
            }
        };
        if badge == MONITOR_BADGE && request.info.label == QUIT {
            let n = state.next;
            if let Err(error) = ipc::reply(Message::short(GOOD, &[n[0], n[1], n[2], state.problems])) {
                println!("ipc_stress_server {me}: answering the monitor failed: {error:?} (FAILED)");
                return 1;
            }
            break;
        }
        let verdict = if state.serve(badge, &request, gift) { GOOD } else { BAD };
        let answer = Message::short(verdict, &[request.words[0], badge, u64::from(request.info.caps)]);
        received = ipc::reply_recv(endpoint, answer);
    }
    let n = state.next;
    println!(
        "ipc_stress_server {me}: calls by badge 1, 2, 3: {}, {}, {}; {} capabilities received and deleted; {} problems",
        n[0], n[1], n[2], state.received_caps, state.problems
    );
    u32::from(state.problems != 0)
}
