//! Helpers shared by the `caps_*` programs of the capability scenarios
//! (`userland/programs/src/bin/init/scenarios/caps.rs`): slot numbers, checks that print one line each, and the
//! raw system call for deliberately malformed calls.
//!
//! Each program includes this file with `mod caps_common;`. It is not a program of its own:
//! Cargo and the kernel's build.rs only take `src/bin/*.rs` (and `src/bin/*/main.rs`).
//!
//! Every check prints a line starting with the program's name. A check that holds prints
//! `NAME: CASE: got ERROR, as expected` or `NAME: CASE: VALUE, as expected`; one that does not
//! prints `NAME: CASE: FAILED, ...`, which the QEMU checks reject.
#![allow(dead_code)]

use core::fmt::Debug;

use tryst::abi::SyscallNumber;
use tryst::{println, Error, Slot};

/// Slot `number`, which the program knows is below `CSPACE_SLOTS`.
pub fn slot(number: u64) -> Slot {
    Slot::new(number).expect("slot number in range")
}

/// The `n`th endpoint this process was given at boot.
pub fn boot_endpoint(n: usize) -> Slot {
    slot(tryst::boot_info().endpoints[n])
}

/// A system call made exactly as given, without the library's checks: for calls the library
/// cannot express (a slot number >= 128, a 65-word message). Returns the value slots, or the
/// error the kernel answered.
pub fn raw(number: SyscallNumber, args: [u64; 6]) -> Result<[u64; 6], Error> {
    // SAFETY: the caps programs pass no buffer addresses this way; the kernel must reject each
    // malformed call with an error code, without touching this process's memory.
    let (status, values) = unsafe { tryst::raw::syscall(number.into(), args) };
    match status {
        0 => Ok(values),
        status => Err(Error::try_from(status).unwrap_or_else(|s| panic!("unknown status {s}"))),
    }
}

/// Counts checks and failures for one program and prints a line for each.
pub struct Checks {
    who: &'static str,
    checks: u32,
    failures: u32,
}

impl Checks {
    /// No checks yet; lines start with `who`.
    pub const fn new(who: &'static str) -> Checks {
        Checks { who, checks: 0, failures: 0 }
    }

    /// The call must have failed with `expected`: `WHO: CASE: got EXPECTED, as expected`.
    pub fn error<T: Debug>(&mut self, case: &str, result: Result<T, Error>, expected: Error) -> bool {
        self.checks += 1;
        match result {
            Err(error) if error == expected => {
                println!("{}: {case}: got {expected:?}, as expected", self.who);
                true
            }
            other => {
                self.fail(case, format_args!("got {other:?}, expected Err({expected:?})"));
                false
            }
        }
    }

    /// The call must have succeeded; returns its value. Silent when it did.
    pub fn ok<T>(&mut self, case: &str, result: Result<T, Error>) -> Option<T> {
        self.checks += 1;
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.fail(case, format_args!("got Err({error:?}), expected success"));
                None
            }
        }
    }

    /// `got` must equal `want`: `WHO: CASE: WANT, as expected`.
    pub fn equal<T: Debug + PartialEq>(&mut self, case: &str, got: T, want: T) -> bool {
        self.checks += 1;
        if got == want {
            println!("{}: {case}: {want:?}, as expected", self.who);
            true
        } else {
            self.fail(case, format_args!("got {got:?}, expected {want:?}"));
            false
        }
    }

    /// `holds` must be true: `WHO: CASE, as expected`.
    pub fn holds(&mut self, case: &str, holds: bool) -> bool {
        self.checks += 1;
        if holds {
            println!("{}: {case}, as expected", self.who);
        } else {
            self.fail(case, format_args!("does not hold"));
        }
        holds
    }

    /// Records and prints a failure: `WHO: CASE: FAILED, DETAIL`.
    pub fn fail(&mut self, case: &str, detail: core::fmt::Arguments) {
        self.failures += 1;
        println!("{}: {case}: FAILED, {detail}", self.who);
    }

    /// Prints a plain progress line: `WHO: TEXT`.
    pub fn note(&self, text: core::fmt::Arguments) {
        println!("{}: {text}", self.who);
    }

    /// The summary line and the exit status: 0 when every check held, else 1.
    pub fn finish(self) -> u32 {
        if self.failures == 0 {
            println!("{}: all {} checks passed", self.who, self.checks);
            0
        } else {
            println!("{}: {} of {} checks FAILED", self.who, self.failures, self.checks);
            1
        }
    }
}

/// A number that prints in hexadecimal, as `{:#x}`, in check lines (addresses, words).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Hex(pub u64);

impl Debug for Hex {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// `mapping(frame)` with the address in hexadecimal: `Ok(Some(0x40000000))`, `Ok(None)`, or the
/// error.
pub fn mapping(frame: Slot) -> Result<Option<Hex>, Error> {
    tryst::memory::mapping(frame).map(|vaddr| vaddr.map(Hex))
}
