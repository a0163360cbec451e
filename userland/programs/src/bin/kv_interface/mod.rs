//! The key-value store's interface, shared by the server (`kv`) and its clients: declared once,
//! the client stub and the server's dispatch both come from it.

use tryst::interface::Name;

tryst::interface! {
    /// A key-value store: short names to numbers.
    pub mod kv {
        /// Stores `value` under `key`, replacing what was there (`TableFull` when there is no
        /// room for a new key).
        fn put(key: Name, value: u64) -> () = 1;
        /// The value stored under `key` (`NotFound` if none is).
        fn get(key: Name) -> u64 = 2;
        /// Removes `key`; returns the value it had (`NotFound` if none).
        fn remove(key: Name) -> u64 = 3;
        /// How many keys are stored.
        fn len() -> u8 = 4;
    }
}
