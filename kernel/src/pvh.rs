//! Reading QEMU's PVH boot information (`hvm_start_info`): the memory map and the command line.
//!
//! Everything is copied out into plain values at boot, so nothing later depends on the boot
//! structures staying where QEMU put them.

use ipc_core::frames::PhysRange;

use crate::memory::phys_to_virt;

const START_INFO_MAGIC: u32 = 0x336e_c578;
/// The most memory-map entries kept; QEMU gives a handful.
pub const MAX_REGIONS: usize = 32;
const MAX_CMDLINE: usize = 256;

/// The `hvm_start_info` layout (version 1), from Xen's `arch-x86/hvm/start_info.h`.
#[repr(C)]
#[derive(Clone, Copy)]
struct StartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    nr_modules: u32,
    modlist_paddr: u64,
    cmdline_paddr: u64,
    rsdp_paddr: u64,
    memmap_paddr: u64,
    memmap_entries: u32,
    reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct MemmapEntry {
    addr: u64,
    size: u64,
    kind: u32,
    reserved: u32,
}

/// What a memory-map region holds (the E820 types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    Usable,
    Reserved,
    AcpiReclaimable,
    AcpiNvs,
    Unusable,
    Other(u32),
}

impl RegionKind {
    fn from_e820(kind: u32) -> RegionKind {
        match kind {
            1 => RegionKind::Usable,
            2 => RegionKind::Reserved,
            3 => RegionKind::AcpiReclaimable,
            4 => RegionKind::AcpiNvs,
            5 => RegionKind::Unusable,
            other => RegionKind::Other(other),
        }
    }
}

/// One region of the boot memory map.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    pub range: PhysRange,
    pub kind: RegionKind,
}

/// The boot information, copied out.
pub struct BootInfo {
    pub regions: [Option<Region>; MAX_REGIONS],
    cmdline: [u8; MAX_CMDLINE],
    cmdline_len: usize,
    /// Physical ranges the boot structures occupy (start_info, memory map, command line).
    pub boot_structures: [PhysRange; 3],
}

impl BootInfo {
    /// Reads the boot information at physical address `start_info`.
    ///
    /// # Panics
    /// When the structure is not a PVH start_info: the kernel cannot run without a memory map.
    pub fn read(start_info: u64) -> BootInfo {
        // SAFETY: QEMU's PVH entry passes the physical address of a valid hvm_start_info,
        // which the boot page tables map at phys_to_virt; it is read once, by value.
        let info: StartInfo = unsafe { core::ptr::read(phys_to_virt(start_info) as *const StartInfo) };
        assert_eq!(info.magic, START_INFO_MAGIC, "not booted through PVH");
        assert!(info.version >= 1, "PVH start_info version {} has no memory map", info.version);

        let mut regions = [None; MAX_REGIONS];
        let entries = (info.memmap_entries as usize).min(MAX_REGIONS);
        for (index, region) in regions.iter_mut().enumerate().take(entries) {
            let at = info.memmap_paddr + (index * core::mem::size_of::<MemmapEntry>()) as u64;
            // SAFETY: index < memmap_entries, so the entry lies inside the map QEMU wrote.
            let entry: MemmapEntry = unsafe { core::ptr::read(phys_to_virt(at) as *const MemmapEntry) };
            *region = Some(Region {
                range: PhysRange::new(entry.addr, entry.size),
                kind: RegionKind::from_e820(entry.kind),
            });
        }

        let mut cmdline = [0; MAX_CMDLINE];
        let mut cmdline_len = 0;
        if info.cmdline_paddr != 0 {
            let text = phys_to_virt(info.cmdline_paddr) as *const u8;
            while cmdline_len < MAX_CMDLINE {
                // SAFETY: the command line is a NUL-terminated string QEMU wrote; we stop at the
                // NUL or at MAX_CMDLINE bytes, whichever comes first.
                let byte = unsafe { text.add(cmdline_len).read() };
                if byte == 0 {
                    break;
                }
                cmdline[cmdline_len] = byte;
                cmdline_len += 1;
            }
        }

        let memmap_bytes = (info.memmap_entries as usize * core::mem::size_of::<MemmapEntry>()) as u64;
        BootInfo {
            regions,
            cmdline,
            cmdline_len,
            boot_structures: [
                PhysRange::new(start_info, core::mem::size_of::<StartInfo>() as u64),
                PhysRange::new(info.memmap_paddr, memmap_bytes),
                PhysRange::new(info.cmdline_paddr, cmdline_len as u64 + 1),
            ],
        }
    }

    /// The kernel command line (`-append` in QEMU).
    pub fn cmdline(&self) -> &str {
        core::str::from_utf8(&self.cmdline[..self.cmdline_len]).unwrap_or("")
    }

    /// The value of `key=value` on the command line.
    pub fn cmdline_value(&self, key: &str) -> Option<&str> {
        self.cmdline().split_whitespace().find_map(|word| {
            let (k, v) = word.split_once('=')?;
            (k == key).then_some(v)
        })
    }

    /// The regions of the memory map.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.iter().flatten()
    }
}
