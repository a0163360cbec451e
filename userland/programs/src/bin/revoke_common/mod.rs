//! Timing `cap_revoke` and `cap_delete` of many copies of one endpoint, chained (each copy
//! made from the one before) or flat (each made from the endpoint), for the revoke scenarios
//! and the revoke benchmark. The copies go into capability spaces made for them.
//!
//! Included with `mod revoke_common;`; not a program of its own.
#![allow(dead_code)]

use tryst::abi::SlotPath;
use tryst::raw::timestamp;
use tryst::{caps, Error, Slot};

/// Slots of a capability space made for the copies (a new one has all of them empty).
const SLOTS_PER_SPACE: u64 = 128;

/// How a revoke went.
pub struct Revoke {
    /// Instructions (time-stamp ticks under `-icount shift=0`) it took.
    pub instructions: u64,
    /// Capabilities it deleted.
    pub deleted: u64,
    /// Timer ticks the kernel counted while it ran.
    pub ticks: u64,
}

impl Revoke {
    /// Instructions per capability deleted.
    pub fn per_copy(&self) -> u64 {
        self.instructions / self.deleted.max(1)
    }
}

/// Makes a new endpoint in slot `first` and `length` copies of it (`chained` or flat), in
/// capability spaces named from slot `first + 1` on; revokes the endpoint and times that;
/// then deletes all of it. `memory` pays.
pub fn time_revoke(memory: Slot, first: u64, length: u64, chained: bool) -> Result<Revoke, Error> {
    let spaces = make_copies(memory, first, length, chained)?;
    let before = caps::kernel_stats().capabilities;
    let (start, ticks) = (timestamp(), tryst::now());
    caps::revoke(slot(first)?)?;
    let (instructions, ticks) = (timestamp() - start, tryst::now() - ticks);
    let deleted = before - caps::kernel_stats().capabilities;
    for n in 0..spaces {
        caps::delete(slot(first + 1 + n)?)?;
    }
    caps::delete(slot(first)?)?;
    Ok(Revoke { instructions, deleted, ticks })
}

/// What deleting from the top of a derivation tree cost, in instructions.
pub struct Delete {
    /// Deleting the capability space that holds the first 128 copies.
    pub space: u64,
    /// Deleting the endpoint's original capability, with the other copies still below it.
    pub original: u64,
}

/// Makes a new endpoint in slot `first` and `length` copies of it (`chained` or flat), as
/// `time_revoke` does; deletes the capability space holding the first 128 copies, then the
/// endpoint's original capability, and times both; then deletes the rest. `memory` pays.
pub fn time_delete(memory: Slot, first: u64, length: u64, chained: bool) -> Result<Delete, Error> {
    let spaces = make_copies(memory, first, length, chained)?;
    let start = timestamp();
    caps::delete(slot(first + 1)?)?;
    let space = timestamp() - start;
    let start = timestamp();
    caps::delete(slot(first)?)?;
    let original = timestamp() - start;
    for n in 1..spaces {
        caps::delete(slot(first + 1 + n)?)?;
    }
    Ok(Delete { space, original })
}

/// Makes the endpoint in slot `first` and its `length` copies, in capability spaces made in
/// slots `first + 1 ..`; returns how many spaces.
fn make_copies(memory: Slot, first: u64, length: u64, chained: bool) -> Result<u64, Error> {
    let root = slot(first)?;
    let spaces = length.div_ceil(SLOTS_PER_SPACE);
    caps::create_endpoint(memory, root)?;
    for n in 0..spaces {
        caps::create_cspace(memory, slot(first + 1 + n)?)?;
    }
    let mut from: SlotPath = root.into();
    for n in 0..length {
        let to = SlotPath::within(slot(first + 1 + n / SLOTS_PER_SPACE)?, slot(n % SLOTS_PER_SPACE)?);
        caps::copy(from, to)?;
        if chained {
            from = to;
        }
    }
    Ok(spaces)
}

fn slot(n: u64) -> Result<Slot, Error> {
    Slot::new(n)
}
