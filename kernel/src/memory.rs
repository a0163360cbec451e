//! Physical memory: the frame allocator fed from the boot memory map, the direct map through
//! which the kernel reaches every frame, and the kernel's own page tables.

use ipc_core::frames::{FrameAllocator, PhysRange, COVERED_BYTES, FRAME_SIZE};
use spin::Mutex;
use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::{
    FrameAllocator as TableFrameSource, Mapper, OffsetPageTable, Page, PageTable, PageTableFlags, PhysFrame,
    Size2MiB, Size4KiB,
};
use x86_64::{PhysAddr, VirtAddr};

use crate::pvh::{BootInfo, RegionKind};

/// Where all physical memory (the first `COVERED_BYTES`) is mapped for the kernel.
pub const PHYS_OFFSET: u64 = 0xffff_8000_0000_0000;
/// Where the kernel image is linked: physical address `p` of the image is at `KERNEL_VMA + p`.
pub const KERNEL_VMA: u64 = 0xffff_ffff_8000_0000;
/// The first PML4 slot of the kernel half; user address spaces share slots from here on.
pub const KERNEL_PML4_FIRST: usize = 256;

/// Every free physical frame.
pub static FRAMES: Mutex<FrameAllocator> = Mutex::new(FrameAllocator::new());

/// The kernel's PML4 (physical), once built.
static KERNEL_PML4: Mutex<u64> = Mutex::new(0);

unsafe extern "C" {
    static __kernel_phys_start: u8;
    static __kernel_phys_end: u8;
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __data_end: u8;
}

/// The kernel's address for physical address `phys`.
pub fn phys_to_virt(phys: u64) -> u64 {
    PHYS_OFFSET + phys
}

fn symbol(address: &u8) -> u64 {
    address as *const u8 as u64
}

/// The physical memory the kernel image occupies (boot section, code, data, stack).
pub fn kernel_image() -> PhysRange {
    // SAFETY: linker-script symbols; only their addresses are taken, never their contents.
    let (start, end) = unsafe { (symbol(&__kernel_phys_start), symbol(&__kernel_phys_end)) };
    PhysRange { start, end }
}

/// Prints the memory map and fills the frame allocator with the usable RAM in it, minus the
/// first megabyte (firmware and legacy areas), the kernel image and the boot structures.
pub fn init_frames(boot: &BootInfo) {
    let mut frames = FRAMES.lock();
    kprintln!("tryst: memory map (PVH start_info):");
    for region in boot.regions() {
        kprintln!("  [{:#014x}-{:#014x}) {:?}", region.range.start, region.range.end, region.kind);
        if region.kind == RegionKind::Usable {
            frames.add_usable(region.range);
            if region.range.end > COVERED_BYTES {
                kprintln!("  (RAM above {} GiB is not used)", COVERED_BYTES >> 30);
            }
        }
    }
    for reserved in reserved_ranges(boot) {
        frames.reserve(reserved);
    }
    let free = frames.free_count();
    kprintln!("tryst: {} frames free ({} MiB)", free, (free as u64 * FRAME_SIZE) >> 20);
}

/// Physical ranges the allocator must never hand out.
fn reserved_ranges(boot: &BootInfo) -> impl Iterator<Item = PhysRange> + '_ {
    [PhysRange { start: 0, end: 0x10_0000 }, kernel_image()]
        .into_iter()
        .chain(boot.boot_structures.iter().copied())
}

/// Hands the allocator's frames to the x86_64 crate's mapper when it needs page tables.
pub struct TableFrames<'a>(pub &'a mut FrameAllocator);

// SAFETY: frames come from the allocator, which hands each free frame out once.
unsafe impl TableFrameSource<Size4KiB> for TableFrames<'_> {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        let frame = self.0.allocate()?;
        Some(PhysFrame::containing_address(PhysAddr::new(frame)))
    }
}

/// Allocates a zeroed frame for a page table or a user page.
pub fn allocate_zeroed_frame(frames: &mut FrameAllocator) -> Option<u64> {
    let frame = frames.allocate()?;
    // SAFETY: the frame was free, so nothing else refers to it; it is mapped at phys_to_virt.
    unsafe { core::ptr::write_bytes(phys_to_virt(frame) as *mut u8, 0, FRAME_SIZE as usize) };
    Some(frame)
}

/// A mapper over the page table whose PML4 is at physical `pml4`.
///
/// # Safety
/// `pml4` must be a PML4 frame owned by the caller for the mapper's lifetime, reachable
/// through the direct map, with no other live reference to it.
pub unsafe fn mapper(pml4: u64) -> OffsetPageTable<'static> {
    // SAFETY: guaranteed by the caller.
    let table = unsafe { &mut *(phys_to_virt(pml4) as *mut PageTable) };
    // SAFETY: all physical memory the tables reference is mapped at PHYS_OFFSET.
    unsafe { OffsetPageTable::new(table, VirtAddr::new(PHYS_OFFSET)) }
}

/// Builds the kernel's page tables (direct map without execute; kernel code read-only and
/// executable; read-only data; writable data without execute; nothing in the lower half) and
/// switches to them.
pub fn init_kernel_page_tables() {
    let mut frames = FRAMES.lock();
    let pml4 = allocate_zeroed_frame(&mut frames).expect("no frame for the kernel PML4");
    // SAFETY: the PML4 was just allocated and nobody else knows it.
    let mut tables = unsafe { mapper(pml4) };
    let mut source = TableFrames(&mut frames);

    let direct = PageTableFlags::PRESENT
        | PageTableFlags::WRITABLE
        | PageTableFlags::NO_EXECUTE
        | PageTableFlags::GLOBAL;
    for phys in (0..COVERED_BYTES).step_by(2 << 20) {
        let page = Page::<Size2MiB>::containing_address(VirtAddr::new(phys_to_virt(phys)));
        let frame = PhysFrame::<Size2MiB>::containing_address(PhysAddr::new(phys));
        // SAFETY: the direct map aliases physical memory only for the kernel's own accesses.
        unsafe { tables.map_to(page, frame, direct, &mut source) }.expect("direct map").ignore();
    }

    // SAFETY: linker-script symbols; only their addresses are taken.
    let sections = unsafe {
        [
            (symbol(&__text_start), symbol(&__text_end), PageTableFlags::empty()),
            (symbol(&__rodata_start), symbol(&__rodata_end), PageTableFlags::NO_EXECUTE),
            (
                symbol(&__data_start),
                symbol(&__data_end),
                PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE,
            ),
        ]
    };
    for (start, end, rights) in sections {
        for virt in (start..end).step_by(FRAME_SIZE as usize) {
            let page = Page::<Size4KiB>::containing_address(VirtAddr::new(virt));
            let frame = PhysFrame::containing_address(PhysAddr::new(virt - KERNEL_VMA));
            let flags = PageTableFlags::PRESENT | PageTableFlags::GLOBAL | rights;
            // SAFETY: maps the kernel image at the address it is linked at, as the boot tables do.
            unsafe { tables.map_to(page, frame, flags, &mut source) }.expect("kernel image map").ignore();
        }
    }
    drop(frames);

    let root = PhysFrame::containing_address(PhysAddr::new(pml4));
    // SAFETY: the new tables map the kernel image, its stack and the direct map exactly where
    // the boot tables did; only the identity map disappears, and nothing uses it any more.
    unsafe { Cr3::write(root, Cr3Flags::empty()) };
    *KERNEL_PML4.lock() = pml4;
}

/// The kernel's PML4 (physical).
pub fn kernel_pml4() -> u64 {
    *KERNEL_PML4.lock()
}

/// The frames of every page table reachable from `pml4` (not the pages they map), for checks.
fn for_each_table_frame(pml4: u64, level: u8, visit: &mut impl FnMut(u64)) {
    visit(pml4);
    if level == 1 {
        return;
    }
    // SAFETY: `pml4` is a live page table of the given level, reachable through the direct map.
    let table = unsafe { &*(phys_to_virt(pml4) as *const PageTable) };
    for entry in table.iter() {
        let flags = entry.flags();
        if flags.contains(PageTableFlags::PRESENT) && !flags.contains(PageTableFlags::HUGE_PAGE) {
            for_each_table_frame(entry.addr().as_u64(), level - 1, visit);
        }
    }
}

/// The `boot_memory_map` self-check: takes every free frame and checks that each lies in usable
/// RAM and in none of the kernel image, the boot structures or the live page tables, writes to
/// each (it must be real RAM), then gives them all back. Returns how many frames were checked.
pub fn check_frame_allocator(boot: &BootInfo) -> Result<usize, &'static str> {
    let mut frames = FRAMES.lock();
    let expected = frames.free_count();
    let pml4 = kernel_pml4();
    let reserved = || reserved_ranges(boot);
    // The drained frames form a list threaded through the frames themselves.
    let mut tables = [0u64; 64];
    let mut table_count = 0;
    for_each_table_frame(pml4, 4, &mut |table| {
        if let Some(slot) = tables.get_mut(table_count) {
            *slot = table;
            table_count += 1;
        }
    });
    if table_count == tables.len() {
        return Err("more kernel page tables than the check can hold");
    }
    let mut drained: Option<u64> = None;
    let mut count = 0;
    let mut verdict = Ok(());
    while let Some(frame) = frames.allocate() {
        let last_byte = frame + FRAME_SIZE - 1;
        let usable = boot
            .regions()
            .any(|r| r.kind == RegionKind::Usable && r.range.contains(frame) && r.range.contains(last_byte));
        let is_table = tables[..table_count].contains(&frame);
        if !usable {
            verdict = Err("a frame outside usable RAM");
        } else if reserved().any(|r| r.start <= last_byte && frame < r.end) {
            verdict = Err("a frame inside the kernel image or boot structures");
        } else if is_table {
            verdict = Err("a frame that holds a live page table");
        }
        // SAFETY: the frame was free and is now ours; it is mapped at phys_to_virt.
        unsafe { (phys_to_virt(frame) as *mut Option<u64>).write(drained) };
        drained = Some(frame);
        count += 1;
    }
    while let Some(frame) = drained {
        // SAFETY: written by the loop above; the frame is still ours.
        drained = unsafe { (phys_to_virt(frame) as *const Option<u64>).read() };
        frames.free(frame).map_err(|_| "a frame handed out twice")?;
    }
    verdict?;
    if count != expected || frames.free_count() != expected {
        return Err("the free count does not match the frames handed out");
    }
    Ok(count)
}
