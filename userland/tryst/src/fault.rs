//! Fault messages: what a fault handler receives when a thread it handles faults.
//!
//! The faulting thread is stopped in a `call` on its handler endpoint (the badge of its
//! handler capability identifies it). Replying to the message, with any content, resumes it
//! at the faulting instruction with its registers as they were (after, say, mapping the page
//! it missed); destroying it through a Thread capability kills it instead.

use tryst_abi::{fault_access, FaultKind, Message, FAULT_LABEL};

/// A page-fault access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A data read.
    Read,
    /// A data write.
    Write,
    /// An instruction fetch.
    Execute,
}

/// A fault, as its message describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultInfo {
    /// Which exception (`None` for a vector this library does not name).
    pub kind: Option<FaultKind>,
    /// For a page fault: the address and the access.
    pub page: Option<(u64, Access)>,
    /// The faulting instruction.
    pub ip: u64,
}

impl FaultInfo {
    /// The fault `message` reports, or `None` when it is not a fault message.
    pub fn from_message(message: &Message) -> Option<FaultInfo> {
        if message.info.label != FAULT_LABEL || message.info.length != 4 {
            return None;
        }
        let [kind, address, ip, access] = message.words;
        let access = match access {
            fault_access::READ => Some(Access::Read),
            fault_access::WRITE => Some(Access::Write),
            fault_access::EXECUTE => Some(Access::Execute),
            _ => None,
        };
        Some(FaultInfo { kind: FaultKind::try_from(kind).ok(), page: access.map(|a| (address, a)), ip })
    }
}
