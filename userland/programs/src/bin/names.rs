//! The name service: servers register endpoints under names, clients look names up and get
//! an endpoint capability badged with their own process number (see `tryst::names` for the
//! protocol). What each process may register and look up, init says (`ALLOW`) from the system
//! manifest before anyone else runs; everything else is refused with `MissingRights`, and a
//! name that is neither registered nor in any rule is `NotFound` to everyone.
//!
//! A registration is a capability to the server's endpoint, kept in this server's slots.
//! When init restarts a server it revokes that endpoint, which empties the slot here: the
//! name is then `NotFound` until the new instance registers its new endpoint.
//!
//! Boot capabilities: its endpoint (unbadged: init's; every process's copy is badged with the
//! process's number).
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot};
use tryst::abi::{ObjectKind, Rights};
use tryst::interface::{self, Name};
use tryst::ipc::{self, MessageExt};
use tryst::names::{ALLOW, LOOKUP, MAY_LOOK_UP, MAY_REGISTER, REGISTER};
use tryst::{caps, println, Error, Message, Slot};

tryst::entry!(main);

/// The most (process, name) rules init can give.
const MAX_RULES: usize = 64;
/// The most names registered at once.
const MAX_NAMES: usize = 16;

/// What one process may do with one name.
#[derive(Clone, Copy)]
struct Rule {
    process: u64,
    name: Name,
    may: u64,
}

/// The service's state: the manifest's rules, and the names registered with the slot holding
/// each one's endpoint capability.
struct Names {
    rules: [Option<Rule>; MAX_RULES],
    registered: [Option<Name>; MAX_NAMES],
    /// Where the registrations' capabilities live: slot `first_slot + i` for entry `i`.
    first_slot: u64,
}

fn main(_: u64) -> u32 {
    let endpoint = boot_endpoint(0);
    let first_free = tryst::boot_info().first_free_slot;
    // Two working slots, then the registrations.
    let (arrival, minted) = (slot(first_free), slot(first_free + 1));
    let mut names =
        Names { rules: [None; MAX_RULES], registered: [None; MAX_NAMES], first_slot: first_free + 2 };
    println!("names: serving");
    ipc::set_receive_slots(&[arrival]);
    let mut next = ipc::recv(endpoint);
    loop {
        let (badge, request) = match next {
            Ok(received) => received,
            Err(error) => {
                println!("names: FAILED: {error:?}");
                return 1;
            }
        };
        let answer = match request.info.label {
            REGISTER => names.register(badge, &request, arrival),
            LOOKUP => names.lookup(badge, &request, minted),
            ALLOW => names.allow(badge, &request),
            _ => Err(Error::UnknownOperation),
        };
        // A capability that arrived with anything but a registration is not kept.
        if request.info.caps > 0 {
            let _ = caps::delete(arrival);
        }
        let reply = match answer {
            Ok(true) => Message::short(0, &[]).with_caps(&[minted]),
            Ok(false) => Message::short(0, &[]),
            Err(error) => Message::short(u64::from(error), &[]),
        };
        ipc::set_receive_slots(&[arrival]);
        next = match ipc::reply_recv(endpoint, reply) {
            Err(Error::PeerGone | Error::NoReply) => ipc::recv(endpoint),
            other => other,
        };
        let _ = caps::delete(minted);
    }
}

impl Names {
    /// `REGISTER`: keeps the unbadged endpoint capability that arrived in `arrival` under the
    /// name, replacing an earlier registration.
    fn register(&mut self, badge: u64, request: &Message, arrival: Slot) -> Result<bool, Error> {
        let name = interface::decode::<Name>(request).ok_or(Error::InvalidArgument)?;
        // init (badge 0) registers its own endpoint; everyone else as the manifest says.
        if badge != 0 && !self.allowed(badge, name, MAY_REGISTER) {
            return Err(Error::MissingRights);
        }
        let cap = match request.info.caps {
            1 => caps::identify(arrival)?,
            _ => return Err(Error::InvalidArgument),
        };
        if cap.kind != Some(ObjectKind::Endpoint) || cap.badge != 0 {
            return Err(Error::InvalidArgument);
        }
        let entry = self.entry(name).or_else(|| self.registered.iter().position(Option::is_none));
        let entry = entry.ok_or(Error::TableFull)?;
        let _ = caps::delete(self.slot(entry));
        caps::move_cap(arrival, self.slot(entry))?;
        self.registered[entry] = Some(name);
        println!("names: {name} registered by process {badge}");
        Ok(false)
    }

    /// `LOOKUP`: a capability to the endpoint registered under the name, in `minted`, badged
    /// with the caller's number.
    fn lookup(&mut self, badge: u64, request: &Message, minted: Slot) -> Result<bool, Error> {
        let name = interface::decode::<Name>(request).ok_or(Error::InvalidArgument)?;
        if !self.allowed(badge, name, MAY_LOOK_UP) {
            let known =
                self.entry(name).is_some() || self.rules.iter().flatten().any(|rule| rule.name == name);
            return Err(if known { Error::MissingRights } else { Error::NotFound });
        }
        let entry = self.entry(name).ok_or(Error::NotFound)?;
        // Clients may call and pass capabilities both ways; only the server receives.
        let rights = Rights::WRITE.union(Rights::GRANT).union(Rights::GRANT_REPLY);
        match caps::mint(self.slot(entry), minted, rights, badge) {
            Ok(()) => Ok(true),
            // Revoked: the server is gone, and its new instance has not registered yet.
            Err(Error::EmptySlot) => {
                self.registered[entry] = None;
                Err(Error::NotFound)
            }
            Err(error) => Err(error),
        }
    }

    /// `ALLOW`, from init only: a rule from the manifest.
    fn allow(&mut self, badge: u64, request: &Message) -> Result<bool, Error> {
        let (process, name, may) =
            interface::decode::<(u64, Name, u64)>(request).ok_or(Error::InvalidArgument)?;
        if badge != 0 {
            return Err(Error::MissingRights);
        }
        let free = self.rules.iter().position(Option::is_none).ok_or(Error::TableFull)?;
        self.rules[free] = Some(Rule { process, name, may });
        Ok(false)
    }

    fn allowed(&self, process: u64, name: Name, may: u64) -> bool {
        self.rules
            .iter()
            .flatten()
            .any(|rule| rule.process == process && rule.name == name && rule.may & may != 0)
    }

    fn entry(&self, name: Name) -> Option<usize> {
        self.registered.iter().position(|entry| *entry == Some(name))
    }

    fn slot(&self, entry: usize) -> Slot {
        slot(self.first_slot + entry as u64)
    }
}
