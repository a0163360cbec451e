//! The counter server: serves the `counter` interface on the endpoint init made for it,
//! registered as `"counter"`. Its `crash` operation faults it on purpose, so that the tests
//! can watch init restart it with fresh state (a total of 0).
#![no_std]
#![no_main]

mod caps_common;
mod counter_interface;

use counter_interface::counter;
use tryst::interface::Name;
use tryst::{names, println, Error};

tryst::entry!(main);

struct Counter {
    total: u64,
}

impl counter::Server for Counter {
    fn add(&mut self, _: u64, n: u64) -> Result<u64, Error> {
        self.total = self.total.checked_add(n).ok_or(Error::InvalidArgument)?;
        Ok(self.total)
    }

    fn total(&mut self, _: u64) -> Result<u64, Error> {
        Ok(self.total)
    }

    fn whoami(&mut self, caller: u64) -> Result<u64, Error> {
        Ok(caller)
    }

    fn crash(&mut self, caller: u64) -> Result<(), Error> {
        println!("counter: crashing, as process {caller} asks");
        // SAFETY: not safe at all, on purpose: page 0 is never mapped, so this read faults and
        // the kernel ends the process (it has no fault handler) before the call returns.
        unsafe { core::arch::asm!("mov {0}, [0]", out(reg) _) };
        Err(Error::InvalidState)
    }

    fn echo(
        &mut self,
        _: u64,
        label: Name,
        flag: bool,
        small: u8,
        signed: i64,
    ) -> Result<(Name, bool, u8, i64, u64), Error> {
        Ok((label, flag, small, signed, u64::from(small) + self.total))
    }
}

fn main(_: u64) -> u32 {
    let endpoint = caps_common::boot_endpoint(0);
    if let Err(error) = names::register("counter", endpoint) {
        println!("counter: cannot register: {error:?}");
        return 1;
    }
    println!("counter: serving, total 0");
    let error = counter::serve(&mut Counter { total: 0 }, endpoint);
    println!("counter: stopped serving: {error:?}");
    1
}
