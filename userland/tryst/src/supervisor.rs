//! init's supervisor interface: what it knows of the processes it started and the endpoints it
//! made for them, and `kill`. init registers it with the name service as `"init"`; the
//! manifest says who may look it up (the shell does).

use crate::interface::Name;

pub use protocol::*;

/// A process's record, as [`Client::process`] answers it: its number with init
/// (the badge of its console, timer and name-service capabilities), its thread's number in the
/// kernel's reports (0 while it is not running), its program, its state ([`ENDED`], or a
/// [`ThreadRunState`](crate::abi::ThreadRunState) code), its priority and how often init has
/// restarted it.
pub type ProcessRecord = (u64, u64, Name, u8, u8, u32);

/// [`ProcessRecord`]'s state when the process has ended (and is not being restarted).
pub const ENDED: u8 = 0xff;

/// An endpoint's record, as [`Client::endpoint`] answers it: the program serving
/// it, then the kernel's counters of messages, calls, replies and capabilities transferred.
pub type EndpointRecord = (Name, u64, u64, u64, u64);

crate::interface! {
    /// The operations init serves (re-exported above).
    pub mod protocol {
        /// How many process records init keeps (ended ones included).
        fn process_count() -> u8 = 1;
        /// Record `index` (below `process_count`).
        fn process(index: u8) -> ProcessRecord = 2;
        /// Ends process `pid` (by its number with init); a supervised server is restarted.
        fn kill(pid: u64) -> () = 3;
        /// The capability in slot `slot` of process `pid`: its kind, rights and badge
        /// (`EmptySlot` if there is none).
        fn capability(pid: u64, slot: u8) -> (u64, u64, u64) = 4;
        /// How many endpoints init made for servers.
        fn endpoint_count() -> u8 = 5;
        /// Endpoint `index`'s record (below `endpoint_count`).
        fn endpoint(index: u8) -> EndpointRecord = 6;
        /// The budget and use of process `pid`'s own Memory object (`EmptySlot` if it shares
        /// the pool).
        fn memory(pid: u64) -> (u64, u64) = 7;
    }
}
