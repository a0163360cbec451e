//! A client of the name service, checking it from the outside (scenarios in
//! `init/scenarios/system.rs`). The argument picks the check:
//! - `LOOKUP`: a looked-up capability is an endpoint badged with this process's number, which
//!   the server sees; it calls only, never receives.
//! - `UNKNOWN`: a name nobody registered is `NotFound`, a name the manifest does not let this
//!   process look up is `MissingRights`, a lookup into an occupied slot is `SlotOccupied`.
//! - `REGISTER`: registering a name the manifest does not allow is `MissingRights`, and the
//!   real registration stays; an allowed one takes only an unbadged endpoint.
#![no_std]
#![no_main]

mod caps_common;
mod counter_interface;

use caps_common::{slot, Checks};
use counter_interface::counter;
use tryst::abi::{ObjectKind, Rights};
use tryst::interface::Name;
use tryst::{caps, names, Error};

tryst::entry!(main);

const LOOKUP: u64 = 0;
const UNKNOWN: u64 = 1;
const REGISTER: u64 = 2;

fn main(check: u64) -> u32 {
    let mut checks = Checks::new("names_client");
    let first = tryst::boot_info().first_free_slot;
    let (a, b, own) = (slot(first), slot(first + 1), slot(first + 2));
    let name = |text| Name::new(text).expect("a short name");
    match check {
        LOOKUP => {
            checks.ok("look up counter", names::lookup(name("counter"), a));
            if let Some(cap) = checks.ok("identify it", caps::identify(a)) {
                checks.equal("its kind", cap.kind, Some(ObjectKind::Endpoint));
                checks.holds("it may call", cap.rights.contains(Rights::WRITE));
                checks.holds("it may not receive", !cap.rights.contains(Rights::READ));
                checks.holds("it is badged", cap.badge != 0);
                let seen = counter::Client::new(a).whoami();
                checks.equal("the badge the server sees", seen, Ok(cap.badge));
            }
            checks.equal("a call through it", counter::Client::new(a).add(2), Ok(2));
            checks.ok("look it up again", names::lookup(name("counter"), b));
            let badges = caps::identify(a).map(|c| c.badge) == caps::identify(b).map(|c| c.badge);
            checks.holds("the same badge both times", badges);
            checks.equal("a call through the second", counter::Client::new(b).total(), Ok(2));
        }
        UNKNOWN => {
            checks.error("look up nobody", names::lookup(name("nobody"), a), Error::NotFound);
            checks.error("look up kv (not allowed)", names::lookup(name("kv"), a), Error::MissingRights);
            checks.error("look up init (not allowed)", names::lookup(name("init"), a), Error::MissingRights);
            checks.error("nothing landed", caps::identify(a), Error::EmptySlot);
            let long = counter::Client::lookup("a name longer than 24 bytes", a);
            checks.error("a name too long", long.map(drop), Error::InvalidArgument);
            checks.ok("look up counter (allowed)", names::lookup(name("counter"), a));
            let before = caps::identify(a).map(|cap| cap.badge);
            checks.error("look up into a full slot", names::lookup(name("counter"), a), Error::SlotOccupied);
            checks.equal("its capability is untouched", caps::identify(a).map(|cap| cap.badge), before);
        }
        REGISTER => {
            checks.ok("make an endpoint", caps::create_endpoint(slot(tryst::boot_info().memory_slot), own));
            checks.error("register counter", names::register("counter", own), Error::MissingRights);
            checks.error("register mine (in no rule)", names::register("mine", own), Error::MissingRights);
            checks.ok("look up counter", names::lookup(name("counter"), a));
            let server = counter::Client::new(a).whoami().is_ok();
            checks.holds("counter is still the real server", server);
            checks.ok("mint a badged copy", caps::mint(own, b, Rights::of(ObjectKind::Endpoint), 9));
            checks.error(
                "register scratch with a badged endpoint",
                names::register("scratch", b),
                Error::InvalidArgument,
            );
            checks.ok("register scratch (allowed)", names::register("scratch", own));
            checks.ok("look scratch up", caps::delete(a).and_then(|()| names::lookup(name("scratch"), a)));
            let badge = caps::identify(a).map(|cap| cap.badge).unwrap_or(0);
            checks.holds("it came back badged", badge != 0);
        }
        _ => checks.fail("argument", format_args!("unknown check {check}")),
    }
    checks.finish()
}
