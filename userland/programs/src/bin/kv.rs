//! The key-value store server: the tutorial's example (docs/tutorial.md). It serves the `kv`
//! interface on the endpoint init made for it, registered with the name service as `"kv"`.
#![no_std]
#![no_main]

mod caps_common;
mod kv_interface;

use kv_interface::kv;
use tryst::interface::Name;
use tryst::{names, println, Error};

tryst::entry!(main);

/// The most keys it holds.
const CAPACITY: usize = 16;

/// The store: its keys and values.
struct Store {
    entries: [Option<(Name, u64)>; CAPACITY],
}

impl Store {
    fn find(&self, key: Name) -> Option<usize> {
        self.entries.iter().position(|entry| entry.is_some_and(|(k, _)| k == key))
    }
}

impl kv::Server for Store {
    fn put(&mut self, _caller: u64, key: Name, value: u64) -> Result<(), Error> {
        let index = self.find(key).or_else(|| self.entries.iter().position(Option::is_none));
        let entry = index.map(|i| &mut self.entries[i]).ok_or(Error::TableFull)?;
        *entry = Some((key, value));
        Ok(())
    }

    fn get(&mut self, _caller: u64, key: Name) -> Result<u64, Error> {
        let index = self.find(key).ok_or(Error::NotFound)?;
        Ok(self.entries[index].map_or(0, |(_, value)| value))
    }

    fn remove(&mut self, _caller: u64, key: Name) -> Result<u64, Error> {
        let index = self.find(key).ok_or(Error::NotFound)?;
        Ok(self.entries[index].take().map_or(0, |(_, value)| value))
    }

    fn len(&mut self, _caller: u64) -> Result<u8, Error> {
        Ok(self.entries.iter().flatten().count() as u8)
    }
}

fn main(_: u64) -> u32 {
    let endpoint = caps_common::boot_endpoint(0);
    if let Err(error) = names::register("kv", endpoint) {
        println!("kv: cannot register: {error:?}");
        return 1;
    }
    println!("kv: serving");
    let error = kv::serve(&mut Store { entries: [None; CAPACITY] }, endpoint);
    println!("kv: stopped serving: {error:?}");
    1
}
