//! The counter's interface, shared by the server (`counter`) and its clients.

use tryst::interface::Name;

tryst::interface! {
    /// A counter: supervision's test subject, and a tour of the argument types.
    pub mod counter {
        /// Adds `n`; returns the new total.
        fn add(n: u64) -> u64 = 1;
        /// The total since this instance started.
        fn total() -> u64 = 2;
        /// The caller's badge, as the server sees it.
        fn whoami() -> u64 = 3;
        /// Faults the server on purpose (it reads address 0): the call never returns a value.
        fn crash() -> () = 4;
        /// Echoes its arguments back, with the sum of `small` and the total.
        fn echo(label: Name, flag: bool, small: u8, signed: i64) -> (Name, bool, u8, i64, u64) = 5;
    }
}
