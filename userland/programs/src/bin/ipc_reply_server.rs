//! The server of `caller_dies_reply_fails_cleanly`, on its first endpoint; the killer is on
//! its second. In order, it checks that:
//! 1. `reply` and `reply_recv` with no call to answer fail with `NoReply`;
//! 2. when the caller with badge 1 is destroyed while the server holds its call, `reply`
//!    fails with `PeerGone`, and a second `reply` with `NoReply` (the right was used up);
//! 3. when the caller with badge 2 is destroyed likewise, `reply_recv` fails with `PeerGone`
//!    and does not receive: the call of badge 3, queued meanwhile, is still there for `nb_recv`;
//! 4. a fresh `recv` (taking the call of badge 4) ends the unanswered call of badge 3, whose
//!    caller gets `PeerGone`; and badge 4 is answered normally.
#![no_std]
#![no_main]

use core::fmt::Debug;

use tryst::ipc::{self, MessageExt};
use tryst::{println, Error, Message, Slot};

tryst::entry!(main);

/// Ticks it holds the second call, so that the callers with badges 3 and 4 queue meanwhile.
const HOLD: u64 = 2;

/// Counts the checks that did not go as expected.
struct Checks {
    failures: u32,
}

impl Checks {
    fn expect<T: PartialEq + Debug>(&mut self, what: &str, result: T, expected: T) {
        if result == expected {
            println!("ipc_reply_server: {what}: {result:?}, as expected");
        } else {
            println!("ipc_reply_server: {what}: {result:?}, expected {expected:?} (FAILED)");
            self.failures += 1;
        }
    }
}

/// The badge of a received message, or the error.
fn badge(received: Result<(u64, Message), Error>) -> Result<u64, Error> {
    received.map(|(badge, _)| badge)
}

/// Has the killer destroy the caller with `badge` and waits until it has.
fn have_destroyed(killer: Slot, badge: u64) -> Result<(), Error> {
    println!("ipc_reply_server: holding the call of badge {badge}; having its caller destroyed");
    ipc::call(killer, Message::short(badge, &[])).map(drop)
}

fn main(_: u64) -> u32 {
    let info = tryst::boot_info();
    let service = Slot::new(info.endpoints[0]).expect("boot endpoint slot");
    let killer = Slot::new(info.endpoints[1]).expect("boot endpoint slot");
    let answer = |badge: u64| Message::short(badge, &[]);
    let mut checks = Checks { failures: 0 };

    checks.expect("reply with no call to answer", ipc::reply(answer(0)), Err(Error::NoReply));
    checks.expect(
        "reply_recv with no call to answer",
        badge(ipc::reply_recv(service, answer(0))),
        Err(Error::NoReply),
    );

    checks.expect("recv", badge(ipc::recv(service)), Ok(1));
    checks.expect("the killer", have_destroyed(killer, 1), Ok(()));
    checks.expect("reply to the destroyed caller", ipc::reply(answer(1)), Err(Error::PeerGone));
    checks.expect("reply again", ipc::reply(answer(1)), Err(Error::NoReply));

    checks.expect("recv", badge(ipc::recv(service)), Ok(2));
    let _ = tryst::sleep(HOLD);
    checks.expect("the killer", have_destroyed(killer, 2), Ok(()));
    let failed = badge(ipc::reply_recv(service, answer(2)));
    checks.expect("reply_recv to the destroyed caller", failed, Err(Error::PeerGone));
    checks.expect("nb_recv after it (the queued call is still there)", badge(ipc::nb_recv(service)), Ok(3));

    println!("ipc_reply_server: holding the call of badge 3; receiving again without answering it");
    checks.expect("recv", badge(ipc::recv(service)), Ok(4));
    checks.expect("reply to badge 4", ipc::reply(answer(4)), Ok(()));
    if checks.failures == 0 {
        println!("ipc_reply_server: every check passed");
        0
    } else {
        1
    }
}
