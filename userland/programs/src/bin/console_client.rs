//! `irq_to_user_driver`: a client of the console driver (first boot capability). It asks for
//! a line, which the test types into QEMU's serial port; the driver's interrupt handling
//! collects it and answers. The client prints it, writes a line back through the driver, and
//! stops the driver. Exits 0 when every check holds.
#![no_std]
#![no_main]

mod caps_common;
mod console_common;

use caps_common::{boot_endpoint, Checks};
use console_common::{unpack, MAX_TEXT, READ_LINE, STOP};
use tryst::ipc::{self, MessageExt};
use tryst::Message;

tryst::entry!(main);

fn main(_: u64) -> u32 {
    let mut checks = Checks::new("console_client");
    let console = boot_endpoint(0);
    checks.note(format_args!("waiting for a line typed on the console"));
    let mut line = [0u8; MAX_TEXT];
    if let Some(answer) = checks.ok("read a line", ipc::call(console, Message::short(READ_LINE, &[]))) {
        let len = unpack(&answer, &mut line);
        let text = core::str::from_utf8(&line[..len]).unwrap_or("(not UTF-8)");
        checks.note(format_args!("got the line '{text}' through the console driver"));
    }
    checks.ok(
        "write through the driver",
        console_common::write(console, "console_client: written by the console driver\r\n"),
    );
    checks.ok("stop the driver", ipc::call(console, Message::short(STOP, &[])).map(drop));
    checks.finish()
}
