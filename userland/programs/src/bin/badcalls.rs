//! Makes malformed system calls and checks each gets its documented error, then shows the
//! kernel still works.
#![no_std]
#![no_main]

use tryst::abi::{Error, SyscallNumber, DEBUG_WRITE_MAX, SLEEP_MAX_TICKS, USER_END};
use tryst::println;

tryst::entry!(main);

/// The top of the user stack (see the kernel's process.rs); the page above is unmapped.
const STACK_TOP: u64 = 0x0000_7fff_ffff_0000;

fn raw(number: u64, a0: u64, a1: u64) -> u64 {
    // SAFETY: the kernel must reject every malformed call below without touching our memory.
    unsafe { tryst::raw::syscall(number, [a0, a1, 0, 0, 0, 0]).0 }
}

fn main(_: u64) -> u32 {
    let write = SyscallNumber::DebugWrite as u64;
    let unknown = SyscallNumber::ALL.len() as u64;
    let cases: [(&str, u64, Error); 11] = [
        ("unknown syscall (one past the last)", raw(unknown, 0, 0), Error::UnknownSyscall),
        ("unknown syscall u64::MAX", raw(u64::MAX, 0, 0), Error::UnknownSyscall),
        ("debug_write too long", raw(write, 0x40_0000, DEBUG_WRITE_MAX + 1), Error::InvalidArgument),
        ("debug_write from kernel space", raw(write, 0xffff_ffff_8010_0000, 8), Error::BadAddress),
        ("debug_write from the direct map", raw(write, 0xffff_8000_0010_0000, 8), Error::BadAddress),
        ("debug_write from unmapped memory", raw(write, 0x1000_0000, 8), Error::BadAddress),
        ("debug_write wrapping around", raw(write, u64::MAX - 3, 8), Error::BadAddress),
        ("debug_write off the stack top", raw(write, STACK_TOP - 4, 8), Error::BadAddress),
        ("debug_write at the canonical hole", raw(write, USER_END, 1), Error::BadAddress),
        ("sleep too long", raw(SyscallNumber::Sleep as u64, SLEEP_MAX_TICKS + 1, 0), Error::InvalidArgument),
        ("exit status out of range", raw(SyscallNumber::Exit as u64, 1 << 40, 0), Error::InvalidArgument),
    ];
    let mut failures = 0;
    for (name, status, expected) in cases {
        if status == expected as u64 {
            println!("badcalls: {name}: {expected:?}, as expected");
        } else {
            println!("badcalls: {name}: FAILED, status {status}, expected {expected:?}");
            failures += 1;
        }
    }
    match tryst::debug_write(b"badcalls: the kernel still answers\n") {
        Ok(35) => {}
        other => {
            println!("badcalls: a good write after the bad ones: FAILED, {other:?}");
            failures += 1;
        }
    }
    if failures == 0 {
        0
    } else {
        1
    }
}
