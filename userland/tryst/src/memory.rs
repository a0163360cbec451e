//! Mapping Frames into address spaces, and the pages this process sees through them.
//!
//! A Frame capability maps its page at most once: to map one page at two addresses (or into
//! two address spaces), copy the capability and map each copy. Deleting or revoking a Frame
//! capability undoes the mappings made through it.

use tryst_abi::{Rights, Slot, Syscall, PAGE_SIZE};

use crate::{call, Error};

/// Read-only data.
pub const READ: Rights = Rights::READ;
/// Read-write data.
pub const READ_WRITE: Rights = Rights::READ.union(Rights::WRITE);
/// Read-only code.
pub const READ_EXECUTE: Rights = Rights::READ.union(Rights::EXECUTE);

/// `map`: maps the page of the Frame capability `frame` at `vaddr` (page-aligned, not page 0,
/// below [`tryst_abi::USER_END`]) of the address space `space`, with `rights`: Read plus
/// Write or Execute, never both. Fails with `AlreadyMapped` when the address has a page or
/// the capability maps one already, `MissingRights` when `frame` lacks a right asked for or
/// `space` lacks Write, `OutOfMemory` when page tables cannot be paid for.
pub fn map(space: Slot, frame: Slot, vaddr: u64, rights: Rights) -> Result<(), Error> {
    call(Syscall::Map { space, frame, vaddr, rights }).map(drop)
}

/// `unmap`: undoes the mapping made through `frame` (`NotMapped` if there is none).
pub fn unmap(frame: Slot) -> Result<(), Error> {
    call(Syscall::Unmap { frame }).map(drop)
}

/// Where the Frame capability `frame` maps its page, if anywhere.
pub fn mapping(frame: impl Into<tryst_abi::SlotPath>) -> Result<Option<u64>, Error> {
    call(Syscall::CapIdentify { slot: frame.into() }).map(|v| (v[3] != 0).then_some(v[4]))
}

/// Writes `bytes` into the page of the Frame capability `frame` (which must map nothing yet
/// and have Read and Write), `offset` bytes in, by mapping it for the moment at `scratch`, a
/// page-aligned address where this process has nothing mapped; then unmaps it.
pub fn write_frame(frame: Slot, scratch: u64, offset: usize, bytes: &[u8]) -> Result<(), Error> {
    if offset.checked_add(bytes.len()).is_none_or(|end| end > PAGE_SIZE as usize) {
        return Err(Error::InvalidArgument);
    }
    map(own_space()?, frame, scratch, READ_WRITE)?;
    crate::raw::copy_to_mapped_page(scratch, offset, bytes);
    unmap(frame)
}

/// The slot of this process's own address space, from its boot-info page.
pub fn own_space() -> Result<Slot, Error> {
    Slot::new(crate::boot_info().space_slot)
}

/// The page size, in bytes.
pub const PAGE: u64 = PAGE_SIZE;
