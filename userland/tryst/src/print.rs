//! `print!` and `println!`: through the console server when the process was given one (see
//! [`crate::console`]), otherwise (init, and the console server itself) through the kernel's
//! debug output. Each call is one message (up to the buffer size), so lines from different
//! processes never interleave mid-line. A console server that fails the write (it has
//! stopped) does not lose the text: it goes to the debug output instead.

use core::fmt::{self, Write};

use crate::console;

const BUFFER: usize = console::MAX_TEXT;

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
            let text = &self.buffer[..self.len];
            if console::endpoint().is_none_or(|server| console::write(server, text).is_err()) {
                // Printing is best effort: a failure here has nowhere better to be reported.
                let _ = crate::debug_write(text);
            }
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

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::print::print_args(format_args!($($arg)*)) };
}

/// Prints a line to the console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::print!("{}\n", format_args!($($arg)*)) };
}
