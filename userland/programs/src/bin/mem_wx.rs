//! `wx_mapping_refused`: a page is never mapped writable and executable at once, a mapping
//! needs the rights it asks for, and W^X done right (write through one mapping, execute
//! through another) works.
//!
//! The checker (argument 0) makes a Frame and checks that `map` refuses, with
//! `InvalidArgument`, every right set that is not Read, Read+Write or Read+Execute: R|W|X,
//! W|X, W alone, X alone, none, Read with Grant or GrantReply, Read with an unknown bit (5,
//! 63); that a new Frame capability has every right, Execute included; that a copy minted
//! without Execute cannot be mapped R|X, one minted Read-only cannot be mapped R|W, and an
//! address-space capability without Write maps nothing (`MissingRights`). After the refusals
//! the Frame maps nothing and the Memory figures and `kernel_stats` are unchanged. Then it
//! writes `mov eax, 42; ret` through a read-write mapping, maps a copy of the capability
//! read-execute at another address, reads the code back there and calls it: 42; it rewrites
//! the immediate through the read-write mapping and calls again: 7 (one page, two mappings).
//! At the end everything is deleted and the figures are as at the start. Exits 0.
//!
//! The jumper (argument 1) writes the same code through a read-write mapping at
//! [`RW_AT`] and calls it there: the kernel must stop it with a page fault on an execute at
//! that address (the QEMU check reads the kernel's line); if the call returns, it exits 1.
//!
//! The scribbler (argument 2) writes the code through a read-write mapping, maps a copy of
//! the capability read-execute at [`RX_AT`], calls it there (42), then writes through the
//! read-execute mapping: the kernel must stop it with a page fault on a write at [`RX_AT`];
//! if the write succeeds, it exits 1.
//!
//! The topper (argument 3, `syscall_at_top_of_user_space`) writes a `syscall` instruction
//! into the last two bytes of a Frame, maps it read-execute as the last page of user space
//! and jumps there with an unknown system call number: the call returns to [`USER_END`],
//! which is no user address, so the kernel must stop the process with a general-protection
//! fault at that address (and not fault itself returning there); if it survives, it exits 1.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{mapping, raw, slot, Checks, Hex};
use tryst::abi::{SyscallNumber, PAGE_SIZE, USER_END};
use tryst::memory::{self, READ, READ_EXECUTE, READ_WRITE};
use tryst::{caps, Error, Rights, Slot};

tryst::entry!(main);

/// Where a Frame is mapped read-write (in each process's own address space).
const RW_AT: u64 = 0x4000_0000;
/// Where a copy of its capability is mapped read-execute.
const RX_AT: u64 = 0x4000_2000;

/// The last page of user space, where the topper's `syscall` ends exactly at [`USER_END`].
const TOP_PAGE: u64 = USER_END - PAGE_SIZE;
/// The `syscall` instruction.
const SYSCALL: [u8; 2] = [0x0f, 0x05];

/// `mov eax, 42; ret`: a C function returning 42.
const CODE: [u8; 6] = [0xb8, 42, 0, 0, 0, 0xc3];
/// The offset of `mov eax`'s 32-bit immediate in [`CODE`].
const IMMEDIATE: u64 = 1;

fn main(role: u64) -> u32 {
    match role {
        0 => checker(),
        1 => jumper(),
        2 => scribbler(),
        _ => topper(),
    }
}

/// Writes `bytes` at `addr`.
///
/// # Safety
/// `addr .. addr + bytes.len()` must lie in a page this process maps writable, holding no
/// Rust object.
unsafe fn write_bytes(addr: u64, bytes: &[u8]) {
    for (at, &byte) in (addr..).zip(bytes) {
        // SAFETY: inside a writable page no Rust object uses (the caller vouches). Volatile:
        // the page is also mapped at another address.
        unsafe { core::ptr::write_volatile(at as *mut u8, byte) };
    }
}

/// Whether the bytes at `addr` are `bytes`.
///
/// # Safety
/// `addr .. addr + bytes.len()` must lie in a page this process maps readable.
unsafe fn holds_bytes(addr: u64, bytes: &[u8]) -> bool {
    // SAFETY: inside a readable page (the caller vouches).
    (addr..).zip(bytes).all(|(at, &byte)| unsafe { core::ptr::read_volatile(at as *const u8) } == byte)
}

/// Calls the code at `addr` as a C function returning a `u32`.
///
/// # Safety
/// `addr` must hold a complete function of the C ABI that only sets `eax` and returns (such
/// as [`CODE`]) in a page mapped executable, or in a page that is not executable (then the
/// CPU faults and the kernel stops this process: the point of the jumper).
unsafe fn call_at(addr: u64) -> u32 {
    // SAFETY: a code address becomes a function pointer of the same size; what it points at
    // is the caller's promise.
    let function = unsafe { core::mem::transmute::<u64, extern "C" fn() -> u32>(addr) };
    function()
}

/// `map` with raw `rights` bits, which the kernel decodes and checks itself.
fn map_raw(space: Slot, frame: Slot, vaddr: u64, rights: u64) -> Result<[u64; 6], Error> {
    raw(SyscallNumber::Map, [u64::from(space), u64::from(frame), vaddr, rights, 0, 0])
}

fn checker() -> u32 {
    let mut checks = Checks::new("mem_wx");
    let boot = tryst::boot_info();
    let (boot_memory, own) = (slot(boot.memory_slot), slot(boot.space_slot));
    let first = boot.first_free_slot;
    let (frame, exec_copy, no_exec, read_only, read_only_space) =
        (slot(first), slot(first + 1), slot(first + 2), slot(first + 3), slot(first + 4));

    let start_stats = caps::kernel_stats();
    let start_figures = caps::memory_info(boot_memory);
    checks.ok("create a Frame", caps::create_frame(boot_memory, frame));
    checks.equal(
        "a new Frame capability's rights",
        caps::identify(frame).map(|info| info.rights),
        Ok(Rights::all()),
    );
    let figures = caps::memory_info(boot_memory);
    let stats = caps::kernel_stats();

    let (r, w, x) = (Rights::READ.bits(), Rights::WRITE.bits(), Rights::EXECUTE.bits());
    let refused: [(&str, u64); 9] = [
        ("map R|W|X", r | w | x),
        ("map W|X", w | x),
        ("map W alone", w),
        ("map X alone", x),
        ("map with no rights", 0),
        ("map R|Grant", r | Rights::GRANT.bits()),
        ("map R|GrantReply", r | Rights::GRANT_REPLY.bits()),
        ("map R with unknown bit 5", r | 1 << 5),
        ("map R with unknown bit 63", r | 1 << 63),
    ];
    for (case, rights) in refused {
        checks.error(case, map_raw(own, frame, RW_AT, rights), Error::InvalidArgument);
    }
    checks.equal("the Frame's mapping after the refusals", mapping(frame), Ok(None));

    checks.ok("mint a copy without Execute", caps::mint(frame, no_exec, READ_WRITE, 0));
    checks.error(
        "map the copy without Execute R|X",
        memory::map(own, no_exec, RX_AT, READ_EXECUTE),
        Error::MissingRights,
    );
    checks.ok("mint a read-only copy", caps::mint(frame, read_only, READ, 0));
    checks.error(
        "map the read-only copy R|W",
        memory::map(own, read_only, RW_AT, READ_WRITE),
        Error::MissingRights,
    );
    checks
        .ok("mint a read-only copy of the address space", caps::mint(own, read_only_space, Rights::READ, 0));
    checks.error(
        "map through the address space capability without Write",
        memory::map(read_only_space, frame, RW_AT, READ),
        Error::MissingRights,
    );
    checks.equal(
        "the mappings of the refused copies",
        (mapping(no_exec), mapping(read_only)),
        (Ok(None), Ok(None)),
    );
    checks.holds(
        "after the refusals the Memory figures and kernel_stats are unchanged (copies aside)",
        caps::memory_info(boot_memory) == figures
            && caps::kernel_stats() == caps::KernelStats { capabilities: stats.capabilities + 3, ..stats },
    );

    // W^X done right: write through a read-write mapping, run through a read-execute one.
    checks.ok("map the Frame R|W", memory::map(own, frame, RW_AT, READ_WRITE));
    // SAFETY: RW_AT was just mapped read-write; no Rust object lives there.
    unsafe { write_bytes(RW_AT, &CODE) };
    checks.ok("copy the Frame capability", caps::copy(frame, exec_copy));
    checks.ok("map the copy R|X at another address", memory::map(own, exec_copy, RX_AT, READ_EXECUTE));
    checks.equal(
        "where the Frame and its copy are mapped",
        (mapping(frame), mapping(exec_copy)),
        (Ok(Some(Hex(RW_AT))), Ok(Some(Hex(RX_AT)))),
    );
    // SAFETY: RX_AT was just mapped readable.
    checks.holds("the code reads back through the R|X mapping", unsafe { holds_bytes(RX_AT, &CODE) });
    // SAFETY: RX_AT is mapped executable and holds CODE, a C function that only sets eax.
    checks.equal("what the code returns, called through the R|X mapping", unsafe { call_at(RX_AT) }, 42);
    // SAFETY: the immediate lies in the page mapped read-write at RW_AT.
    unsafe { write_bytes(RW_AT + IMMEDIATE, &7u32.to_le_bytes()) };
    // The system call returns with `iretq`, which serializes: the new code is what runs next.
    checks.equal("the copy's mapping after rewriting the code", mapping(exec_copy), Ok(Some(Hex(RX_AT))));
    // SAFETY: as above; the code is now `mov eax, 7; ret`.
    checks.equal(
        "what the rewritten code returns, called through the R|X mapping",
        unsafe { call_at(RX_AT) },
        7,
    );

    checks.ok("unmap the R|X copy", memory::unmap(exec_copy));
    for cap in [exec_copy, no_exec, read_only, read_only_space, frame] {
        checks.ok("delete a capability", caps::delete(cap));
    }
    checks.holds(
        "at the end the Memory figures and kernel_stats are as at the start",
        caps::memory_info(boot_memory) == start_figures && caps::kernel_stats() == start_stats,
    );
    checks.finish()
}

fn jumper() -> u32 {
    let mut checks = Checks::new("mem_wx jumper");
    let boot = tryst::boot_info();
    let (boot_memory, own, frame) =
        (slot(boot.memory_slot), slot(boot.space_slot), slot(boot.first_free_slot));
    checks.ok("create a Frame", caps::create_frame(boot_memory, frame));
    checks.ok("map the Frame R|W", memory::map(own, frame, RW_AT, READ_WRITE));
    // SAFETY: RW_AT was just mapped read-write; no Rust object lives there.
    unsafe { write_bytes(RW_AT, &CODE) };
    checks.note(format_args!("calling the code in the R|W mapping at {RW_AT:#x}"));
    // SAFETY: RW_AT holds CODE but is not executable: the CPU must fault on the fetch and the
    // kernel must stop this process. Should the call return anyway, CODE is a complete C
    // function, so returning is harmless.
    let value = unsafe { call_at(RW_AT) };
    checks.fail("the call into the R|W mapping", format_args!("returned {value}: it did not fault"));
    checks.finish()
}

fn scribbler() -> u32 {
    let mut checks = Checks::new("mem_wx scribbler");
    let boot = tryst::boot_info();
    let (boot_memory, own) = (slot(boot.memory_slot), slot(boot.space_slot));
    let (frame, exec_copy) = (slot(boot.first_free_slot), slot(boot.first_free_slot + 1));
    checks.ok("create a Frame", caps::create_frame(boot_memory, frame));
    checks.ok("map the Frame R|W", memory::map(own, frame, RW_AT, READ_WRITE));
    // SAFETY: RW_AT was just mapped read-write; no Rust object lives there.
    unsafe { write_bytes(RW_AT, &CODE) };
    checks.ok("copy the Frame capability", caps::copy(frame, exec_copy));
    checks.ok("map the copy R|X", memory::map(own, exec_copy, RX_AT, READ_EXECUTE));
    // SAFETY: RX_AT is mapped executable and holds CODE, a C function that only sets eax.
    checks.equal("what the code returns, called through the R|X mapping", unsafe { call_at(RX_AT) }, 42);
    checks.note(format_args!("writing into the R|X mapping at {RX_AT:#x}"));
    // SAFETY: none: RX_AT is not writable, so the write must fault and the kernel must stop
    // this process. Should it succeed anyway, it changes a byte of a page no Rust object uses.
    unsafe { write_bytes(RX_AT, &[0xcc]) };
    checks.fail("the write into the R|X mapping", format_args!("it did not fault"));
    checks.finish()
}

fn topper() -> u32 {
    let mut checks = Checks::new("mem_wx topper");
    let boot = tryst::boot_info();
    let (boot_memory, own) = (slot(boot.memory_slot), slot(boot.space_slot));
    let (frame, exec_copy) = (slot(boot.first_free_slot), slot(boot.first_free_slot + 1));
    let at = PAGE_SIZE - SYSCALL.len() as u64;
    let mapped = checks.ok("create a Frame", caps::create_frame(boot_memory, frame)).is_some()
        && checks.ok("map the Frame R|W", memory::map(own, frame, RW_AT, READ_WRITE)).is_some()
        && checks.ok("copy the Frame capability", caps::copy(frame, exec_copy)).is_some()
        && checks
            .ok("map the copy R|X as the last page", memory::map(own, exec_copy, TOP_PAGE, READ_EXECUTE))
            .is_some();
    if !mapped {
        return checks.finish();
    }
    // SAFETY: RW_AT was just mapped read-write; no Rust object lives there.
    unsafe { write_bytes(RW_AT + at, &SYSCALL) };
    checks.note(format_args!(
        "making a system call from the last two bytes of user space, at {:#x}",
        TOP_PAGE + at
    ));
    // SAFETY: TOP_PAGE + at holds `syscall` in an executable page. The kernel answers the
    // unknown number with an error code and must then stop this process, since the call's
    // return address is USER_END; nothing here runs again.
    unsafe {
        core::arch::asm!("mov eax, 0xffff", "jmp rcx", in("rcx") TOP_PAGE + at, options(noreturn));
    }
}
