//! CPU faults as the semantics see them: what happened, where, and at which instruction.

use crate::abi::{fault_access, FaultKind, Message, MessageInfo, FAULT_LABEL};

/// The kind of memory access that caused a page fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A data read.
    Read,
    /// A data write.
    Write,
    /// An instruction fetch.
    Execute,
}

impl Access {
    fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Execute => "execute",
        }
    }
}

/// A fault taken by the running thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Which exception.
    pub kind: FaultKind,
    /// The instruction pointer at the fault.
    pub ip: u64,
    /// For page faults: the faulting address and the access that faulted.
    pub page: Option<(u64, Access)>,
}

impl Fault {
    /// The message the fault handler receives: label [`FAULT_LABEL`], words `[kind, address,
    /// ip, access]` (see [`fault_access`]).
    pub fn message(&self) -> Message {
        let (address, access) = match self.page {
            Some((address, Access::Read)) => (address, fault_access::READ),
            Some((address, Access::Write)) => (address, fault_access::WRITE),
            Some((address, Access::Execute)) => (address, fault_access::EXECUTE),
            None => (0, fault_access::NONE),
        };
        Message {
            info: MessageInfo::new(FAULT_LABEL, 4),
            words: [self.kind.into(), address, self.ip, access],
        }
    }
}

impl core::fmt::Display for Fault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.page {
            Some((addr, access)) => {
                write!(f, "{} at {addr:#x} ({}, ip {:#x})", self.kind.name(), access.name(), self.ip)
            }
            None => write!(f, "{} at ip {:#x}", self.kind.name(), self.ip),
        }
    }
}
