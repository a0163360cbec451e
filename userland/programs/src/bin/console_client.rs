//! `irq_to_user_driver`: a client of the console server. It asks for a line, which the test
//! types into QEMU's serial port; the server's interrupt handling collects it and answers.
//! The client prints it and writes a line back through the server.
//!
//! It also checks what a driver's capabilities do not allow, with the IoPort capability to
//! COM2's eight ports it was given (first boot capability): each is refused with an error.
//! Exits 0 when every check holds.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot, Checks};
use tryst::console::{self, MAX_TEXT};
use tryst::{device, Error, Slot};

tryst::entry!(main);

const COM2: u16 = 0x2f8;

fn main(_: u64) -> u32 {
    let mut checks = Checks::new("console_client");
    refusals(&mut checks, boot_endpoint(0));
    let Some(server) = console::endpoint() else {
        checks.note(format_args!("FAILED: no console server"));
        return 1;
    };
    let line_ready = slot(tryst::boot_info().first_free_slot + 4);
    let made = tryst::caps::create_notification(slot(tryst::boot_info().memory_slot), line_ready);
    checks.ok("make a notification for the line", made);
    checks.note(format_args!("waiting for a line typed on the console"));
    let mut line = [0u8; MAX_TEXT];
    if let Some(len) = checks.ok("read a line", console::read_line(server, line_ready, &mut line)) {
        let text = core::str::from_utf8(&line[..len]).unwrap_or("(not UTF-8)");
        checks.note(format_args!("got the line '{text}' through the console server"));
    }
    let written = console::write(server, b"console_client: written by the console server\n");
    checks.ok("write through the server", written);
    checks.error("stop the server (only init may)", console::stop(server), Error::InvalidArgument);
    checks.finish()
}

/// What a driver's capabilities do not allow, each refused with an error.
fn refusals(checks: &mut Checks, ports: Slot) {
    checks.error("read a port below its range", device::read_u8(ports, COM2 - 1), Error::MissingRights);
    checks.error("write the kernel's PIC", device::write_u8(ports, 0x20, 0xff), Error::MissingRights);
    checks.error("acknowledge a line it does not hold", device::irq_ack(ports), Error::WrongType);
    let issue = device::io_ports(ports, COM2, 16, slot(tryst::boot_info().first_free_slot));
    checks.error("widen its port range", issue, Error::MissingRights);
    checks.ok("read its own port", device::read_u8(ports, COM2 + 5));
}
