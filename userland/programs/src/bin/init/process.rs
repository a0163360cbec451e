//! Building one process from an ELF image, through capabilities only: a capability space, an
//! address space and a thread; a Frame for every page of every loadable segment (filled
//! through a scratch mapping in init, then mapped into the new space with the segment's
//! rights), a stack, an IPC buffer and a boot-info page; the initial capabilities in their
//! boot-info slots; then configure and start.
//!
//! The process owns its pages through a second capability space, in its slot `PAGES_SLOT`:
//! they live exactly as long as it does. init keeps capabilities to its thread and its
//! capability space (its record), which the kernel deletes when the process ends.

use elf::abi::{EM_X86_64, ET_EXEC, PF_W, PF_X, PT_LOAD};
use elf::endian::LittleEndian;
use elf::ElfBytes;
use tryst::abi::{BootInfo, Rights, SlotPath, BOOT_INFO_ADDR, IPC_BUFFER_ADDR, PAGE_SIZE, USER_END};
use tryst::memory::{self, READ, READ_EXECUTE, READ_WRITE};
use tryst::{caps, device, thread, Error, Slot};

use crate::scenarios::{Grant, Launch, Scenario};

/// The top of every process's stack; the page above it stays unmapped.
const STACK_TOP: u64 = 0x0000_7fff_ffff_0000;
/// Stack size in pages.
const STACK_PAGES: u64 = 16;
/// Where init maps a Frame for the moment to fill it (nothing else of init's is there).
const SCRATCH: u64 = 0x0000_5000_0000_0000;
/// The most pages one process can own: its pages capability space's slots.
const MAX_PAGES: u64 = tryst::abi::CSPACE_SLOTS;

// init's own slots: the scenario's objects from FIRST_ENDPOINT_SLOT up to OBJECTS_END, the
// process records, the process being built, then the system's own objects.
const OBJECTS_END: u64 = 28;
/// The first slot of the process records, `RECORD_SLOTS` each.
const FIRST_RECORD: u64 = OBJECTS_END;
const RECORD_SLOTS: u64 = 4;
/// The most processes init keeps records of.
pub const MAX_PROCESSES: usize = 20;
const CHILD_SPACE: u64 = FIRST_RECORD + RECORD_SLOTS * MAX_PROCESSES as u64;
const CHILD_PAGES: u64 = CHILD_SPACE + 1;
const FRAME: u64 = CHILD_SPACE + 2;
const IPC_FRAME: u64 = CHILD_SPACE + 3;
const EXIT_BIT: u64 = CHILD_SPACE + 4;
/// The console server's endpoint (unbadged: only this capability may stop the server).
pub const CONSOLE: u64 = CHILD_SPACE + 5;
/// The notification each process's end signals, with its own bit.
pub const EXITS: u64 = CHILD_SPACE + 6;
/// The timer server's endpoint (unbadged: only this capability may stop the server).
pub const TIMER: u64 = CHILD_SPACE + 7;
/// The name service's endpoint (unbadged: the one that may say what others may do).
pub const NAMES: u64 = CHILD_SPACE + 8;
/// init's own endpoint, where it serves the supervisor interface.
pub const SUPERVISOR: u64 = CHILD_SPACE + 9;
/// The processes' shared pool.
pub const POOL: u64 = CHILD_SPACE + 10;
const _: () = assert!(POOL < BootInfo::NAMES_SLOT);

/// The slots of process record `n`: capabilities init keeps to a process's thread and
/// capability space (the kernel deletes them when it ends), the endpoint it serves if it has
/// one of its own, and its own Memory object if it has a budget.
#[derive(Clone, Copy)]
pub struct Record {
    pub thread: Slot,
    pub cspace: Slot,
    pub endpoint: Slot,
    pub memory: Slot,
}

impl Record {
    pub fn new(n: usize) -> Record {
        let first = FIRST_RECORD + RECORD_SLOTS * n as u64;
        Record { thread: at(first), cspace: at(first + 1), endpoint: at(first + 2), memory: at(first + 3) }
    }
}

/// How a process takes part in the system.
pub struct Membership {
    /// Its number with init: the badge of its console, timer and name-service capabilities.
    pub pid: u64,
    /// Whether it gets a console capability (not the console server itself).
    pub console: bool,
    /// Whether it gets a timer capability (not the timer server itself).
    pub timer: bool,
    /// The bit of init's `EXITS` notification its end signals.
    pub exit_bit: u64,
    /// What its `main` receives ([`Launch::argument_for`]).
    pub argument: u64,
}

/// Why a process could not be built.
#[allow(dead_code)] // read through Debug, in init's report
#[derive(Debug)]
pub enum SpawnError {
    Elf(elf::ParseError),
    NotAnX86_64Executable,
    WritableAndExecutable,
    SegmentOutsideUserSpace,
    TruncatedSegment,
    TooManyPages,
    TooManyCapabilities,
    Kernel(Error),
}

impl From<Error> for SpawnError {
    fn from(error: Error) -> Self {
        SpawnError::Kernel(error)
    }
}

/// The scenario's endpoints and notifications, in init's slots from `FIRST_ENDPOINT_SLOT` on.
pub struct Objects {
    count: u8,
}

impl Objects {
    /// Makes the scenario's objects, charged to `memory`.
    pub fn create(memory: Slot, scenario: &Scenario) -> Result<Objects, Error> {
        let count = scenario.object_count();
        if u64::from(count) > OBJECTS_END - BootInfo::FIRST_ENDPOINT_SLOT {
            return Err(Error::TableFull);
        }
        for n in 0..count {
            caps::create(memory, scenario.object_kind(n), Objects::slot(n), 0)?;
        }
        Ok(Objects { count })
    }

    fn slot(n: u8) -> Slot {
        at(BootInfo::FIRST_ENDPOINT_SLOT + u64::from(n))
    }

    /// Deletes init's capabilities to them (the processes keep theirs).
    pub fn delete(&self) {
        for n in 0..self.count {
            let _ = caps::delete(Objects::slot(n));
        }
    }
}

/// Builds and starts the process `launch` describes from `image`, what it is made of charged
/// to `memory`; its Memory capability is a copy of `pool`. init keeps its thread and
/// capability space in `record`. On failure, whatever was built is taken apart again.
pub fn spawn(
    memory: Slot,
    pool: Slot,
    objects: &Objects,
    launch: &Launch,
    image: &[u8],
    membership: &Membership,
    record: &Record,
) -> Result<(), SpawnError> {
    let result = build(memory, pool, objects, launch, image, membership, record);
    // The process holds its own capabilities; init keeps only its record.
    for slot in [CHILD_SPACE, CHILD_PAGES, FRAME, IPC_FRAME, EXIT_BIT] {
        let _ = caps::delete(at(slot));
    }
    // On failure the objects go with init's capabilities to them.
    if result.is_err() {
        let _ = caps::delete(record.thread);
        let _ = caps::delete(record.cspace);
    }
    result
}

fn build(
    memory: Slot,
    pool: Slot,
    objects: &Objects,
    launch: &Launch,
    image: &[u8],
    membership: &Membership,
    record: &Record,
) -> Result<(), SpawnError> {
    let (cspace, space, thread, pages) = (record.cspace, at(CHILD_SPACE), record.thread, at(CHILD_PAGES));
    caps::create_cspace(memory, cspace)?;
    caps::create_address_space(memory, space)?;
    caps::create_thread(memory, thread)?;
    caps::create_cspace(memory, pages)?;
    // The process's slots first, so that its pages' space is held by it from the start.
    let child = |n: u64| SlotPath::within(cspace, at(n));
    caps::copy(pages, child(BootInfo::PAGES_SLOT))?;
    caps::copy(cspace, child(BootInfo::CSPACE_SLOT))?;
    caps::copy(pool, child(BootInfo::MEMORY_SLOT))?;
    caps::copy(space, child(BootInfo::SPACE_SLOT))?;
    caps::copy(thread, child(BootInfo::THREAD_SLOT))?;
    let unknown = |grant: &Grant| matches!(*grant, Grant::Object { object, .. } if object >= objects.count);
    if launch.caps.len() > BootInfo::MAX_ENDPOINTS || launch.caps.iter().any(unknown) {
        return Err(SpawnError::TooManyCapabilities);
    }
    for (n, grant) in launch.caps.iter().enumerate() {
        let dest = child(BootInfo::FIRST_ENDPOINT_SLOT + n as u64);
        match *grant {
            Grant::Object { object, rights, badge, .. } => {
                caps::mint(Objects::slot(object), dest, rights, badge)?
            }
            Grant::Irq { line } => device::irq_handler(at(BootInfo::IRQ_CONTROL_SLOT), line, dest)?,
            Grant::Ports { first, count } => {
                device::io_ports(at(BootInfo::IO_PORTS_SLOT), first, count.into(), dest)?
            }
            Grant::Console => caps::copy(at(CONSOLE), dest)?,
            Grant::Timer => caps::copy(at(TIMER), dest)?,
            Grant::Names => caps::copy(at(NAMES), dest)?,
            Grant::Own => caps::copy(record.endpoint, dest)?,
        }
    }
    let badge = membership.pid;
    // Write and Grant: reading a line, registering an alarm carry a notification capability,
    // registering a name an endpoint.
    let rights = Rights::WRITE.union(Rights::GRANT);
    if membership.console {
        caps::mint(at(CONSOLE), child(BootInfo::CONSOLE_SLOT), rights, badge)?;
    }
    if membership.timer {
        caps::mint(at(TIMER), child(BootInfo::TIMER_SLOT), rights, badge)?;
    }
    caps::mint(at(NAMES), child(BootInfo::NAMES_SLOT), rights.union(Rights::GRANT_REPLY), badge)?;
    caps::mint(at(EXITS), at(EXIT_BIT), Rights::WRITE, membership.exit_bit)?;
    thread::notify_exit(thread, at(EXIT_BIT))?;

    let mut owned = Pages { memory, space, pages, count: 0 };
    let entry = load_segments(&mut owned, image)?;
    for page in 1..=STACK_PAGES {
        owned.add(STACK_TOP - page * PAGE_SIZE, READ_WRITE, 0, &[])?;
    }
    owned.add(BOOT_INFO_ADDR, READ, 0, &boot_info(launch.caps.len(), membership))?;
    // The IPC buffer: thread_configure needs its Frame capability in init's own space.
    caps::create_frame(memory, at(IPC_FRAME))?;
    memory::map(space, at(IPC_FRAME), IPC_BUFFER_ADDR, READ_WRITE)?;
    thread::configure(thread, cspace, space, at(IPC_FRAME), launch.priority)?;
    owned.keep(at(IPC_FRAME))?;
    thread::set_name(thread, launch.program)?;
    thread::start(thread, entry, STACK_TOP - 8, membership.argument)?;
    Ok(())
}

/// The Frames of a process being built, kept in its pages capability space.
struct Pages {
    memory: Slot,
    space: Slot,
    pages: Slot,
    count: u64,
}

impl Pages {
    /// A new zero-filled page at `vaddr` of the process's space with `rights`, with `bytes`
    /// written `offset` bytes in.
    fn add(&mut self, vaddr: u64, rights: Rights, offset: usize, bytes: &[u8]) -> Result<(), SpawnError> {
        caps::create_frame(self.memory, at(FRAME))?;
        if !bytes.is_empty() {
            memory::write_frame(at(FRAME), SCRATCH, offset, bytes)?;
        }
        memory::map(self.space, at(FRAME), vaddr, rights)?;
        self.keep(at(FRAME))
    }

    /// Moves the Frame capability in `frame` into the pages capability space.
    fn keep(&mut self, frame: Slot) -> Result<(), SpawnError> {
        if self.count == MAX_PAGES {
            return Err(SpawnError::TooManyPages);
        }
        caps::move_cap(frame, SlotPath::within(self.pages, at(self.count)))?;
        self.count += 1;
        Ok(())
    }
}

/// Maps every loadable segment of `image`; returns the entry point.
fn load_segments(pages: &mut Pages, image: &[u8]) -> Result<u64, SpawnError> {
    let elf = ElfBytes::<LittleEndian>::minimal_parse(image).map_err(SpawnError::Elf)?;
    if elf.ehdr.e_machine != EM_X86_64 || elf.ehdr.e_type != ET_EXEC {
        return Err(SpawnError::NotAnX86_64Executable);
    }
    let segments = elf.segments().ok_or(SpawnError::NotAnX86_64Executable)?;
    for segment in segments.iter().filter(|s| s.p_type == PT_LOAD) {
        let rights = match (segment.p_flags & PF_W != 0, segment.p_flags & PF_X != 0) {
            (true, true) => return Err(SpawnError::WritableAndExecutable),
            (true, false) => READ_WRITE,
            (false, true) => READ_EXECUTE,
            (false, false) => READ,
        };
        let mem_end =
            segment.p_vaddr.checked_add(segment.p_memsz).ok_or(SpawnError::SegmentOutsideUserSpace)?;
        if mem_end > USER_END || segment.p_vaddr < PAGE_SIZE {
            return Err(SpawnError::SegmentOutsideUserSpace);
        }
        let file_end = segment.p_offset.checked_add(segment.p_filesz).ok_or(SpawnError::TruncatedSegment)?;
        if segment.p_filesz > segment.p_memsz || file_end > image.len() as u64 {
            return Err(SpawnError::TruncatedSegment);
        }
        let file_bytes = &image[segment.p_offset as usize..file_end as usize];
        let first_page = segment.p_vaddr & !(PAGE_SIZE - 1);
        for page in (first_page..mem_end).step_by(PAGE_SIZE as usize) {
            // The part of the file that lands in this page (the rest stays zero: .bss).
            let start = page.max(segment.p_vaddr);
            let end = (page + PAGE_SIZE).min(segment.p_vaddr + segment.p_filesz);
            let bytes = match start < end {
                true => &file_bytes[(start - segment.p_vaddr) as usize..(end - segment.p_vaddr) as usize],
                false => &[][..],
            };
            pages.add(page, rights, (start - page) as usize, bytes)?;
        }
    }
    Ok(elf.ehdr.e_entry)
}

/// The boot-info page of a process given `endpoints` endpoints and the servers' capabilities
/// `membership` says, as bytes.
fn boot_info(endpoints: usize, membership: &Membership) -> [u8; BootInfo::WORDS * 8] {
    let mut info = BootInfo {
        magic: BootInfo::MAGIC,
        cspace_slot: BootInfo::CSPACE_SLOT,
        memory_slot: BootInfo::MEMORY_SLOT,
        endpoint_count: endpoints as u64,
        endpoints: [0; BootInfo::MAX_ENDPOINTS],
        first_free_slot: BootInfo::FIRST_ENDPOINT_SLOT + endpoints as u64,
        thread_slot: BootInfo::THREAD_SLOT,
        space_slot: BootInfo::SPACE_SLOT,
        pages_slot: BootInfo::PAGES_SLOT,
        images_addr: 0,
        console_slot: if membership.console { BootInfo::CONSOLE_SLOT } else { 0 },
        timer_slot: if membership.timer { BootInfo::TIMER_SLOT } else { 0 },
        names_slot: BootInfo::NAMES_SLOT,
    };
    for (n, slot) in info.endpoints.iter_mut().take(endpoints).enumerate() {
        *slot = BootInfo::FIRST_ENDPOINT_SLOT + n as u64;
    }
    let mut bytes = [0; BootInfo::WORDS * 8];
    for (chunk, word) in bytes.chunks_exact_mut(8).zip(info.to_words()) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    bytes
}

/// init's own slot `n` (all below `CSPACE_SLOTS`).
pub fn at(n: u64) -> Slot {
    caps::slot(n).unwrap_or_else(|_| panic!("slot {n} out of range"))
}
