//! The kernel objects of user memory: Frames (one physical page each) and address spaces
//! (the user half of a set of page tables). Page tables themselves are arch state, reached
//! through [`crate::Machine`]; this is what the semantics need to know about them.

use crate::arena::{Handle, Vacant};
use crate::objects::MemoryId;

/// How many Frame objects can exist at once.
pub const MAX_FRAMES: usize = 4096;
/// How many address spaces can exist at once.
pub const MAX_SPACES: usize = 64;

/// Names a Frame.
pub type FrameId = Handle<Frame>;
/// Names an address space.
pub type SpaceId = Handle<AddressSpace>;

/// One physical page. It lives while capabilities name it or threads use it as their IPC
/// buffer; every mapping of it was made through a capability, so when the last capability
/// goes, nothing maps it any more.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Its physical address.
    pub page: u64,
    /// Capabilities that refer to it.
    pub caps: u32,
    /// Threads using it as their IPC buffer: the page stays until they are gone too.
    pub users: u32,
    /// Who pays for it ([`crate::abi::FRAME_COST`]).
    pub memory: MemoryId,
}

/// A virtual address space. It lives while threads run in it or capabilities name it; when
/// its last thread ends it goes at once, and capabilities to it with it.
#[derive(Clone, Debug)]
pub struct AddressSpace {
    /// The physical address of its top-level page table (what the machine calls it by).
    pub root: u64,
    /// Capabilities that refer to it.
    pub caps: u32,
    /// Threads that run in it.
    pub threads: u32,
    /// Who pays for its page tables; `None` for a boot process's space, whose tables are the
    /// kernel's own expense.
    pub memory: Option<MemoryId>,
    /// Page tables `map` added to it (charged to `memory`).
    pub tables: u32,
}

impl Vacant for Frame {
    const VACANT: Self = Frame { page: 0, caps: 0, users: 0, memory: Handle::NOTHING };
}

impl Vacant for AddressSpace {
    const VACANT: Self = AddressSpace { root: 0, caps: 0, threads: 0, memory: None, tables: 0 };
}

/// Where a Frame capability maps its page. Each Frame capability maps at most one page:
/// the capability is the record of its mapping, so unmapping and revocation find every
/// mapping without a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// The address space.
    pub space: SpaceId,
    /// The page-aligned user address.
    pub vaddr: u64,
}
