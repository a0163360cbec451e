//! `init_spawns_from_elf`: a process that init built from its ELF image checks, from the
//! inside, that it got what the image and the boot-info contract say:
//!
//! - its argument, and a boot-info page with the fixed slots, `PAGES_SLOT`, and no boot
//!   images (only init has those);
//! - its initialized data (`.data`) holds the image's bytes and is writable, its `.bss` is zero;
//! - its initial capabilities are of the right kinds;
//! - its pages capability space holds one Frame per page it runs on — code, data, stack, IPC
//!   buffer, boot-info page — each mapped at the address it uses, and nothing else.
//!
//! Exits 0 when every check holds.
#![no_std]
#![no_main]

mod caps_common;

use core::sync::atomic::{AtomicU64, Ordering};

use caps_common::{slot, Checks, Hex};
use tryst::abi::{BootInfo, SlotPath, BOOT_INFO_ADDR, CSPACE_SLOTS, IPC_BUFFER_ADDR};
use tryst::memory::{self, PAGE};
use tryst::{caps, Error, ObjectKind};

tryst::entry!(main);

/// In `.data`: the loader must copy it from the file.
static LOADED: AtomicU64 = AtomicU64::new(0x5eed_1234_abcd_0042);
/// In `.bss`: the loader must leave it zero.
static ZEROED: AtomicU64 = AtomicU64::new(0);

fn main(argument: u64) -> u32 {
    let mut checks = Checks::new("init_check");
    let boot = tryst::boot_info();
    checks.equal("argument", argument, 7);
    checks.equal("boot-info magic", boot.magic, BootInfo::MAGIC);
    checks.equal(
        "boot-info slots: cspace, memory, thread, space, pages",
        [boot.cspace_slot, boot.memory_slot, boot.thread_slot, boot.space_slot, boot.pages_slot],
        [
            BootInfo::CSPACE_SLOT,
            BootInfo::MEMORY_SLOT,
            BootInfo::THREAD_SLOT,
            BootInfo::SPACE_SLOT,
            BootInfo::PAGES_SLOT,
        ],
    );
    checks.equal("boot images (init's alone)", (boot.images_addr, tryst::boot_images().is_none()), (0, true));

    checks.equal(
        "initialized data from the image",
        Hex(LOADED.load(Ordering::Relaxed)),
        Hex(0x5eed_1234_abcd_0042),
    );
    checks.equal("zeroed data", ZEROED.load(Ordering::Relaxed), 0);
    LOADED.store(7, Ordering::Relaxed);
    checks.equal("initialized data is writable", LOADED.load(Ordering::Relaxed), 7);

    let kinds = [
        (boot.cspace_slot, ObjectKind::CSpace),
        (boot.memory_slot, ObjectKind::Memory),
        (boot.thread_slot, ObjectKind::Thread),
        (boot.space_slot, ObjectKind::AddressSpace),
        (boot.pages_slot, ObjectKind::CSpace),
    ];
    for (n, kind) in kinds {
        checks.equal(
            "kind of an initial capability",
            caps::identify(slot(n)).map(|c| c.kind),
            Ok(Some(kind)),
        );
    }

    // Every page this process uses must be one of its Frames, mapped where it is used.
    let pages = slot(boot.pages_slot);
    let mut mapped = [0u64; CSPACE_SLOTS as usize];
    let mut count = 0;
    for n in 0..CSPACE_SLOTS {
        let frame = SlotPath::within(pages, slot(n));
        match caps::identify(frame) {
            Ok(info) if info.kind == Some(ObjectKind::Frame) => {
                if let Ok(Some(vaddr)) = memory::mapping(frame) {
                    mapped[count] = vaddr;
                    count += 1;
                } else {
                    checks.fail("a Frame of the process maps nothing", format_args!("slot {n}"));
                }
            }
            Ok(info) => checks.fail("the pages space holds only Frames", format_args!("slot {n}: {info:?}")),
            Err(Error::EmptySlot) => {}
            Err(error) => checks.fail("identify in the pages space", format_args!("slot {n}: {error:?}")),
        }
    }
    checks.note(format_args!("{count} Frames in the pages capability space"));
    let on_stack = 0u64;
    let uses = [
        ("its code page is one of its Frames", main as fn(u64) -> u32 as *const () as u64),
        ("its initialized data page is one of its Frames", &LOADED as *const AtomicU64 as u64),
        ("its zeroed data page is one of its Frames", &ZEROED as *const AtomicU64 as u64),
        ("its stack page is one of its Frames", &on_stack as *const u64 as u64),
        ("its IPC buffer is one of its Frames", IPC_BUFFER_ADDR),
        ("its boot-info page is one of its Frames", BOOT_INFO_ADDR),
    ];
    for (case, addr) in uses {
        checks.holds(case, mapped[..count].contains(&(addr & !(PAGE - 1))));
    }
    checks.finish()
}
