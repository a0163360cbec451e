//! The boundary between the portable kernel and the hardware: the one trait the kernel crate
//! implements and `ipc-core` drives (a mock implements it for the host tests).

use crate::abi::Error;
use crate::thread::ThreadId;

/// What the semantics need from the machine underneath.
pub trait Machine {
    /// Copies `buf.len()` bytes of `thread`'s memory at user address `addr` into `buf`.
    /// Fails with [`Error::BadAddress`] unless every byte is mapped and user-readable;
    /// `buf` may then hold garbage, but nothing else has changed.
    fn read_user(&mut self, thread: ThreadId, addr: u64, buf: &mut [u8]) -> Result<(), Error>;

    /// Writes bytes to the kernel's debug console.
    fn console_write(&mut self, bytes: &[u8]);

    /// Sets the result a thread sees when it next returns from its system call: `Ok(value)`
    /// puts 0 in the status slot and `value` in `val0`; `Err(error)` puts the error code in
    /// the status slot.
    fn set_result(&mut self, thread: ThreadId, result: Result<u64, Error>);

    /// The thread is gone for good: release its address space and arch state.
    fn release(&mut self, thread: ThreadId);
}

/// `core::fmt` over the debug console, for the kernel's one-line reports.
pub(crate) struct Console<'a, M: Machine>(pub &'a mut M);

impl<M: Machine> core::fmt::Write for Console<'_, M> {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        self.0.console_write(text.as_bytes());
        Ok(())
    }
}
