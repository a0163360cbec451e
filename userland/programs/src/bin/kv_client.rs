//! The tutorial's client (docs/tutorial.md): looks the key-value store up by name and uses it
//! through the client stub its interface declaration made.
#![no_std]
#![no_main]

mod kv_interface;

use kv_interface::kv;
use tryst::interface::Name;
use tryst::{println, Error, Slot};

tryst::entry!(main);

fn main(_: u64) -> u32 {
    match run() {
        Ok(()) => 0,
        Err(error) => {
            println!("kv_client: failed: {error:?}");
            1
        }
    }
}

fn run() -> Result<(), Error> {
    // An empty slot for the endpoint capability the name service answers.
    let slot = Slot::new(tryst::boot_info().first_free_slot)?;
    let store = kv::Client::lookup("kv", slot)?;
    let key = |text| Name::new(text).ok_or(Error::InvalidArgument);
    store.put(key("apples")?, 3)?;
    store.put(key("pears")?, 5)?;
    store.put(key("apples")?, 4)?;
    println!("kv_client: apples = {}, pears = {}", store.get(key("apples")?)?, store.get(key("pears")?)?);
    println!("kv_client: {} keys stored", store.len()?);
    println!("kv_client: removed pears = {}", store.remove(key("pears")?)?);
    match store.get(key("pears")?) {
        Err(Error::NotFound) => println!("kv_client: pears is gone: NotFound"),
        other => println!("kv_client: pears after removing it: {other:?}"),
    }
    Ok(())
}
