//! The one process the kernel starts: init. The kernel loads init's ELF image, maps the boot
//! images (every program and the command line) read-only into it, and gives it the initial
//! capabilities — its own capability space, thread and address space, and a Memory
//! capability for all free RAM — listed in its boot-info page (`tryst_abi::BootInfo`).
//! Everything else is built by init through capabilities.

use core::sync::atomic::Ordering;

use ipc_core::abi::{write_boot_images, BootInfo, Rights, Slot, BOOT_IMAGES_ADDR};
use ipc_core::cspace::SlotRef;
use ipc_core::frames::FRAME_SIZE;
use ipc_core::{Kernel, ThreadId};

use crate::entry::{FREE_FRAMES_BEFORE, IPC_BUFFERS, KERNEL, SPACE_ROOTS};
use crate::images::{program, PROGRAMS};
use crate::memory::FRAMES;
use crate::process;
use crate::space::AddressSpace;
use crate::trap::CONTEXTS;

/// init's priority: the highest, so it builds the whole system before anything it starts runs.
pub const INIT_PRIORITY: u8 = 255;

/// The first I/O port of init's capability: all of them, though the kernel's own (the PICs,
/// the PIT, the QEMU exit port) stay out of any capability's reach.
const USER_PORTS_FIRST: u16 = 0;

/// Starts init, ready to run, with `command_line` in its boot images.
pub fn launch_init(command_line: &str) {
    FREE_FRAMES_BEFORE.store(FRAMES.lock().free_count() as u64, Ordering::Relaxed);
    let image = program("init").expect("build.rs embeds init");
    let mut loaded = process::load(image, 0, &mut FRAMES.lock())
        .unwrap_or_else(|error| panic!("cannot load init: {error:?}"));
    map_boot_images(&mut loaded.space, command_line);
    let root = loaded.space.root();
    let thread = KERNEL.with(|kernel| kernel.spawn("init", INIT_PRIORITY)).expect("the first thread");
    CONTEXTS.with(|contexts| contexts[thread.index()] = loaded.context);
    SPACE_ROOTS.with(|roots| roots[thread.index()] = root);
    IPC_BUFFERS.with(|buffers| buffers[thread.index()] = loaded.ipc_buffer);
    let budget = FRAMES.lock().free_count() as u64 * FRAME_SIZE;
    KERNEL.with(|kernel| {
        kernel
            .boot_address_space(thread, root, at(kernel, thread, BootInfo::SPACE_SLOT))
            .expect("init's space");
        kernel.give_thread_cap(thread, at(kernel, thread, BootInfo::THREAD_SLOT)).expect("init's thread");
        kernel.boot_memory(at(kernel, thread, BootInfo::MEMORY_SLOT), budget).expect("boot memory");
        let (control, ports) =
            (at(kernel, thread, BootInfo::IRQ_CONTROL_SLOT), at(kernel, thread, BootInfo::IO_PORTS_SLOT));
        kernel.boot_devices(control, ports, USER_PORTS_FIRST, u16::MAX).expect("init's device rights");
    });
    write_boot_info(loaded.boot_info);
    kprintln!("tryst: started init (process {}) at priority {INIT_PRIORITY}", thread.number());
}

/// Maps the boot images read-only at `BOOT_IMAGES_ADDR` of `space`, in pages it owns.
fn map_boot_images(space: &mut AddressSpace, command_line: &str) {
    let len = write_boot_images(command_line, PROGRAMS, |_, _| {}) as u64;
    for page in (0..len).step_by(FRAME_SIZE as usize) {
        space
            .map_new_page(&mut FRAMES.lock(), BOOT_IMAGES_ADDR + page, Rights::READ)
            .unwrap_or_else(|error| panic!("cannot map the boot images: {error:?}"));
    }
    write_boot_images(command_line, PROGRAMS, |offset, mut bytes| {
        let mut at = BOOT_IMAGES_ADDR + offset as u64;
        while !bytes.is_empty() {
            let in_page = (FRAME_SIZE - at % FRAME_SIZE) as usize;
            let (now, rest) = bytes.split_at(in_page.min(bytes.len()));
            let page = space.physical(at & !(FRAME_SIZE - 1)).expect("boot images are mapped");
            AddressSpace::fill_frame(page, (at % FRAME_SIZE) as usize, now);
            (at, bytes) = (at + now.len() as u64, rest);
        }
    });
}

/// Where thread `thread`'s slot `n` is.
fn at(kernel: &Kernel, thread: ThreadId, n: u64) -> SlotRef {
    let slot = Slot::new(n).expect("boot slots are in range");
    kernel.slot_of(thread, slot).expect("init is alive")
}

/// Fills init's boot-info page.
fn write_boot_info(page: u64) {
    let info = BootInfo {
        magic: BootInfo::MAGIC,
        cspace_slot: BootInfo::CSPACE_SLOT,
        memory_slot: BootInfo::MEMORY_SLOT,
        endpoint_count: 0,
        endpoints: [0; BootInfo::MAX_ENDPOINTS],
        first_free_slot: BootInfo::FIRST_ENDPOINT_SLOT,
        thread_slot: BootInfo::THREAD_SLOT,
        space_slot: BootInfo::SPACE_SLOT,
        pages_slot: BootInfo::PAGES_SLOT,
        images_addr: BOOT_IMAGES_ADDR,
        console_slot: 0,
        timer_slot: 0,
        names_slot: 0,
    };
    for (n, word) in info.to_words().iter().enumerate() {
        AddressSpace::fill_frame(page, n * 8, &word.to_le_bytes());
    }
}
