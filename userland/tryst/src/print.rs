//! `print!` and `println!` over the debug console. Each call is one `debug_write` (up to the
//! buffer size), so lines from different processes never interleave mid-line.

use core::fmt::{self, Write};

const BUFFER: usize = 512;

/// Collects formatted text and writes it in as few system calls as it can.
pub struct LineWriter {
    buffer: [u8; BUFFER],
    len: usize,
}

impl LineWriter {
    /// An empty writer.
    pub const fn new() -> Self {
        LineWriter { buffer: [0; BUFFER], len: 0 }
    }

    /// Writes out what has been collected.
    pub fn flush(&mut self) {
        if self.len > 0 {
            // Printing is best effort: a failure here has nowhere better to be reported.
            let _ = crate::debug_write(&self.buffer[..self.len]);
            self.len = 0;
        }
    }
}

impl Default for LineWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl Write for LineWriter {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for chunk in text.as_bytes().chunks(BUFFER) {
            if self.len + chunk.len() > BUFFER {
                self.flush();
            }
            self.buffer[self.len..self.len + chunk.len()].copy_from_slice(chunk);
            self.len += chunk.len();
        }
        Ok(())
    }
}

#[doc(hidden)]
pub fn print_args(args: fmt::Arguments) {
    let mut writer = LineWriter::new();
    let _ = writer.write_fmt(args);
    writer.flush();
}

/// Prints to the debug console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::print::print_args(format_args!($($arg)*)) };
}

/// Prints a line to the debug console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::print!("{}\n", format_args!($($arg)*)) };
}
