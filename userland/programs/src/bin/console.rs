//! The console driver: COM1 from user space. It holds the UART's eight I/O ports and its
//! interrupt line (IRQ 4) and serves its endpoint (first boot capability): clients write text
//! and read typed lines (see `console_common`). Input is interrupt-driven: the line signals
//! the driver's notification (second boot capability), bound to its thread so that interrupts
//! reach it while it waits for requests; it reads what arrived, echoes it, and acknowledges
//! the line. Boot capabilities: endpoint, notification, IrqHandler (line 4), ports 0x3f8–0x3ff.
#![no_std]
#![no_main]

mod caps_common;
mod console_common;

use caps_common::{boot_endpoint, slot, Checks};
use console_common::{pack, unpack, MAX_TEXT, READ_LINE, STOP, WRITE};
use tryst::abi::BindMode;
use tryst::ipc::{self, Event, MessageExt};
use tryst::{device, notify, println, Error, Message, Slot};

tryst::entry!(main);

const COM1: u16 = 0x3f8;
// UART registers, from COM1.
const DATA: u16 = 0;
const INTERRUPT_ENABLE: u16 = 1;
const MODEM_CONTROL: u16 = 4;
const LINE_STATUS: u16 = 5;
// Line status bits.
const DATA_READY: u8 = 1 << 0;
const TRANSMIT_EMPTY: u8 = 1 << 5;

/// The UART, through the driver's port capability.
struct Uart {
    ports: Slot,
}

impl Uart {
    fn status(&self) -> Result<u8, Error> {
        device::read_u8(self.ports, COM1 + LINE_STATUS)
    }

    fn write(&self, bytes: &[u8]) -> Result<(), Error> {
        for &byte in bytes {
            while self.status()? & TRANSMIT_EMPTY == 0 {}
            device::write_u8(self.ports, COM1 + DATA, byte)?;
        }
        Ok(())
    }

    /// Every byte waiting in the UART.
    fn read_available(&self, mut each: impl FnMut(u8)) -> Result<(), Error> {
        while self.status()? & DATA_READY != 0 {
            each(device::read_u8(self.ports, COM1 + DATA)?);
        }
        Ok(())
    }
}

/// Typed input: a line being typed, and whether it is complete.
struct Input {
    bytes: [u8; MAX_TEXT],
    len: usize,
    complete: bool,
}

impl Input {
    /// Takes one typed byte, echoing it; a line ends at CR or LF.
    fn take(&mut self, byte: u8, uart: &Uart) {
        if self.complete {
            return; // the line waits for a reader; more typing waits in the UART
        }
        match byte {
            b'\r' | b'\n' => {
                self.complete = true;
                let _ = uart.write(b"\r\n");
            }
            _ if self.len < self.bytes.len() => {
                self.bytes[self.len] = byte;
                self.len += 1;
                let _ = uart.write(&[byte]);
            }
            _ => {}
        }
    }
}

fn main(_: u64) -> u32 {
    match serve() {
        Ok(()) => 0,
        Err(error) => {
            println!("console: FAILED: {error:?}");
            1
        }
    }
}

/// What the driver's capabilities do not allow, each refused with an error.
fn refusals(endpoint: Slot, ports: Slot) {
    let mut checks = Checks::new("console");
    checks.error("read a port below its range", device::read_u8(ports, COM1 - 1), Error::MissingRights);
    checks.error("write the kernel's PIC", device::write_u8(ports, 0x20, 0xff), Error::MissingRights);
    checks.error("acknowledge a line it does not hold", device::irq_ack(endpoint), Error::WrongType);
    let issue = device::io_ports(ports, COM1, 16, slot(tryst::boot_info().first_free_slot));
    checks.error("widen its port range", issue, Error::MissingRights);
}

fn serve() -> Result<(), Error> {
    let (endpoint, irq_ntfn, irq, ports) =
        (boot_endpoint(0), boot_endpoint(1), boot_endpoint(2), boot_endpoint(3));
    let uart = Uart { ports };
    refusals(endpoint, ports);
    notify::bind(slot(tryst::boot_info().thread_slot), irq_ntfn, BindMode::Receive)?;
    device::irq_set_notification(irq, irq_ntfn)?;
    // Interrupt when data arrives; OUT2 (with DTR and RTS) connects the UART's interrupt to the PIC.
    device::write_u8(ports, COM1 + INTERRUPT_ENABLE, 0x01)?;
    device::write_u8(ports, COM1 + MODEM_CONTROL, 0x0b)?;
    println!("console: driving COM1 from user space, input on IRQ 4");
    let mut input = Input { bytes: [0; MAX_TEXT], len: 0, complete: false };
    uart.read_available(|byte| input.take(byte, &uart))?;
    let mut text = [0u8; MAX_TEXT];
    loop {
        let message = match ipc::recv_event(endpoint)? {
            Event::Signal { .. } => {
                uart.read_available(|byte| input.take(byte, &uart))?;
                device::irq_ack(irq)?;
                continue;
            }
            Event::Message { message, .. } => message,
        };
        match message.info.label {
            WRITE => {
                let len = unpack(&message, &mut text);
                uart.write(&text[..len])?;
                ipc::reply(Message::short(0, &[]))?;
            }
            READ_LINE => {
                // The caller waits for its answer while the driver waits for the line.
                while !input.complete {
                    notify::wait(irq_ntfn)?;
                    uart.read_available(|byte| input.take(byte, &uart))?;
                    device::irq_ack(irq)?;
                }
                ipc::reply(pack(0, &input.bytes[..input.len]))?;
                (input.len, input.complete) = (0, false);
            }
            STOP => {
                ipc::reply(Message::short(0, &[]))?;
                return Ok(());
            }
            _ => ipc::reply(Message::short(u64::from(Error::InvalidArgument), &[]))?,
        }
    }
}
