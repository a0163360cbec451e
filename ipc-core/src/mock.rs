//! A mock machine for the host tests: flat per-thread memory, per-thread registers and IPC
//! buffers, and a console that is just a string.

use std::collections::HashMap;
use std::ops::Range;

use crate::abi::{Error, IpcBuffer, Syscall, ARG_SLOTS, VALUE_SLOTS};
use crate::{Kernel, Machine, ThreadId};

#[derive(Default)]
pub struct Mock {
    /// Per thread: the base address and bytes of its one readable region.
    pub memory: HashMap<usize, (u64, Vec<u8>)>,
    pub console: String,
    /// Per thread: the status of its last system call, with `val0` on success.
    pub results: HashMap<usize, Result<u64, Error>>,
    /// Per thread: all value slots of its last successful call that set them.
    pub values: HashMap<usize, [u64; VALUE_SLOTS]>,
    /// Per thread: the arguments of its last system call.
    pub args: HashMap<usize, [u64; ARG_SLOTS]>,
    pub ipc: HashMap<usize, [u64; IpcBuffer::WORDS]>,
    pub released: Vec<ThreadId>,
}

impl Mock {
    /// Makes `call` as the current thread, recording its arguments as its registers.
    pub fn call(&mut self, kernel: &mut Kernel, call: Syscall) {
        let (number, args) = call.encode();
        self.raw(kernel, number, args);
    }

    /// Makes a raw system call as the current thread.
    pub fn raw(&mut self, kernel: &mut Kernel, number: u64, args: [u64; ARG_SLOTS]) {
        if let Some(current) = kernel.current() {
            self.args.insert(current.index(), args);
            self.results.remove(&current.index());
        }
        kernel.syscall(self, number, args);
    }

    /// `thread`'s IPC buffer, for writing.
    pub fn buffer(&mut self, thread: ThreadId) -> &mut [u64; IpcBuffer::WORDS] {
        self.ipc.entry(thread.index()).or_insert([0; IpcBuffer::WORDS])
    }
}

impl Machine for Mock {
    fn read_user(&mut self, thread: ThreadId, addr: u64, buf: &mut [u8]) -> Result<(), Error> {
        let (base, bytes) = self.memory.get(&thread.index()).ok_or(Error::BadAddress)?;
        let start = addr.checked_sub(*base).ok_or(Error::BadAddress)? as usize;
        let source = bytes.get(start..start + buf.len()).ok_or(Error::BadAddress)?;
        buf.copy_from_slice(source);
        Ok(())
    }
    fn console_write(&mut self, bytes: &[u8]) {
        self.console.push_str(std::str::from_utf8(bytes).unwrap());
    }
    fn set_result(&mut self, thread: ThreadId, result: Result<u64, Error>) {
        self.results.insert(thread.index(), result);
    }
    fn set_values(&mut self, thread: ThreadId, values: [u64; VALUE_SLOTS]) {
        self.results.insert(thread.index(), Ok(values[0]));
        self.values.insert(thread.index(), values);
    }
    fn arguments(&self, thread: ThreadId) -> [u64; ARG_SLOTS] {
        self.args.get(&thread.index()).copied().unwrap_or_default()
    }
    fn read_ipc_buffer(&mut self, thread: ThreadId, offset: usize, words: &mut [u64]) {
        let buffer = self.buffer(thread);
        words.copy_from_slice(&buffer[offset..offset + words.len()]);
    }
    fn copy_ipc_words(&mut self, from: ThreadId, to: ThreadId, range: Range<usize>) {
        let source = *self.buffer(from);
        self.buffer(to)[range.clone()].copy_from_slice(&source[range]);
    }
    fn release(&mut self, thread: ThreadId) {
        self.released.push(thread);
        self.ipc.remove(&thread.index());
        self.args.remove(&thread.index());
    }
}
