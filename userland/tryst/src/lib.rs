//! The Tryst user library: safe wrappers for every system call, the process runtime
//! (`entry!`, the panic handler) and printing through the console server.
//!
//! A program looks like this:
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! tryst::entry!(main);
//! fn main(argument: u64) -> u32 {
//!     tryst::println!("hello from user space, argument {argument}");
//!     0
//! }
//! ```
// Host unit tests (`cargo test` at the top) build this crate with std; programs never do.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

pub mod ast;
pub mod caps;
pub mod console;
pub mod device;
pub mod fault;
pub mod interface;
pub mod ipc;
pub mod memory;
pub mod names;
pub mod notify;
pub mod print;
pub mod raw;
pub mod ring;
pub mod supervisor;
pub mod thread;
pub mod timer;

pub use tryst_abi as abi;
pub use tryst_abi::{BootInfo, Error, Message, ObjectKind, Rights, Slot};

use tryst_abi::{status_to_result, Syscall, UserBuffer};

/// Makes a decoded system call and returns its value slots.
fn call(call: Syscall) -> Result<[u64; tryst_abi::VALUE_SLOTS], Error> {
    let (number, args) = call.encode();
    // SAFETY: `Syscall` values are built from safe references (see each wrapper), so any
    // buffer they name is initialized memory of this process.
    let (status, values) = unsafe { raw::syscall(number, args) };
    match status_to_result(status) {
        Ok(()) => Ok(values),
        Err(Ok(error)) => Err(error),
        Err(Err(unknown)) => unknown_status(unknown),
    }
}

/// A status the kernel cannot return: this library and the kernel disagree on the ABI.
#[cold]
#[inline(never)]
fn unknown_status(status: u64) -> ! {
    panic!("the kernel returned status {status}, which this library does not know")
}

/// Writes `bytes` to the kernel's debug output (at most [`abi::DEBUG_WRITE_MAX`] at once);
/// returns how many bytes were written. Programs print through the console server instead
/// (`println!`); this is the path for init, the console server and debugging.
pub fn debug_write(bytes: &[u8]) -> Result<usize, Error> {
    let buf = UserBuffer { addr: bytes.as_ptr() as u64, len: bytes.len() as u64 };
    call(Syscall::DebugWrite { buf }).map(|v| v[0] as usize)
}

/// Gives the rest of this time slice to other ready threads of the same priority.
pub fn yield_now() {
    // Yield takes no arguments and cannot fail.
    let _ = call(Syscall::Yield);
}

/// Ends this process with `status`, which the kernel reports.
pub fn exit(status: u32) -> ! {
    let _ = call(Syscall::Exit { status });
    unreachable!("exit returned")
}

/// Blocks for at least `ticks` timer ticks ([`abi::TICK_HZ`] per second); returns the tick
/// count at wake-up. Fails with [`Error::InvalidArgument`] above [`abi::SLEEP_MAX_TICKS`].
pub fn sleep(ticks: u64) -> Result<u64, Error> {
    call(Syscall::Sleep { ticks }).map(|v| v[0])
}

/// Timer ticks since boot.
pub fn now() -> u64 {
    // A zero-tick sleep only reads the clock and cannot fail.
    call(Syscall::Sleep { ticks: 0 }).map_or(0, |v| v[0])
}

/// This process's boot-info page: the slots of its initial capabilities.
pub fn boot_info() -> BootInfo {
    raw::boot_info()
}

/// The boot images (every program's ELF file and the kernel command line), which only init
/// is given; `None` in every other process.
pub fn boot_images() -> Option<abi::BootImages<'static>> {
    raw::boot_images(boot_info().images_addr)
}

/// Declares the program's `main(argument: u64) -> u32`: the runtime calls it with the
/// argument the process was started with and exits with what it returns.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        extern "C" fn _start(argument: u64) -> ! {
            let main: fn(u64) -> u32 = $main;
            $crate::exit(main(argument))
        }
    };
}

// Only on the bare-metal target: host builds (tests, doctests) link std's panic handler.
#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("panic: {info}");
    exit(101)
}
