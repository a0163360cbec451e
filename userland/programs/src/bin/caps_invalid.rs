//! `invalid_cap_rejected`: every wrong way of naming a capability is an error code, and a
//! failed call changes nothing.
//!
//! Runs alone with one boot endpoint. Checks, one line each: a slot number >= 128 is
//! `InvalidSlot`; an empty slot is `EmptySlot`; IPC on a Memory or CSpace capability,
//! `memory_info` on a non-Memory one and `create` through a non-Memory one are `WrongType`;
//! copying, minting, moving or creating into an occupied slot is `SlotOccupied`; a message
//! info word of 65 or 127 words is `MessageTooLong`. Around every case it compares
//! `kernel_stats`, what five watched slots hold and the boot Memory figures: a failed call
//! must leave them all as they were. Last, it shows the kernel still answers.
#![no_std]
#![no_main]

mod caps_common;

use core::fmt::Debug;

use caps_common::{raw, slot, Checks};
use tryst::abi::{IpcBuffer, MessageInfo, SyscallNumber};
use tryst::caps::{self, CapInfo, KernelStats};
use tryst::ipc::{self, MessageExt};
use tryst::{Error, Message, ObjectKind, Rights, Slot};

tryst::entry!(main);

/// Everything a failed call must leave as it was.
#[derive(Debug, PartialEq)]
struct State {
    stats: KernelStats,
    slots: [Result<CapInfo, Error>; 5],
    memory: Result<(u64, u64), Error>,
}

/// Runs cases and checks that each fails as expected and changes nothing.
struct Cases {
    checks: Checks,
    /// Slots whose contents must not change: own CSpace, Memory, endpoint, its copy, a free slot.
    watched: [Slot; 5],
    memory: Slot,
}

impl Cases {
    fn state(&self) -> State {
        State {
            stats: caps::kernel_stats(),
            slots: self.watched.map(caps::identify),
            memory: caps::memory_info(self.memory),
        }
    }

    /// `call` must fail with `expected` and leave the state as it was.
    fn expect<T: Debug>(&mut self, case: &str, expected: Error, call: impl FnOnce() -> Result<T, Error>) {
        let before = self.state();
        let result = call();
        let after = self.state();
        self.checks.error(case, result, expected);
        if before != after {
            self.checks.fail(case, format_args!("the failed call changed {before:?} into {after:?}"));
        }
    }
}

/// A message whose info word says it carries `caps` capabilities (named in the IPC buffer).
fn carrying(caps: u8) -> Message {
    Message { info: MessageInfo { label: 1, length: 0, caps }, words: [0; 4] }
}

fn main(_: u64) -> u32 {
    let boot = tryst::boot_info();
    let (cspace, memory) = (slot(boot.cspace_slot), slot(boot.memory_slot));
    let endpoint = slot(boot.endpoints[0]);
    let copy = slot(boot.first_free_slot);
    let free = slot(boot.first_free_slot + 1);
    let mut checks = Checks::new("caps_invalid");
    checks.ok("copy the boot endpoint", caps::copy(endpoint, copy));
    let mut cases = Cases { checks, watched: [cspace, memory, endpoint, copy, free], memory };
    let start = cases.state();
    let (ep, mem) = (u64::from(endpoint), u64::from(memory));
    let (send, call, nb_send) = (SyscallNumber::Send, SyscallNumber::Call, SyscallNumber::NbSend);

    // Slot numbers outside the capability space.
    cases.expect("identify slot 128", Error::InvalidSlot, || {
        raw(SyscallNumber::CapIdentify, [128, 0, 0, 0, 0, 0])
    });
    cases.expect("delete slot 2^64-1", Error::InvalidSlot, || {
        raw(SyscallNumber::CapDelete, [u64::MAX, 0, 0, 0, 0, 0])
    });
    cases.expect("copy into slot 128", Error::InvalidSlot, || {
        raw(SyscallNumber::CapCopy, [ep, 128, 0, 0, 0, 0])
    });
    cases.expect("send on slot 200", Error::InvalidSlot, || raw(send, [200, 0, 0, 0, 0, 0]));
    cases.expect("recv on slot 128", Error::InvalidSlot, || raw(SyscallNumber::Recv, [128, 0, 0, 0, 0, 0]));
    let endpoint_kind = u64::from(ObjectKind::Endpoint);
    cases.expect("create into slot 128", Error::InvalidSlot, || {
        raw(SyscallNumber::Create, [mem, endpoint_kind, 128, 0, 0, 0])
    });
    cases.expect("nb_send carrying slot 200", Error::InvalidSlot, || {
        tryst::raw::set_ipc_word(IpcBuffer::SEND_CAPS, 200);
        ipc::nb_send(endpoint, carrying(1))
    });

    // Empty slots.
    cases.expect("identify an empty slot", Error::EmptySlot, || caps::identify(free));
    cases.expect("delete an empty slot", Error::EmptySlot, || caps::delete(free));
    cases.expect("revoke an empty slot", Error::EmptySlot, || caps::revoke(free));
    cases.expect("copy from an empty slot", Error::EmptySlot, || caps::copy(free, free));
    cases.expect("move from an empty slot", Error::EmptySlot, || caps::move_cap(free, free));
    cases.expect("send on an empty slot", Error::EmptySlot, || ipc::send(free, Message::short(1, &[])));
    cases.expect("recv on an empty slot", Error::EmptySlot, || ipc::recv(free));
    cases.expect("call on an empty slot", Error::EmptySlot, || ipc::call(free, Message::short(1, &[])));
    cases.expect("memory_info on an empty slot", Error::EmptySlot, || caps::memory_info(free));
    cases.expect("create through an empty slot", Error::EmptySlot, || caps::create_endpoint(free, free));
    cases.expect("nb_send carrying an empty slot", Error::EmptySlot, || {
        ipc::nb_send(endpoint, Message::short(1, &[]).with_caps(&[free]))
    });

    // Capabilities to the wrong kind of object.
    cases.expect("send on the Memory capability", Error::WrongType, || {
        ipc::send(memory, Message::short(1, &[]))
    });
    cases.expect("recv on the Memory capability", Error::WrongType, || ipc::recv(memory));
    cases.expect("nb_recv on the Memory capability", Error::WrongType, || ipc::nb_recv(memory));
    cases.expect("call on the CSpace capability", Error::WrongType, || {
        ipc::call(cspace, Message::short(1, &[]))
    });
    cases.expect("nb_send on the CSpace capability", Error::WrongType, || {
        ipc::nb_send(cspace, Message::short(1, &[]))
    });
    cases.expect("reply_recv on the CSpace capability", Error::WrongType, || {
        ipc::reply_recv(cspace, Message::short(1, &[]))
    });
    cases.expect("memory_info on the endpoint", Error::WrongType, || caps::memory_info(endpoint));
    cases.expect("memory_info on the CSpace capability", Error::WrongType, || caps::memory_info(cspace));
    cases.expect("create through the endpoint", Error::WrongType, || caps::create_endpoint(endpoint, free));
    cases.expect("create through the CSpace capability", Error::WrongType, || {
        caps::create_memory(cspace, free, 64)
    });

    // Occupied destinations.
    cases.expect("copy into the CSpace slot", Error::SlotOccupied, || caps::copy(endpoint, cspace));
    cases.expect("mint into the Memory slot", Error::SlotOccupied, || {
        caps::mint(endpoint, memory, Rights::READ, 5)
    });
    cases.expect("mint Memory into the endpoint slot", Error::SlotOccupied, || {
        caps::mint(memory, endpoint, Rights::READ, 0)
    });
    cases.expect("move onto an occupied slot", Error::SlotOccupied, || caps::move_cap(copy, endpoint));
    cases.expect("move onto its own slot", Error::SlotOccupied, || caps::move_cap(copy, copy));
    cases.expect("create an endpoint into an occupied slot", Error::SlotOccupied, || {
        caps::create_endpoint(memory, copy)
    });
    cases.expect("create a Memory into an occupied slot", Error::SlotOccupied, || {
        caps::create_memory(memory, endpoint, 64)
    });

    // Messages longer than 64 words.
    cases.expect("nb_send of 65 words", Error::MessageTooLong, || raw(nb_send, [ep, 65, 0, 0, 0, 0]));
    cases.expect("send of 127 words", Error::MessageTooLong, || raw(send, [ep, 127, 0, 0, 0, 0]));
    cases.expect("call of 65 words", Error::MessageTooLong, || raw(call, [ep, 65, 0, 0, 0, 0]));
    cases.expect("reply of 65 words", Error::MessageTooLong, || {
        raw(SyscallNumber::Reply, [0, 65, 0, 0, 0, 0])
    });

    let end = cases.state();
    let mut checks = cases.checks;
    checks.holds(
        "after all the failed calls, stats, slots and Memory figures are as at the start",
        end == start,
    );

    // The kernel still answers: an endpoint made in the free slot, identified and deleted.
    let made = checks.ok("create an endpoint", caps::create_endpoint(memory, free));
    let info = caps::identify(free);
    let deleted = checks.ok("delete the endpoint made", caps::delete(free));
    checks.holds(
        "the kernel still answers: an endpoint made, identified and deleted",
        made.is_some()
            && deleted.is_some()
            && info
                == Ok(CapInfo {
                    kind: Some(ObjectKind::Endpoint),
                    rights: Rights::of(ObjectKind::Endpoint),
                    badge: 0,
                }),
    );
    checks.ok("delete the endpoint copy", caps::delete(copy));
    checks.finish()
}
