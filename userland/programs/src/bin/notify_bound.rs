//! `bound_notification_wakes_recv`: a server binds its notification (second boot capability)
//! to its thread and serves its endpoint (first boot capability). While it waits in `recv`,
//! a client's call arrives as a message and a signaller's signal as a signal, each told apart
//! by `recv_event`; a signal pending before it receives comes back at once. Exits 0 when
//! every check holds.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot, Checks, Hex};
use tryst::abi::BindMode;
use tryst::ipc::{self, Event, MessageExt};
use tryst::{notify, Message};

tryst::entry!(main);

fn main(_: u64) -> u32 {
    let mut checks = Checks::new("notify_bound");
    let (endpoint, ntfn) = (boot_endpoint(0), boot_endpoint(1));
    let me = slot(tryst::boot_info().thread_slot);
    checks.ok("bind the notification to this thread", notify::bind(me, ntfn, BindMode::Receive));
    checks.note(format_args!("receiving"));
    let mut messages = 0;
    let mut signals = 0;
    while messages < 1 || signals < 1 {
        match ipc::recv_event(endpoint) {
            Ok(Event::Message { badge, message }) => {
                messages += 1;
                checks.equal("a message, label", message.info.label, 7);
                checks.equal("its badge", Hex(badge), Hex(0xc));
                checks.ok("answer it", ipc::reply(Message::short(8, &[message.words[0] + 1])));
            }
            Ok(Event::Signal { bits }) => {
                signals += 1;
                checks.equal("a signal while receiving, bits", Hex(bits), Hex(0x10));
            }
            Err(error) => {
                checks.fail("recv_event", format_args!("{error:?}"));
                break;
            }
        }
    }
    // A signal already pending when it receives.
    let own = slot(tryst::boot_info().first_free_slot);
    checks.ok("mint a signalling copy", tryst::caps::mint(ntfn, own, tryst::Rights::WRITE, 0x2));
    checks.ok("signal it", notify::signal(own));
    let event = ipc::recv_event(endpoint);
    checks.equal("a pending signal ends recv at once", event, Ok(Event::Signal { bits: 0x2 }));
    checks.ok("unbind", notify::unbind(me));
    checks.finish()
}
