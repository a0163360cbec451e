//! The name service's protocol, and its client side: servers register endpoints under names,
//! clients look names up and get an endpoint capability badged with their own number, so the
//! server can tell its callers apart.
//!
//! init starts the name service (the `names` program) in every system and gives each process
//! an endpoint capability to it in slot [`BootInfo::NAMES_SLOT`] (the boot-info page's
//! `names_slot`), badged with the process's number. What each process may register and look
//! up is the system manifest's to say: init tells the name service before it starts anyone
//! else, and anything else is refused with [`Error::MissingRights`].
//!
//! | request | words | capabilities | answer |
//! |---|---|---|---|
//! | [`REGISTER`] | the name | the endpoint, unbadged | — |
//! | [`LOOKUP`] | the name | — | the endpoint, badged with the caller's number |
//! | [`ALLOW`] | process number, the name, [`MAY_REGISTER`] \| [`MAY_LOOK_UP`] | — | — |
//!
//! A registration lasts while its endpoint does: a restarted server's endpoint is a new one,
//! which it registers again, and until it has, a look-up is [`Error::NotFound`].
//!
//! [`BootInfo::NAMES_SLOT`]: tryst_abi::BootInfo::NAMES_SLOT

use crate::interface::{self, Name};
use crate::ipc::{self, answered, MessageExt};
use crate::{raw, Error, Slot};

/// Register the endpoint capability the request carries under the name.
pub const REGISTER: u64 = 1;
/// Answer a capability to the endpoint registered under the name.
pub const LOOKUP: u64 = 2;
/// Let a process register or look up a name; only init's unbadged capability may.
pub const ALLOW: u64 = 3;

/// [`ALLOW`]: the process may register the name.
pub const MAY_REGISTER: u64 = 1;
/// [`ALLOW`]: the process may look the name up.
pub const MAY_LOOK_UP: u64 = 2;

/// This process's capability to the name service, if it was given one.
pub fn endpoint() -> Option<Slot> {
    match raw::boot_info().names_slot {
        0 => None,
        slot => Slot::new(slot).ok(),
    }
}

/// Registers the unbadged endpoint capability in `endpoint` under `name` with the system's
/// name service; a registration the manifest does not allow is [`Error::MissingRights`].
pub fn register(name: &str, endpoint: Slot) -> Result<(), Error> {
    register_at(self::endpoint().ok_or(Error::EmptySlot)?, name, endpoint)
}

/// [`register`] with the name service whose capability is in `names`.
pub fn register_at(names: Slot, name: &str, endpoint: Slot) -> Result<(), Error> {
    let name = Name::new(name).ok_or(Error::InvalidArgument)?;
    let request = interface::message(REGISTER, &name).with_caps(&[endpoint]);
    answered(&ipc::call(names, request)?)
}

/// Looks `name` up with the system's name service and puts the endpoint capability it
/// answers (badged with this process's number) in the empty slot `into`.
/// [`Error::NotFound`] when nothing is registered under it now, [`Error::MissingRights`]
/// when the manifest does not let this process look it up, [`Error::SlotOccupied`] when the
/// capability could not land because `into` was not empty. The thread's IPC buffer (its
/// receive slots among it) is as it was afterwards: a typed call may look a name up again in
/// the middle of a server's work.
pub fn lookup(name: Name, into: Slot) -> Result<(), Error> {
    let names = endpoint().ok_or(Error::EmptySlot)?;
    raw::preserving_ipc_buffer(|| {
        ipc::set_receive_slots(&[into]);
        let answer = ipc::call(names, interface::message(LOOKUP, &name))?;
        answered(&answer)?;
        // The service answers every successful lookup with the capability; only a receive
        // slot that is not empty keeps it out.
        match answer.info.caps {
            1 => Ok(()),
            _ => Err(Error::SlotOccupied),
        }
    })
}

/// Tells the name service at `names` (through init's unbadged capability) that process
/// `process` may do `may` ([`MAY_REGISTER`], [`MAY_LOOK_UP`]) with `name`.
pub fn allow(names: Slot, process: u64, name: Name, may: u64) -> Result<(), Error> {
    answered(&ipc::call(names, interface::message(ALLOW, &(process, name, may)))?)
}
