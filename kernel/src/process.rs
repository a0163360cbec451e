//! Loading init, the one program the kernel starts: an address space built from its ELF
//! image, a stack, and the thread's first register values. (init builds every other process
//! itself, through capabilities.)

use elf::abi::{EM_X86_64, ET_EXEC, PF_W, PF_X, PT_LOAD};
use elf::endian::LittleEndian;
use elf::ElfBytes;
use ipc_core::abi::{Error, Rights, BOOT_INFO_ADDR, IPC_BUFFER_ADDR, USER_END};
use ipc_core::frames::{FrameAllocator, FRAME_SIZE};

use crate::space::AddressSpace;
use crate::trap::UserContext;

/// The top of every user stack; the page above it stays unmapped.
pub const USER_STACK_TOP: u64 = 0x0000_7fff_ffff_0000;
/// User stack size in pages.
pub const USER_STACK_PAGES: u64 = 16;

/// Why an image could not be loaded.
// The payloads are read through `Debug`, in the boot panic message.
#[allow(dead_code)]
#[derive(Debug)]
pub enum LoadError {
    Elf(elf::ParseError),
    NotAnX86_64Executable,
    WritableAndExecutable,
    SegmentOutsideUserSpace,
    TruncatedSegment,
    Map(Error),
}

impl From<Error> for LoadError {
    fn from(error: Error) -> Self {
        LoadError::Map(error)
    }
}

/// A loaded program, ready to run.
pub struct Loaded {
    pub space: AddressSpace,
    pub context: UserContext,
    /// Physical address of its IPC buffer page (read-write, at `IPC_BUFFER_ADDR`).
    pub ipc_buffer: u64,
    /// Physical address of its boot-info page (read-only, at `BOOT_INFO_ADDR`), still zero.
    pub boot_info: u64,
}

/// Builds an address space from `image` and the context that enters it with `argument` in `rdi`.
pub fn load(image: &[u8], argument: u64, frames: &mut FrameAllocator) -> Result<Loaded, LoadError> {
    let mut space = AddressSpace::new(frames)?;
    let pages = load_into(&mut space, image, frames).and_then(|entry| {
        let ipc_buffer = space.map_new_page(frames, IPC_BUFFER_ADDR, Rights::READ | Rights::WRITE)?;
        let boot_info = space.map_new_page(frames, BOOT_INFO_ADDR, Rights::READ)?;
        Ok((entry, ipc_buffer, boot_info))
    });
    match pages {
        Ok((entry, ipc_buffer, boot_info)) => Ok(Loaded {
            space,
            context: UserContext::new(entry, USER_STACK_TOP - 8, argument),
            ipc_buffer,
            boot_info,
        }),
        Err(error) => {
            space.destroy(frames);
            Err(error)
        }
    }
}

fn load_into(space: &mut AddressSpace, image: &[u8], frames: &mut FrameAllocator) -> Result<u64, LoadError> {
    let elf = ElfBytes::<LittleEndian>::minimal_parse(image).map_err(LoadError::Elf)?;
    if elf.ehdr.e_machine != EM_X86_64 || elf.ehdr.e_type != ET_EXEC {
        return Err(LoadError::NotAnX86_64Executable);
    }
    let segments = elf.segments().ok_or(LoadError::NotAnX86_64Executable)?;
    for segment in segments.iter().filter(|s| s.p_type == PT_LOAD) {
        let rights = match (segment.p_flags & PF_W != 0, segment.p_flags & PF_X != 0) {
            (true, true) => return Err(LoadError::WritableAndExecutable),
            (true, false) => Rights::READ | Rights::WRITE,
            (false, true) => Rights::READ | Rights::EXECUTE,
            (false, false) => Rights::READ,
        };
        let mem_end =
            segment.p_vaddr.checked_add(segment.p_memsz).ok_or(LoadError::SegmentOutsideUserSpace)?;
        if mem_end > USER_END {
            return Err(LoadError::SegmentOutsideUserSpace);
        }
        let file_end = segment.p_offset.checked_add(segment.p_filesz).ok_or(LoadError::TruncatedSegment)?;
        if segment.p_filesz > segment.p_memsz || file_end > image.len() as u64 {
            return Err(LoadError::TruncatedSegment);
        }
        let file_bytes = &image[segment.p_offset as usize..file_end as usize];
        let first_page = segment.p_vaddr & !(FRAME_SIZE - 1);
        for page in (first_page..mem_end).step_by(FRAME_SIZE as usize) {
            let frame = space.map_new_page(frames, page, rights)?;
            // The part of the file that lands in this page.
            let start = page.max(segment.p_vaddr);
            let end = (page + FRAME_SIZE).min(segment.p_vaddr + segment.p_filesz);
            if start < end {
                let from = (start - segment.p_vaddr) as usize;
                let bytes = &file_bytes[from..from + (end - start) as usize];
                AddressSpace::fill_frame(frame, (start - page) as usize, bytes);
            }
        }
    }
    for page in 1..=USER_STACK_PAGES {
        space.map_new_page(frames, USER_STACK_TOP - page * FRAME_SIZE, Rights::READ | Rights::WRITE)?;
    }
    Ok(elf.ehdr.e_entry)
}
