//! The kernel's own console on COM1: boot messages, reports, panics, and (for now) the debug
//! output of user processes.

use core::fmt::{self, Write};

use spin::Mutex;
use uart_16550::backend::PioBackend;
use uart_16550::{Config, Uart16550};

const COM1: u16 = 0x3f8;

static PORT: Mutex<Option<Uart16550<PioBackend>>> = Mutex::new(None);

/// Programs COM1 (115200 8N1). Output before this is dropped.
pub fn init() {
    // SAFETY: 0x3f8 is COM1 on every PC-compatible machine, and only this module touches it.
    let port = unsafe { Uart16550::new_port(COM1) };
    if let Ok(mut uart) = port {
        if uart.init(Config::default()).is_ok() {
            *PORT.lock() = Some(uart);
        }
    }
}

/// Writes bytes, turning `\n` into `\r\n` for terminals.
pub fn write_bytes(bytes: &[u8]) {
    let mut port = PORT.lock();
    let Some(uart) = port.as_mut() else { return };
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        match line.split_last() {
            Some((b'\n', text)) => {
                uart.send_bytes_exact(text);
                uart.send_bytes_exact(b"\r\n");
            }
            _ => uart.send_bytes_exact(line),
        }
    }
}

/// Releases the console lock whatever its state: only the panic path uses this, when the
/// panicking code may have held it.
pub fn force_unlock() {
    // SAFETY: called only on the panic path, where the kernel never returns to the code that
    // held the lock; single CPU, interrupts disabled.
    unsafe { PORT.force_unlock() };
}

struct Console;

impl Write for Console {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        write_bytes(text.as_bytes());
        Ok(())
    }
}

#[doc(hidden)]
pub fn print_args(args: fmt::Arguments) {
    let _ = Console.write_fmt(args);
}

/// Prints to the kernel console.
#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => { $crate::serial::print_args(format_args!($($arg)*)) };
}

/// Prints a line to the kernel console.
#[macro_export]
macro_rules! kprintln {
    () => { $crate::kprint!("\n") };
    ($($arg:tt)*) => { $crate::kprint!("{}\n", format_args!($($arg)*)) };
}
