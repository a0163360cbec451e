//! The portable heart of Tryst: kernel objects, capabilities, IPC, scheduling, frame
//! accounting and the meaning of every system call, as a state machine the kernel crate
//! drives and the host tests exercise.
//!
//! Nothing here touches hardware: the kernel crate implements [`Machine`] and calls
//! [`Kernel`] on every entry (system call, fault, timer tick); [`Kernel::schedule`] then says
//! which thread to resume.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![feature(rust_preserve_none_cc)]

pub use tryst_abi as abi;

pub mod arena;
pub mod cspace;
pub mod fault;
pub mod frames;
pub mod kernel;
pub mod machine;
#[cfg(test)]
mod mock;
pub mod objects;
pub mod pages;
pub mod sched;
pub mod thread;

pub use fault::{Access, Fault};
pub use kernel::{AfterSyscall, Kernel, SpawnError, Stats, TIME_SLICE_TICKS};
pub use machine::Machine;
pub use thread::{Name, Priority, ThreadId, MAX_THREADS};
