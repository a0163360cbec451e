//! User address spaces: their page tables, mapping user pages, reading user memory (through
//! the direct map, never through user addresses), and tearing everything down.

use ipc_core::abi::{Error, USER_END};
use ipc_core::frames::{FrameAllocator, FRAME_SIZE};
use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::mapper::MapToError;
use x86_64::structures::paging::mapper::TranslateResult;
use x86_64::structures::paging::{Mapper, Page, PageTable, PageTableFlags, PhysFrame, Size4KiB, Translate};
use x86_64::{PhysAddr, VirtAddr};

use crate::memory::{self, allocate_zeroed_frame, phys_to_virt, TableFrames, KERNEL_PML4_FIRST};

/// Why a page could not be mapped.
#[derive(Debug)]
pub enum MapError {
    OutOfMemory,
    NotUserAddress,
    AlreadyMapped,
}

/// Rights of a user page. A page is never writable and executable at once.
// Every right includes reading: x86 has no write-only or execute-only user pages.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageRights {
    ReadOnly,
    ReadWrite,
    ReadExecute,
}

/// One user address space: a PML4 whose lower half is private and whose upper half is the
/// kernel's.
pub struct AddressSpace {
    pml4: u64,
}

impl AddressSpace {
    /// A new address space with nothing mapped in the user half.
    pub fn new(frames: &mut FrameAllocator) -> Result<AddressSpace, MapError> {
        let pml4 = allocate_zeroed_frame(frames).ok_or(MapError::OutOfMemory)?;
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

    /// Maps a fresh zeroed frame at `vaddr` (page-aligned) and returns the frame's physical
    /// address.
    pub fn map_new_page(
        &mut self,
        frames: &mut FrameAllocator,
        vaddr: u64,
        rights: PageRights,
    ) -> Result<u64, MapError> {
        if !vaddr.is_multiple_of(FRAME_SIZE) || vaddr >= USER_END {
            return Err(MapError::NotUserAddress);
        }
        let frame = allocate_zeroed_frame(frames).ok_or(MapError::OutOfMemory)?;
        let mut flags = PageTableFlags::PRESENT | PageTableFlags::USER_ACCESSIBLE;
        match rights {
            PageRights::ReadOnly => flags |= PageTableFlags::NO_EXECUTE,
            PageRights::ReadWrite => flags |= PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE,
            PageRights::ReadExecute => {}
        }
        let parents = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::USER_ACCESSIBLE;
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(vaddr));
        let physical = PhysFrame::containing_address(PhysAddr::new(frame));
        // SAFETY: this address space owns its PML4, and `mapper` is the only reference to it.
        let mut tables = unsafe { memory::mapper(self.pml4) };
        let mut source = TableFrames(frames);
        // SAFETY: the page is in the user half and the frame is fresh; no existing memory aliases it.
        match unsafe { tables.map_to_with_table_flags(page, physical, flags, parents, &mut source) } {
            Ok(flush) => {
                // The address space may be the active one: keep the TLB coherent.
                flush.flush();
                Ok(frame)
            }
            Err(error) => {
                let _ = source.0.free(frame);
                Err(match error {
                    MapToError::FrameAllocationFailed => MapError::OutOfMemory,
                    _ => MapError::AlreadyMapped,
                })
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
    /// `to` (IPC buffer to IPC buffer: one copy, whatever address space is active).
    pub fn copy_words(from: u64, to: u64, range: core::ops::Range<usize>) {
        assert!(range.end * 8 <= FRAME_SIZE as usize && from != to, "bad IPC word copy");
        // SAFETY: both ranges lie inside distinct frames owned by live address spaces, reached
        // through the direct map, 8-byte aligned; distinct frames do not overlap.
        unsafe {
            core::ptr::copy_nonoverlapping(
                (phys_to_virt(from) as *const u64).add(range.start),
                (phys_to_virt(to) as *mut u64).add(range.start),
                range.len(),
            )
        };
    }

    /// Makes this address space the active one.
    pub fn activate(&self) {
        let (current, _) = Cr3::read();
        if current.start_address().as_u64() != self.pml4 {
            // SAFETY: the PML4 maps the kernel half exactly like every other address space.
            unsafe { Cr3::write(PhysFrame::containing_address(PhysAddr::new(self.pml4)), Cr3Flags::empty()) };
        }
    }

    /// Frees every page, page table and the PML4. If this address space is active, the
    /// kernel's own tables are loaded first.
    pub fn destroy(self, frames: &mut FrameAllocator) {
        let (current, _) = Cr3::read();
        if current.start_address().as_u64() == self.pml4 {
            let kernel = PhysFrame::containing_address(PhysAddr::new(memory::kernel_pml4()));
            // SAFETY: the kernel's tables map everything the kernel uses.
            unsafe { Cr3::write(kernel, Cr3Flags::empty()) };
        }
        free_user_tables(self.pml4, 4, frames);
    }
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
            let _ = frames.free(target);
        } else {
            free_user_tables(target, level - 1, frames);
        }
    }
    let _ = frames.free(table);
}
