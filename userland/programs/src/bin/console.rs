//! The console server: COM1 driven from user space. init starts it in every system and gives
//! every other process a badged capability to its endpoint, through which `println!` writes
//! (see `tryst::console` for the protocol). It holds the UART's eight I/O ports and its
//! interrupt line (IRQ 4). Input is interrupt-driven: the line signals a notification bound to
//! the server's thread, so interrupts reach it while it waits for requests; it reads what
//! arrived, echoes it, and acknowledges the line.
//!
//! Boot capabilities: its endpoint (unbadged: init's; clients' copies carry badges), the
//! IrqHandler for line 4, ports 0x3f8–0x3ff. It prints its own lines through the kernel's
//! debug output, as it has no console to ask.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot};
use tryst::abi::BindMode;
use tryst::console::{pack, unpack, MAX_TEXT, READ_LINE, STOP, WRITE};
use tryst::ipc::{self, Event, MessageExt};
use tryst::{caps, device, notify, println, Error, Message, Slot};

tryst::entry!(main);

const COM1: u16 = 0x3f8;
// UART registers, from COM1.
const DATA: u16 = 0;
const INTERRUPT_ENABLE: u16 = 1;
const FIFO_CONTROL: u16 = 2;
const MODEM_CONTROL: u16 = 4;
const LINE_STATUS: u16 = 5;
// Line status bits.
const DATA_READY: u8 = 1 << 0;
const TRANSMIT_EMPTY: u8 = 1 << 5;
/// The transmit FIFO's depth: this many bytes may follow each "transmitter empty".
const FIFO_BYTES: usize = 16;

/// The UART, through the server's port capability.
struct Uart {
    ports: Slot,
}

impl Uart {
    fn status(&self) -> Result<u8, Error> {
        device::read_u8(self.ports, COM1 + LINE_STATUS)
    }

    /// Writes `bytes`, each `\n` as `\r\n` for terminals.
    fn write(&self, bytes: &[u8]) -> Result<(), Error> {
        let mut room = 0;
        for &byte in bytes {
            if byte == b'\n' {
                self.put(b'\r', &mut room)?;
            }
            self.put(byte, &mut room)?;
        }
        Ok(())
    }

    /// Writes one byte, first waiting for the FIFO to empty when the last wait's room is used.
    fn put(&self, byte: u8, room: &mut usize) -> Result<(), Error> {
        if *room == 0 {
            while self.status()? & TRANSMIT_EMPTY == 0 {}
            *room = FIFO_BYTES;
        }
        *room -= 1;
        device::write_u8(self.ports, COM1 + DATA, byte)
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
                let _ = uart.write(b"\n");
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

fn serve() -> Result<(), Error> {
    let (endpoint, irq, ports) = (boot_endpoint(0), boot_endpoint(1), boot_endpoint(2));
    let boot = tryst::boot_info();
    // The interrupt's notification; where a reader's notification arrives; the waiting
    // reader's notification.
    let (irq_ntfn, arrival, reader) =
        (slot(boot.first_free_slot), slot(boot.first_free_slot + 1), slot(boot.first_free_slot + 2));
    caps::create_notification(slot(boot.memory_slot), irq_ntfn)?;
    let uart = Uart { ports };
    notify::bind(slot(boot.thread_slot), irq_ntfn, BindMode::Receive)?;
    device::irq_set_notification(irq, irq_ntfn)?;
    // FIFOs on; interrupt when data arrives; OUT2 (with DTR and RTS) connects the UART's
    // interrupt to the PIC.
    device::write_u8(ports, COM1 + FIFO_CONTROL, 0x01)?;
    device::write_u8(ports, COM1 + INTERRUPT_ENABLE, 0x01)?;
    device::write_u8(ports, COM1 + MODEM_CONTROL, 0x0b)?;
    println!("console: driving COM1 from user space, input on IRQ 4");
    let mut input = Input { bytes: [0; MAX_TEXT], len: 0, complete: false };
    uart.read_available(|byte| input.take(byte, &uart))?;
    let mut text = [0u8; MAX_TEXT];
    let (mut writes, mut clients) = (0u64, 0u64);
    ipc::set_receive_slots(&[arrival]);
    loop {
        let (badge, message) = match ipc::recv_event(endpoint)? {
            Event::Signal { .. } => {
                uart.read_available(|byte| input.take(byte, &uart))?;
                device::irq_ack(irq)?;
                // A reader waits for this line: tell it (the tell is once).
                if input.complete && notify::signal(reader).is_ok() {
                    let _ = caps::delete(reader);
                }
                continue;
            }
            Event::Message { badge, message } => (badge, message),
        };
        let arrived = message.info.caps > 0;
        match message.info.label {
            WRITE => {
                let len = unpack(&message, &mut text);
                uart.write(&text[..len])?;
                ipc::reply(Message::short(0, &[]))?;
                writes += 1;
                // Counts badges below 64 (init gives 1, 2, … and 63).
                clients |= u32::try_from(badge).ok().and_then(|b| 1u64.checked_shl(b)).unwrap_or(0);
            }
            READ_LINE if input.complete => {
                ipc::reply(pack(0, &input.bytes[..input.len]))?;
                (input.len, input.complete) = (0, false);
            }
            READ_LINE if arrived => {
                // The latest reader is the one told.
                let _ = caps::delete(reader);
                caps::move_cap(arrival, reader)?;
                ipc::reply(Message::short(u64::from(Error::WouldBlock), &[]))?;
            }
            STOP if badge == 0 => {
                let (clients, s) = (clients.count_ones(), if clients.count_ones() == 1 { "" } else { "s" });
                println!("console: stopped by init after {writes} writes from {clients} client{s}");
                ipc::reply(Message::short(0, &[]))?;
                return Ok(());
            }
            _ => ipc::reply(Message::short(u64::from(Error::InvalidArgument), &[]))?,
        }
        // Only a waiting reader's notification is kept (moved to `reader` above).
        if arrived {
            let _ = caps::delete(arrival);
        }
    }
}
