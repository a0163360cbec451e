//! Capability spaces and the derivation tree that links every capability to the one it was
//! copied or minted from, across all capability spaces.
//!
//! The derivation tree is kept as one doubly linked list per original capability, in
//! depth-first order, each entry with its depth (seL4 calls this the mapping database). The
//! capabilities derived from `c` are exactly the entries right after `c` that are deeper than
//! it, so copy and move are O(1) and revoke walks only what it deletes. Deleting a capability
//! leaves its descendants in place but one level up, so that they count as derived from its
//! parent (left deeper, they would pass for descendants of the entry before them, a sibling
//! of the deleted one): delete walks what was derived from the capability it deletes.

use crate::abi::{Error, ObjectKind, Rights, Slot, CSPACE_SLOTS};
use crate::arena::{Arena, Handle, Vacant};
use crate::objects::{EndpointId, MemoryId, NotificationId};
use crate::pages::{FrameId, Mapping, SpaceId};
use crate::thread::ThreadId;

/// How many capability spaces can exist at once.
pub const MAX_CSPACES: usize = 64;
const SLOTS: usize = CSPACE_SLOTS as usize;

/// Names a capability space.
pub type CSpaceId = Handle<CSpace>;

/// The object a capability refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Object {
    /// A capability space.
    CSpace(CSpaceId),
    /// A budget of kernel memory.
    Memory(MemoryId),
    /// An IPC endpoint.
    Endpoint(EndpointId),
    /// A thread. The capability does not keep it alive: when the thread ends, every
    /// capability naming it is deleted.
    Thread(ThreadId),
    /// A physical page.
    Frame(FrameId),
    /// An address space.
    AddressSpace(SpaceId),
    /// A notification.
    Notification(NotificationId),
    /// The right to take interrupt lines.
    IrqControl,
    /// One interrupt line (`0..IRQ_LINES`).
    IrqHandler(u8),
    /// The I/O ports `first..=last`.
    IoPort { first: u16, last: u16 },
}

impl Object {
    /// The kind, as the ABI numbers it.
    pub fn kind(self) -> ObjectKind {
        match self {
            Object::CSpace(_) => ObjectKind::CSpace,
            Object::Memory(_) => ObjectKind::Memory,
            Object::Endpoint(_) => ObjectKind::Endpoint,
            Object::Thread(_) => ObjectKind::Thread,
            Object::Frame(_) => ObjectKind::Frame,
            Object::AddressSpace(_) => ObjectKind::AddressSpace,
            Object::Notification(_) => ObjectKind::Notification,
            Object::IrqControl => ObjectKind::IrqControl,
            Object::IrqHandler(_) => ObjectKind::IrqHandler,
            Object::IoPort { .. } => ObjectKind::IoPort,
        }
    }
}

/// What a slot holds: an object reference, the rights it grants, a badge (for endpoints:
/// the word a receiver sees; `0` is unbadged), and for a Frame capability the one mapping
/// made through it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capability {
    pub object: Object,
    pub rights: Rights,
    pub badge: u64,
    pub mapping: Option<Mapping>,
}

impl Capability {
    /// An original capability to `object` with every right that kind of object has (only a
    /// Frame can be executable), no badge and no mapping.
    pub fn original(object: Object) -> Capability {
        Capability { object, rights: Rights::of(object.kind()), badge: 0, mapping: None }
    }
}

/// Where a capability lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlotRef {
    pub cspace: CSpaceId,
    pub slot: Slot,
}

/// A link in the derivation list: a capability space's table index and a slot. Links only
/// ever point at occupied slots of live capability spaces (checked by `check_invariants`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link {
    cspace: u16,
    slot: u16,
}

#[derive(Clone, Copy)]
struct Entry {
    cap: Option<Capability>,
    prev: Option<Link>,
    next: Option<Link>,
    /// Derivation depth: an original capability is 0, a copy of it 1, and so on.
    depth: u32,
}

impl Entry {
    const EMPTY: Entry = Entry { cap: None, prev: None, next: None, depth: 0 };
}

/// A table of capability slots. It lives while threads use it or capabilities outside it
/// name it: it goes at once with its last thread (and every capability to it with it), and a
/// space no thread ever used goes when only its own slots still name it.
#[derive(Clone)]
pub struct CSpace {
    entries: [Entry; SLOTS],
    /// Capabilities that name it, its own slots included.
    pub caps: u32,
    /// Threads that use it.
    pub threads: u32,
    /// Who pays for it ([`crate::abi::CSPACE_COST`]); `None` for a boot thread's.
    pub memory: Option<MemoryId>,
}

impl Vacant for CSpace {
    const VACANT: Self = CSpace { entries: [Entry::EMPTY; SLOTS], caps: 0, threads: 0, memory: None };
}

/// Every capability space, and the derivation lists running through them.
#[derive(Clone)]
pub struct Capabilities {
    spaces: Arena<CSpace, MAX_CSPACES>,
    /// Occupied slots, over all spaces.
    count: usize,
}

impl Default for Capabilities {
    fn default() -> Self {
        Self::new()
    }
}

impl Capabilities {
    /// No capability spaces.
    pub const fn new() -> Self {
        Capabilities { spaces: Arena::new(), count: 0 }
    }

    /// Makes an empty capability space, nothing naming or using it yet; `None` when the
    /// table is full.
    pub fn create_space(&mut self, memory: Option<MemoryId>) -> Option<CSpaceId> {
        self.spaces.insert(CSpace { entries: [Entry::EMPTY; SLOTS], caps: 0, threads: 0, memory })
    }

    /// Capability space `id`'s bookkeeping.
    pub fn space(&self, id: CSpaceId) -> Option<&CSpace> {
        self.spaces.get(id)
    }

    /// Capability space `id`'s bookkeeping, for changing.
    pub fn space_mut(&mut self, id: CSpaceId) -> Option<&mut CSpace> {
        self.spaces.get_mut(id)
    }

    /// How many of capability space `id`'s own slots name it.
    pub fn self_references(&self, id: CSpaceId) -> u32 {
        self.occupied(id).filter(|(_, cap)| cap.object == Object::CSpace(id)).count() as u32
    }

    /// Removes a capability space, which must be empty (delete its capabilities first).
    pub fn destroy_space(&mut self, cspace: CSpaceId) {
        debug_assert!(self.occupied(cspace).next().is_none(), "destroying a non-empty capability space");
        self.spaces.remove(cspace);
    }

    /// How many capabilities exist, in all spaces.
    pub fn count(&self) -> usize {
        self.count
    }

    /// How many capability spaces exist.
    pub fn space_count(&self) -> usize {
        self.spaces.len()
    }

    /// Every capability space, with its bookkeeping.
    pub fn spaces(&self) -> impl Iterator<Item = (CSpaceId, &CSpace)> + '_ {
        self.spaces.iter()
    }

    /// The capability at `at`; `EmptySlot` when there is none (or the space is gone).
    pub fn get(&self, at: SlotRef) -> Result<Capability, Error> {
        self.get_ref(at).copied().ok_or(Error::EmptySlot)
    }

    /// The capability at `at`, by reference; `None` when there is none (or the space is
    /// gone). For the IPC paths, which read a few fields and copy nothing.
    #[inline(always)]
    pub fn get_ref(&self, at: SlotRef) -> Option<&Capability> {
        self.entry(at)?.cap.as_ref()
    }

    /// Fails with `SlotOccupied` unless `at` is empty.
    pub fn check_empty(&self, at: SlotRef) -> Result<(), Error> {
        match self.entry(at) {
            Some(Entry { cap: Some(_), .. }) => Err(Error::SlotOccupied),
            Some(_) => Ok(()),
            None => Err(Error::InvalidSlot),
        }
    }

    /// Puts an original capability (the first one to a new object) in the empty slot `at`.
    pub fn insert_original(&mut self, at: SlotRef, cap: Capability) {
        if let Some(entry) = self.entry_mut(at) {
            debug_assert!(entry.cap.is_none());
            *entry = Entry { cap: Some(cap), prev: None, next: None, depth: 0 };
            self.count += 1;
        }
    }

    /// Puts `cap`, derived from the capability at `parent`, in the empty slot `at`: it goes
    /// right after its parent in the derivation list, one level deeper. A derived capability
    /// starts with no mapping of its own.
    pub fn insert_derived(&mut self, parent: SlotRef, at: SlotRef, cap: Capability) {
        let cap = Capability { mapping: None, ..cap };
        let (Some(parent_link), Some(link)) = (self.link(parent), self.link(at)) else { return };
        let parent_entry = self.entry_at(parent_link);
        let (depth, after) = (parent_entry.depth + 1, parent_entry.next);
        *self.entry_at_mut(link) = Entry { cap: Some(cap), prev: Some(parent_link), next: after, depth };
        self.entry_at_mut(parent_link).next = Some(link);
        if let Some(after) = after {
            self.entry_at_mut(after).prev = Some(link);
        }
        self.count += 1;
    }

    /// Moves the capability at `from` to the empty slot `to`, keeping its place in the
    /// derivation list.
    pub fn move_cap(&mut self, from: SlotRef, to: SlotRef) {
        let (Some(from_link), Some(to_link)) = (self.link(from), self.link(to)) else { return };
        if from_link == to_link {
            return;
        }
        let entry = core::mem::replace(self.entry_at_mut(from_link), Entry::EMPTY);
        *self.entry_at_mut(to_link) = entry;
        if let Some(prev) = entry.prev {
            self.entry_at_mut(prev).next = Some(to_link);
        }
        if let Some(next) = entry.next {
            self.entry_at_mut(next).prev = Some(to_link);
        }
    }

    /// Empties `at` and returns what it held. Whatever was derived from it stays, now counted
    /// as derived from its parent: one level up.
    pub fn remove(&mut self, at: SlotRef) -> Option<Capability> {
        let link = self.link(at)?;
        let entry = core::mem::replace(self.entry_at_mut(link), Entry::EMPTY);
        entry.cap?;
        let mut after = entry.next;
        while let Some(next) = after {
            let descendant = self.entry_at_mut(next);
            if descendant.depth <= entry.depth {
                break;
            }
            descendant.depth -= 1;
            after = descendant.next;
        }
        if let Some(prev) = entry.prev {
            self.entry_at_mut(prev).next = entry.next;
        }
        if let Some(next) = entry.next {
            self.entry_at_mut(next).prev = entry.prev;
        }
        self.count -= 1;
        entry.cap
    }

    /// Records (or clears) the mapping made through the capability at `at`.
    pub fn set_mapping(&mut self, at: SlotRef, mapping: Option<Mapping>) {
        if let Some(Entry { cap: Some(cap), .. }) = self.entry_mut(at) {
            cap.mapping = mapping;
        }
    }

    /// Forgets every mapping into address space `space` (which is going away with its page
    /// tables).
    pub fn forget_mappings_in(&mut self, space: SpaceId) {
        for (_, cspace) in self.spaces.iter_mut() {
            for entry in &mut cspace.entries {
                if let Some(cap) = &mut entry.cap {
                    if cap.mapping.is_some_and(|m| m.space == space) {
                        cap.mapping = None;
                    }
                }
            }
        }
    }

    /// The first capability derived from the one at `at` (directly or not), if any.
    pub fn first_derived(&self, at: SlotRef) -> Option<SlotRef> {
        let entry = self.entry(at)?;
        let next = entry.next?;
        (self.entry_at(next).depth > entry.depth).then(|| self.slot_ref(next))
    }

    /// The last capability derived from the one at `at` (directly or not), if any: the end
    /// of its run of descendants, which has nothing derived from it.
    pub fn last_derived(&self, at: SlotRef) -> Option<SlotRef> {
        let depth = self.entry(at)?.depth;
        let mut last = None;
        let mut next = self.entry(at)?.next;
        while let Some(link) = next {
            let entry = self.entry_at(link);
            if entry.depth <= depth {
                break;
            }
            (last, next) = (Some(link), entry.next);
        }
        last.map(|link| self.slot_ref(link))
    }

    /// The capability just before the one at `at` in its derivation list, if any: its
    /// parent, or a sibling's last descendant.
    pub fn before(&self, at: SlotRef) -> Option<SlotRef> {
        let prev = self.entry(at)?.prev?;
        Some(self.slot_ref(prev))
    }

    /// Every occupied slot of `cspace`.
    pub fn occupied(&self, cspace: CSpaceId) -> impl Iterator<Item = (Slot, Capability)> + '_ {
        let entries = self.spaces.get(cspace).map(|space| &space.entries[..]).unwrap_or(&[]);
        entries.iter().enumerate().filter_map(|(i, entry)| Some((Slot::new(i as u64).ok()?, entry.cap?)))
    }

    /// Every capability in every space, with where it lives.
    pub fn all(&self) -> impl Iterator<Item = (SlotRef, Capability)> + '_ {
        self.spaces.iter().flat_map(|(cspace, _)| {
            self.occupied(cspace).map(move |(slot, cap)| (SlotRef { cspace, slot }, cap))
        })
    }

    /// Checks the derivation lists: links are mutual, point at occupied slots, every list
    /// starts at depth 0 and goes at most one level deeper from one entry to the next, and the
    /// occupied-slot count is right. For the tests.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        let mut count = 0;
        for (at, _) in self.all() {
            count += 1;
            let link = self.link(at).ok_or("a slot in a live space has no link")?;
            let entry = self.entry_at(link);
            if entry.prev.is_none() && entry.depth != 0 {
                return Err("a derivation list starts below depth 0");
            }
            if let Some(prev) = entry.prev {
                let before = self.try_entry_at(prev).ok_or("prev link into a dead space")?;
                if before.cap.is_none() || before.next != Some(link) {
                    return Err("prev link not mutual or into an empty slot");
                }
            }
            if let Some(next) = entry.next {
                let after = self.try_entry_at(next).ok_or("next link into a dead space")?;
                if after.cap.is_none() || after.prev != Some(link) {
                    return Err("next link not mutual or into an empty slot");
                }
                if after.depth > entry.depth + 1 {
                    return Err("a derivation list skips a depth");
                }
            }
        }
        for (_, space) in self.spaces.iter() {
            for entry in &space.entries {
                if entry.cap.is_none() && (entry.prev.is_some() || entry.next.is_some()) {
                    return Err("an empty slot is linked");
                }
            }
        }
        if count != self.count {
            return Err("capability count is wrong");
        }
        Ok(())
    }

    fn link(&self, at: SlotRef) -> Option<Link> {
        self.spaces.get(at.cspace)?;
        Some(Link { cspace: at.cspace.raw_index(), slot: at.slot.index() as u16 })
    }

    fn slot_ref(&self, link: Link) -> SlotRef {
        // Links only name live spaces and valid slots, so neither fallback is ever taken.
        let cspace = self.spaces.handle_at(link.cspace).expect("derivation link into a dead space");
        let slot = Slot::new(u64::from(link.slot)).expect("derivation link to an invalid slot");
        SlotRef { cspace, slot }
    }

    #[inline(always)]
    fn entry(&self, at: SlotRef) -> Option<&Entry> {
        self.spaces.get(at.cspace).map(|space| &space.entries[at.slot.index()])
    }

    fn entry_mut(&mut self, at: SlotRef) -> Option<&mut Entry> {
        self.spaces.get_mut(at.cspace).map(|space| &mut space.entries[at.slot.index()])
    }

    fn try_entry_at(&self, link: Link) -> Option<&Entry> {
        let cspace = self.spaces.handle_at(link.cspace)?;
        self.spaces.get(cspace).map(|space| &space.entries[usize::from(link.slot)])
    }

    fn entry_at(&self, link: Link) -> &Entry {
        self.try_entry_at(link).expect("derivation link into a dead space")
    }

    fn entry_at_mut(&mut self, link: Link) -> &mut Entry {
        let cspace = self.spaces.handle_at(link.cspace).expect("derivation link into a dead space");
        let space = self.spaces.get_mut(cspace).expect("derivation link into a dead space");
        &mut space.entries[usize::from(link.slot)]
    }
}
