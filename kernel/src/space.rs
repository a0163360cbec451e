//! User address spaces: their page tables, mapping user pages, reading user memory (through
//! the direct map, never through user addresses), and tearing everything down.
//!
//! TLB coherence: there is one CPU, no PCIDs, and user pages are never global, so loading
//! CR3 flushes every user translation. Only changes to the active space need an `invlpg`.

use ipc_core::abi::{Error, Rights, USER_END};
use ipc_core::frames::{FrameAllocator, FRAME_SIZE};
use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::mapper::TranslateResult;
use x86_64::structures::paging::{PageTable, PageTableFlags, PhysFrame, Translate};
use x86_64::{PhysAddr, VirtAddr};

use crate::memory::{self, allocate_zeroed_frame, phys_to_virt, KERNEL_PML4_FIRST};

/// Marks a page the address space owns (a page of init, which the kernel loads): freed with
/// the space. Pages of Frame objects are only borrowed, and stay when the space goes.
const OWNED_BY_SPACE: PageTableFlags = PageTableFlags::BIT_9;

/// One user address space: a PML4 whose lower half is private and whose upper half is the
/// kernel's.
pub struct AddressSpace {
    pml4: u64,
}

impl AddressSpace {
    /// The address space whose PML4 is at `root` (made by [`AddressSpace::new`]).
    pub fn at(root: u64) -> AddressSpace {
        AddressSpace { pml4: root }
    }

    /// The physical address of its PML4.
    pub fn root(&self) -> u64 {
        self.pml4
    }

    /// Whether this is the address space the CPU runs in. CR3 holds the root's address alone
    /// (no PCID, no flags: the kernel sets none), so it is compared as it is.
    #[inline(always)]
    fn is_active(&self) -> bool {
        let loaded: u64;
        // SAFETY: reading CR3 has no side effects.
        unsafe { core::arch::asm!("mov {}, cr3", out(reg) loaded, options(nomem, nostack, preserves_flags)) };
        loaded == self.pml4
    }

    /// Maps `page` at `vaddr` (page-aligned, user half) with `rights`, adding at most
    /// `max_tables` page tables; returns how many it added. Fails, changing nothing, with
    /// `AlreadyMapped` or `OutOfMemory` (see `Machine::map_page`).
    pub fn map_page(
        &mut self,
        frames: &mut FrameAllocator,
        vaddr: u64,
        page: u64,
        rights: Rights,
        max_tables: u32,
    ) -> Result<u32, Error> {
        self.map_with_flags(frames, vaddr, page, leaf_flags(rights), max_tables)
    }

    /// [`AddressSpace::map_page`] with the last-level entry's flags given.
    fn map_with_flags(
        &mut self,
        frames: &mut FrameAllocator,
        vaddr: u64,
        page: u64,
        flags: PageTableFlags,
        max_tables: u32,
    ) -> Result<u32, Error> {
        if !vaddr.is_multiple_of(FRAME_SIZE) || vaddr >= USER_END {
            return Err(Error::BadAddress);
        }
        let index = |level| table_index(vaddr, level);
        // First look: which tables are missing, and is the page free?
        let mut table = self.pml4;
        let mut missing = 0;
        for level in (1..=3).rev() {
            // SAFETY: `table` is a page table of this address space, read through the direct map.
            let entry = &unsafe { table_at(table) }[index(level)];
            if !entry.flags().contains(PageTableFlags::PRESENT) {
                missing = level;
                break;
            }
            table = entry.addr().as_u64();
        }
        // SAFETY: as above; reached only when all three levels were present.
        if missing == 0 && unsafe { table_at(table) }[index(0)].flags().contains(PageTableFlags::PRESENT) {
            return Err(Error::AlreadyMapped);
        }
        if missing > max_tables {
            return Err(Error::OutOfMemory);
        }
        // Take every table needed before touching anything, so that failing changes nothing.
        let mut fresh = [0u64; 3];
        for n in 0..missing as usize {
            match allocate_zeroed_frame(frames) {
                Some(frame) => fresh[n] = frame,
                None => {
                    for &frame in &fresh[..n] {
                        let _ = frames.free(frame);
                    }
                    return Err(Error::OutOfMemory);
                }
            }
        }
        let parents = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::USER_ACCESSIBLE;
        let mut fresh = fresh[..missing as usize].iter();
        let mut table = self.pml4;
        for level in (1..=3).rev() {
            // SAFETY: `table` is a page table of this address space; nothing else references it
            // while the kernel runs (one CPU, interrupts off).
            let entry = &mut unsafe { table_at(table) }[index(level)];
            if !entry.flags().contains(PageTableFlags::PRESENT) {
                let Some(&new) = fresh.next() else { break };
                entry.set_addr(PhysAddr::new(new), parents);
            }
            table = entry.addr().as_u64();
        }
        // SAFETY: the last-level table of this address space, as above.
        let last = unsafe { table_at(table) };
        last[index(0)].set_addr(PhysAddr::new(page), flags);
        if self.is_active() {
            // Not-present entries may be cached too (as a "no translation" result).
            x86_64::instructions::tlb::flush(VirtAddr::new(vaddr));
        }
        Ok(missing)
    }

    /// Removes the page mapped at `vaddr`, if any, and flushes it from the TLB when this
    /// space is active (other spaces' stale entries went with their last CR3 load).
    pub fn unmap_page(&mut self, vaddr: u64) {
        let mut table = self.pml4;
        for level in (1..=3).rev() {
            // SAFETY: a page table of this address space, read through the direct map.
            let entry = &unsafe { table_at(table) }[table_index(vaddr, level)];
            if !entry.flags().contains(PageTableFlags::PRESENT) {
                return;
            }
            table = entry.addr().as_u64();
        }
        // SAFETY: the last-level table of this address space; nothing else references it.
        let last = unsafe { table_at(table) };
        last[table_index(vaddr, 0)].set_unused();
        if self.is_active() {
            x86_64::instructions::tlb::flush(VirtAddr::new(vaddr));
        }
    }
    /// A new address space with nothing mapped in the user half.
    pub fn new(frames: &mut FrameAllocator) -> Result<AddressSpace, Error> {
        let pml4 = allocate_zeroed_frame(frames).ok_or(Error::OutOfMemory)?;
        // SAFETY: both are live PML4 frames reached through the direct map; the new one is ours
        // alone, and the kernel's is only read.
        unsafe {
            let new = &mut *(phys_to_virt(pml4) as *mut PageTable);
            let kernel = &*(phys_to_virt(memory::kernel_pml4()) as *const PageTable);
            for slot in KERNEL_PML4_FIRST..512 {
                new[slot] = kernel[slot].clone();
            }
        }
        Ok(AddressSpace { pml4 })
    }

    /// Maps a fresh zeroed frame, owned by this space (freed with it), at `vaddr`
    /// (page-aligned) with `rights`, and returns the frame's physical address.
    pub fn map_new_page(
        &mut self,
        frames: &mut FrameAllocator,
        vaddr: u64,
        rights: Rights,
    ) -> Result<u64, Error> {
        let frame = allocate_zeroed_frame(frames).ok_or(Error::OutOfMemory)?;
        match self.map_with_flags(frames, vaddr, frame, leaf_flags(rights) | OWNED_BY_SPACE, u32::MAX) {
            Ok(_) => Ok(frame),
            Err(error) => {
                let _ = frames.free(frame);
                Err(error)
            }
        }
    }

    /// Copies user memory at `addr` into `buf`, checking that every byte is in a present,
    /// user-accessible page. Reads go through the direct map, so SMAP stays on throughout.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), Error> {
        let end = addr.checked_add(buf.len() as u64).ok_or(Error::BadAddress)?;
        if end > USER_END {
            return Err(Error::BadAddress);
        }
        // SAFETY: this address space owns its PML4; translation only reads the tables.
        let tables = unsafe { memory::mapper(self.pml4) };
        let mut done = 0;
        while done < buf.len() {
            let at = addr + done as u64;
            let TranslateResult::Mapped { frame, offset, flags } = tables.translate(VirtAddr::new(at)) else {
                return Err(Error::BadAddress);
            };
            if !flags.contains(PageTableFlags::PRESENT | PageTableFlags::USER_ACCESSIBLE) {
                return Err(Error::BadAddress);
            }
            let physical = frame.start_address().as_u64() + offset;
            let in_page = (frame.size() - offset) as usize;
            let chunk = in_page.min(buf.len() - done);
            // SAFETY: `physical .. physical + chunk` lies inside one mapped user frame, reached
            // through the direct map; `buf` is kernel memory that does not overlap it.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    phys_to_virt(physical) as *const u8,
                    buf[done..].as_mut_ptr(),
                    chunk,
                )
            };
            done += chunk;
        }
        Ok(())
    }

    /// The physical address `vaddr` is mapped to, if it is.
    pub fn physical(&self, vaddr: u64) -> Option<u64> {
        // SAFETY: this address space owns its PML4; translation only reads the tables.
        let tables = unsafe { memory::mapper(self.pml4) };
        match tables.translate(VirtAddr::new(vaddr)) {
            TranslateResult::Mapped { frame, offset, .. } => Some(frame.start_address().as_u64() + offset),
            _ => None,
        }
    }

    /// Copies `bytes` into the page at physical `frame`, `offset` bytes in (for loading images).
    pub fn fill_frame(frame: u64, offset: usize, bytes: &[u8]) {
        assert!(offset + bytes.len() <= FRAME_SIZE as usize);
        // SAFETY: the range lies inside one frame this address space owns, via the direct map.
        unsafe {
            core::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                (phys_to_virt(frame) as *mut u8).add(offset),
                bytes.len(),
            )
        };
    }

    /// Reads `words.len()` words starting `offset` words into the page at physical `frame`
    /// (an IPC buffer). The range must lie inside the page.
    pub fn read_words(frame: u64, offset: usize, words: &mut [u64]) {
        assert!((offset + words.len()) * 8 <= FRAME_SIZE as usize, "word range outside the page");
        // SAFETY: the range lies inside one frame owned by a live address space, reached through
        // the direct map, 8-byte aligned; `words` is kernel memory that does not overlap it.
        unsafe {
            core::ptr::copy_nonoverlapping(
                (phys_to_virt(frame) as *const u64).add(offset),
                words.as_mut_ptr(),
                words.len(),
            )
        };
    }

    /// Copies words `range` of the page at physical `from` to the same words of the page at
    /// `to` (IPC buffer to IPC buffer: one copy, whatever address space is active). One
    /// `rep movsq` rather than a call to `memcpy`: IPC copies a few words at a time.
    #[inline(always)]
    pub fn copy_words(from: u64, to: u64, range: core::ops::Range<usize>) {
        assert!(
            range.start <= range.end && range.end * 8 <= FRAME_SIZE as usize && from != to,
            "bad IPC word copy"
        );
        let offset = range.start * 8;
        // SAFETY: both ranges lie inside distinct frames owned by live address spaces, reached
        // through the direct map, 8-byte aligned; distinct frames do not overlap. The direction
        // flag is clear in the kernel (the Rust ABI requires it, and every entry clears it).
        unsafe {
            core::arch::asm!(
                "rep movsq",
                inout("rcx") range.len() => _,
                inout("rsi") phys_to_virt(from) + offset as u64 => _,
                inout("rdi") phys_to_virt(to) + offset as u64 => _,
                options(nostack, preserves_flags),
            )
        };
    }

    /// Makes this address space the active one: on every switch between threads, so CR3 is
    /// compared and loaded raw (see `is_active`).
    #[inline(always)]
    pub fn activate(&self) {
        if !self.is_active() {
            // SAFETY: `pml4` is the page-aligned root of a live address space, which maps the
            // kernel half exactly like every other address space.
            unsafe { core::arch::asm!("mov cr3, {}", in(reg) self.pml4, options(nostack, preserves_flags)) };
        }
    }

    /// Frees every page table, the PML4 and the pages the space owns (not Frames' pages).
    /// If this address space is active, the kernel's own tables are loaded first.
    pub fn destroy(self, frames: &mut FrameAllocator) {
        if self.is_active() {
            let kernel = PhysFrame::containing_address(PhysAddr::new(memory::kernel_pml4()));
            // SAFETY: the kernel's tables map everything the kernel uses.
            unsafe { Cr3::write(kernel, Cr3Flags::empty()) };
        }
        free_user_tables(self.pml4, 4, frames);
    }
}

/// The flags of a user page with `rights` (Read, plus Write or Execute).
fn leaf_flags(rights: Rights) -> PageTableFlags {
    let mut flags = PageTableFlags::PRESENT | PageTableFlags::USER_ACCESSIBLE;
    if rights.contains(Rights::WRITE) {
        flags |= PageTableFlags::WRITABLE;
    }
    if !rights.contains(Rights::EXECUTE) {
        flags |= PageTableFlags::NO_EXECUTE;
    }
    flags
}

/// The entry for `vaddr` in a page table of `level` (0: the last level, 3: the PML4).
fn table_index(vaddr: u64, level: u32) -> usize {
    ((vaddr >> (12 + 9 * level)) & 511) as usize
}

/// The page table at physical `table`.
///
/// # Safety
/// `table` must be a live page table reached through the direct map, and the caller must not
/// hold another reference to it.
unsafe fn table_at(table: u64) -> &'static mut PageTable {
    // SAFETY: guaranteed by the caller.
    unsafe { &mut *(phys_to_virt(table) as *mut PageTable) }
}

/// Frees the user half below `table` (a table of `level`), then `table` itself.
fn free_user_tables(table: u64, level: u8, frames: &mut FrameAllocator) {
    // SAFETY: `table` is a page table of this address space, reached through the direct map;
    // the address space is being destroyed and no longer active.
    let entries = unsafe { &*(phys_to_virt(table) as *const PageTable) };
    let slots = if level == 4 { 0..KERNEL_PML4_FIRST } else { 0..512 };
    for slot in slots {
        let entry = &entries[slot];
        if !entry.flags().contains(PageTableFlags::PRESENT) {
            continue;
        }
        let target = entry.addr().as_u64();
        if level == 1 {
            if entry.flags().contains(OWNED_BY_SPACE) {
                let _ = frames.free(target);
            }
        } else {
            free_user_tables(target, level - 1, frames);
        }
    }
    let _ = frames.free(table);
}
