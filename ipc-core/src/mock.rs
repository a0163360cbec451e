//! A mock machine for the host tests: flat per-thread memory, per-thread registers and IPC
//! buffers, and a console that is just a string.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use crate::abi::{Error, IpcBuffer, Rights, Syscall, ARG_SLOTS, VALUE_SLOTS};
use crate::machine::Interrupted;
use crate::thread::AstHandler;
use crate::{AfterSyscall, Kernel, Machine, ThreadId};

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
    /// The number of each thread's last system call.
    pub numbers: HashMap<usize, u64>,
    pub ipc: HashMap<usize, [u64; IpcBuffer::WORDS]>,
    pub released: Vec<ThreadId>,
    /// Per thread: the address-space root and IPC-buffer page `thread_configure` gave it.
    pub thread_spaces: HashMap<usize, (u64, u64)>,
    /// Per thread: the (ip, sp, argument) `thread_start` gave it.
    pub entries: HashMap<usize, (u64, u64, u64)>,
    /// Pages handed out and not yet freed (address-space roots included).
    pub pages: HashSet<u64>,
    /// How many pages may still be handed out (`None`: no limit).
    pub pages_left: Option<usize>,
    next_page: u64,
    /// Per address-space root: its mappings and the page tables it has.
    pub spaces: HashMap<u64, MockSpace>,
    /// Every AST handler started: the thread, its handler, the bits and what it interrupted.
    pub asts: Vec<(ThreadId, AstHandler, u64, Interrupted)>,
    /// Every `ast_return` that restored a context.
    pub ast_returns: Vec<ThreadId>,
    /// Interrupt lines unmasked now.
    pub unmasked: HashSet<u8>,
    /// Every port access: (port, width, value written or `None` for a read).
    pub port_log: Vec<(u16, u8, Option<u32>)>,
    /// `interrupt_pending` answers yes from this many questions on (`None`: never).
    pub interrupt_after: Option<u32>,
    /// Every thread made to restart its system call, in order.
    pub restarted: Vec<ThreadId>,
}

/// An address space on the mock machine.
#[derive(Default)]
pub struct MockSpace {
    /// Page address → (physical page, rights).
    pub mapped: BTreeMap<u64, (u64, Rights)>,
    /// The lower-level tables present, as (level, the address bits above that level).
    pub tables: HashSet<(u8, u64)>,
}

impl MockSpace {
    /// The tables a mapping at `vaddr` needs that are not there yet.
    fn missing_tables(&self, vaddr: u64) -> Vec<(u8, u64)> {
        [(3, vaddr >> 39), (2, vaddr >> 30), (1, vaddr >> 21)]
            .into_iter()
            .filter(|t| !self.tables.contains(t))
            .collect()
    }
}

impl Mock {
    /// Makes `call` as the current thread, recording its arguments as its registers.
    pub fn call(&mut self, kernel: &mut Kernel, call: Syscall) -> AfterSyscall {
        let (number, args) = call.encode();
        self.raw(kernel, number, args)
    }

    /// Makes a raw system call as the current thread. When the kernel names the thread to
    /// resume (the kernel entry then skips the scheduler), checks that the scheduler would
    /// have chosen it: asking it then changes nothing.
    pub fn raw(&mut self, kernel: &mut Kernel, number: u64, args: [u64; ARG_SLOTS]) -> AfterSyscall {
        let caller = kernel.current();
        if let Some(current) = caller {
            self.args.insert(current.index(), args);
            self.numbers.insert(current.index(), number);
            self.results.remove(&current.index());
        }
        let after = kernel.syscall(self);
        if let AfterSyscall::Caller(next) = after {
            assert_eq!(Some(next), caller, "Caller names another thread");
        }
        if let AfterSyscall::Caller(next) | AfterSyscall::Switch(next) = after {
            assert_eq!(kernel.schedule(), Some(next), "{after:?} is not what the scheduler chooses");
        }
        after
    }

    /// A new empty address space, as the kernel crate makes one for a boot process.
    pub fn create_space_for_test(&mut self) -> u64 {
        self.create_space().expect("pages for the root")
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
    fn syscall_number(&self, thread: ThreadId) -> u64 {
        self.numbers.get(&thread.index()).copied().unwrap_or(u64::MAX)
    }
    fn read_ipc_buffer(&mut self, thread: ThreadId, offset: usize, words: &mut [u64]) {
        let buffer = self.buffer(thread);
        words.copy_from_slice(&buffer[offset..offset + words.len()]);
    }
    fn copy_ipc_words(&mut self, from: ThreadId, to: ThreadId, range: Range<usize>) {
        let source = *self.buffer(from);
        self.buffer(to)[range.clone()].copy_from_slice(&source[range]);
    }
    fn set_thread_space(&mut self, thread: ThreadId, root: u64, ipc_buffer: u64) {
        self.thread_spaces.insert(thread.index(), (root, ipc_buffer));
    }
    fn set_thread_entry(&mut self, thread: ThreadId, ip: u64, sp: u64, argument: u64) {
        self.entries.insert(thread.index(), (ip, sp, argument));
    }
    fn enter_ast(&mut self, thread: ThreadId, handler: AstHandler, bits: u64, interrupted: Interrupted) {
        self.asts.push((thread, handler, bits, interrupted));
    }
    fn leave_ast(&mut self, thread: ThreadId) {
        self.ast_returns.push(thread);
    }
    fn mask_irq(&mut self, line: u8) {
        self.unmasked.remove(&line);
    }
    fn unmask_irq(&mut self, line: u8) {
        self.unmasked.insert(line);
    }
    fn port_in(&mut self, port: u16, width: u8) -> u32 {
        self.port_log.push((port, width, None));
        u32::from(port) * 2
    }
    fn port_out(&mut self, port: u16, width: u8, value: u32) {
        self.port_log.push((port, width, Some(value)));
    }
    fn interrupt_pending(&mut self) -> bool {
        match &mut self.interrupt_after {
            Some(0) => true,
            Some(n) => {
                *n -= 1;
                false
            }
            None => false,
        }
    }
    fn restart_syscall(&mut self, thread: ThreadId) {
        self.restarted.push(thread);
    }
    fn release(&mut self, thread: ThreadId) {
        self.released.push(thread);
        self.thread_spaces.remove(&thread.index());
        self.entries.remove(&thread.index());
        self.ipc.remove(&thread.index());
        self.args.remove(&thread.index());
        self.numbers.remove(&thread.index());
    }
    fn allocate_page(&mut self) -> Option<u64> {
        if let Some(left) = &mut self.pages_left {
            *left = left.checked_sub(1)?;
        }
        self.next_page += 4096;
        let page = 0x10_0000 + self.next_page;
        self.pages.insert(page);
        Some(page)
    }
    fn free_page(&mut self, page: u64) {
        assert!(self.pages.remove(&page), "freeing page {page:#x}, which is not allocated");
        assert!(
            !self.spaces.values().any(|s| s.mapped.values().any(|&(p, _)| p == page)),
            "freeing page {page:#x} while it is still mapped"
        );
        if let Some(left) = &mut self.pages_left {
            *left += 1;
        }
    }
    fn create_space(&mut self) -> Option<u64> {
        let root = self.allocate_page()?;
        self.spaces.insert(root, MockSpace::default());
        Some(root)
    }
    fn destroy_space(&mut self, root: u64) {
        // The mock's page tables are bookkeeping, not pages; boot spaces' roots were never
        // allocated either.
        self.spaces.remove(&root);
        if self.pages.contains(&root) {
            self.free_page(root);
        }
    }
    fn map_page(
        &mut self,
        root: u64,
        vaddr: u64,
        page: u64,
        rights: Rights,
        max_tables: u32,
    ) -> Result<u32, Error> {
        assert!(self.pages.contains(&page), "mapping page {page:#x}, which is not allocated");
        let space = self.spaces.entry(root).or_default();
        if space.mapped.contains_key(&vaddr) {
            return Err(Error::AlreadyMapped);
        }
        let missing = space.missing_tables(vaddr);
        if missing.len() > max_tables as usize {
            return Err(Error::OutOfMemory);
        }
        space.tables.extend(missing.iter().copied());
        space.mapped.insert(vaddr, (page, rights));
        Ok(missing.len() as u32)
    }
    fn unmap_page(&mut self, root: u64, vaddr: u64) {
        let space = self.spaces.get_mut(&root).expect("unmapping in an unknown address space");
        assert!(space.mapped.remove(&vaddr).is_some(), "unmapping {vaddr:#x}, which is not mapped");
    }
}
