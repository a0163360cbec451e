//! A client of `notify_bound`: one call through its first boot capability, label 7, word 41;
//! the answer must be label 8, word 42.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, Checks};
use tryst::ipc::{self, MessageExt};
use tryst::Message;

tryst::entry!(main);

fn main(_: u64) -> u32 {
    let mut checks = Checks::new("notify_client");
    let answer = ipc::call(boot_endpoint(0), Message::short(7, &[41]));
    checks.equal("the answer", answer.map(|m| (m.info.label, m.words[0])), Ok((8, 42)));
    checks.finish()
}
