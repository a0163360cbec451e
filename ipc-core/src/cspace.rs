//! Capability spaces and the derivation tree that links every capability to the one it was
//! copied or minted from, across all capability spaces.
//!
//! The derivation tree is kept as its bracket sequence (an Euler tour): each capability has
//! two marks, an opening and a closing one, in a doubly linked list per original capability,
//! and what was derived from `c` is exactly what lies between `c`'s two marks. A copy goes
//! right after its parent's opening mark, so copy is O(1); move relinks four neighbours;
//! delete unlinks the capability's two marks, which leaves its descendants where they were,
//! now between its parent's marks, so delete is O(1) too; and revoke deletes what lies
//! between two marks, one at a time, in time linear in what it deletes. (seL4's mapping
//! database keeps a depth in each entry instead, which a delete must lift for every
//! descendant.)

use crate::abi::{Error, ObjectKind, Rights, Slot, CSPACE_SLOTS};
use crate::arena::{Arena, Handle, Vacant};
use crate::objects::{EndpointId, MemoryId, NotificationId};
use crate::pages::{FrameId, Mapping, SpaceId};
use crate::thread::ThreadId;

/// How many capability spaces can exist at once.
pub const MAX_CSPACES: usize = 128;
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

/// Where a capability lives, as a derivation link stores it: a capability space's table
/// index and a slot. Links only ever point at occupied slots of live capability spaces
/// (checked by `check_invariants`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link {
    cspace: u16,
    slot: u16,
}

/// Which of a capability's two marks in its derivation list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// Before everything derived from the capability.
    Open,
    /// After everything derived from the capability.
    Close,
}

/// A position in a derivation list: one of the two marks of the capability at `link`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mark {
    link: Link,
    side: Side,
}

/// A mark's neighbours in its derivation list.
#[derive(Clone, Copy, Default)]
struct Neighbours {
    prev: Option<Mark>,
    next: Option<Mark>,
}

impl Neighbours {
    const NONE: Neighbours = Neighbours { prev: None, next: None };
}

#[derive(Clone, Copy)]
struct Entry {
    cap: Option<Capability>,
    open: Neighbours,
    close: Neighbours,
}

impl Entry {
    const EMPTY: Entry = Entry { cap: None, open: Neighbours::NONE, close: Neighbours::NONE };

    fn is_unlinked(&self) -> bool {
        [self.open.prev, self.open.next, self.close.prev, self.close.next].iter().all(Option::is_none)
    }
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

    /// Puts an original capability (the first one to a new object) in the empty slot `at`:
    /// it starts a derivation list of its own.
    pub fn insert_original(&mut self, at: SlotRef, cap: Capability) {
        let Some(link) = self.link(at) else { return };
        let (open, close) = (Mark { link, side: Side::Open }, Mark { link, side: Side::Close });
        let entry = self.entry_at_mut(link);
        debug_assert!(entry.cap.is_none());
        *entry = Entry {
            cap: Some(cap),
            open: Neighbours { prev: None, next: Some(close) },
            close: Neighbours { prev: Some(open), next: None },
        };
        self.count += 1;
    }

    /// Puts `cap`, derived from the capability at `parent`, in the empty slot `at`: its marks
    /// go right after its parent's opening mark, so it is the first thing derived from the
    /// parent. A derived capability starts with no mapping of its own.
    pub fn insert_derived(&mut self, parent: SlotRef, at: SlotRef, cap: Capability) {
        let (Some(parent_link), Some(link)) = (self.link(parent), self.link(at)) else { return };
        let (open, close) = (Mark { link, side: Side::Open }, Mark { link, side: Side::Close });
        let after = self.entry_at(parent_link).open.next;
        let entry = self.entry_at_mut(link);
        debug_assert!(entry.cap.is_none() && entry.is_unlinked());
        *entry = Entry {
            cap: Some(Capability { mapping: None, ..cap }),
            open: Neighbours { prev: Some(Mark { link: parent_link, side: Side::Open }), next: Some(close) },
            close: Neighbours { prev: Some(open), next: after },
        };
        self.entry_at_mut(parent_link).open.next = Some(open);
        if let Some(after) = after {
            self.neighbours_mut(after).prev = Some(close);
        }
        self.count += 1;
    }

    /// Moves the capability at `from` to the empty slot `to`, keeping its place in the
    /// derivation list: each new mark goes in right after the old one, which then leaves.
    pub fn move_cap(&mut self, from: SlotRef, to: SlotRef) {
        let (Some(from_link), Some(to_link)) = (self.link(from), self.link(to)) else { return };
        if from_link == to_link {
            return;
        }
        self.entry_at_mut(to_link).cap = self.entry_at(from_link).cap;
        for side in [Side::Open, Side::Close] {
            let old = Mark { link: from_link, side };
            self.link_after(old, Mark { link: to_link, side });
            self.unlink(old);
        }
        *self.entry_at_mut(from_link) = Entry::EMPTY;
    }

    /// Empties `at` and returns what it held. Whatever was derived from it stays, now counted
    /// as derived from its parent: it still lies between the parent's marks.
    pub fn remove(&mut self, at: SlotRef) -> Option<Capability> {
        let link = self.link(at)?;
        self.remove_at(link)
    }

    /// Empties the slot of the first capability derived from the one at `at` (directly: the
    /// one whose opening mark follows `at`'s) and returns what it held; `None` when nothing
    /// is derived from it.
    pub fn remove_first_derived(&mut self, at: SlotRef) -> Option<Capability> {
        match self.entry(at)?.open.next? {
            Mark { link, side: Side::Open } => self.remove_at(link),
            Mark { side: Side::Close, .. } => None,
        }
    }

    #[inline(always)]
    fn remove_at(&mut self, link: Link) -> Option<Capability> {
        self.entry_at(link).cap?;
        let entry = core::mem::replace(self.entry_at_mut(link), Entry::EMPTY);
        // A closing mark right after its opening one can only be its own (lists nest).
        if entry.open.next.is_some_and(|mark| mark.side == Side::Close) {
            // Nothing derived from it: its two marks leave as one.
            self.join(entry.open.prev, entry.close.next);
        } else {
            self.join(entry.open.prev, entry.open.next);
            self.join(entry.close.prev, entry.close.next);
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

    /// Checks the derivation lists: links are mutual and point at occupied slots, empty
    /// slots are unlinked, every list starts with an opening mark, each capability's marks
    /// are in one list with its opening mark first and the lists nest properly (whatever
    /// lies between a capability's marks has both of its own there too), and the
    /// occupied-slot count is right. For the tests.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        let mut count = 0;
        for (at, _) in self.all() {
            count += 1;
            let link = self.link(at).ok_or("a slot in a live space has no link")?;
            for side in [Side::Open, Side::Close] {
                let mark = Mark { link, side };
                let neighbours = self.neighbours(mark);
                if let Some(prev) = neighbours.prev {
                    let before = self.try_neighbours(prev).ok_or("prev link into an empty slot")?;
                    if before.next != Some(mark) {
                        return Err("prev link not mutual");
                    }
                }
                if let Some(next) = neighbours.next {
                    let after = self.try_neighbours(next).ok_or("next link into an empty slot")?;
                    if after.prev != Some(mark) {
                        return Err("next link not mutual");
                    }
                }
            }
            if self.entry_at(link).close.prev.is_none() {
                return Err("a list starts with a closing mark");
            }
        }
        for (_, space) in self.spaces.iter() {
            if space.entries.iter().any(|entry| entry.cap.is_none() && !entry.is_unlinked()) {
                return Err("an empty slot is linked");
            }
        }
        if count != self.count {
            return Err("capability count is wrong");
        }
        // Walk every list from its head, matching marks on a stack; every mark must be met.
        let mut open = [Link { cspace: 0, slot: 0 }; MAX_CSPACES * SLOTS];
        let mut marks = 0;
        for (at, _) in self.all() {
            let link = self.link(at).ok_or("a slot in a live space has no link")?;
            if self.entry_at(link).open.prev.is_some() {
                continue;
            }
            let (mut depth, mut next) = (0, Some(Mark { link, side: Side::Open }));
            while let Some(mark) = next {
                marks += 1;
                if marks > 2 * count {
                    return Err("a derivation list runs in a circle");
                }
                match mark.side {
                    Side::Open => {
                        *open.get_mut(depth).ok_or("a derivation list nests too deep")? = mark.link;
                        depth += 1;
                    }
                    Side::Close if depth > 0 && open[depth - 1] == mark.link => depth -= 1,
                    Side::Close => return Err("a derivation list does not nest"),
                }
                next = self.neighbours(mark).next;
            }
            if depth != 0 {
                return Err("a derivation list ends with marks open");
            }
        }
        if marks != 2 * count {
            return Err("a mark is in no list that starts with an opening mark");
        }
        Ok(())
    }

    /// Puts `mark` (of an occupied entry, in no list) in `anchor`'s list right after it.
    fn link_after(&mut self, anchor: Mark, mark: Mark) {
        let after = self.neighbours(anchor).next;
        *self.neighbours_mut(mark) = Neighbours { prev: Some(anchor), next: after };
        self.neighbours_mut(anchor).next = Some(mark);
        if let Some(after) = after {
            self.neighbours_mut(after).prev = Some(mark);
        }
    }

    /// Takes `mark` out of its list, joining its neighbours.
    fn unlink(&mut self, mark: Mark) {
        let Neighbours { prev, next } = core::mem::take(self.neighbours_mut(mark));
        self.join(prev, next);
    }

    /// Makes `prev` and `next` neighbours (either may be the end of the list).
    #[inline(always)]
    fn join(&mut self, prev: Option<Mark>, next: Option<Mark>) {
        if let Some(prev) = prev {
            self.neighbours_mut(prev).next = next;
        }
        if let Some(next) = next {
            self.neighbours_mut(next).prev = prev;
        }
    }

    fn neighbours(&self, mark: Mark) -> &Neighbours {
        let entry = self.entry_at(mark.link);
        match mark.side {
            Side::Open => &entry.open,
            Side::Close => &entry.close,
        }
    }

    fn try_neighbours(&self, mark: Mark) -> Option<&Neighbours> {
        let entry = self.try_entry_at(mark.link).filter(|entry| entry.cap.is_some())?;
        Some(match mark.side {
            Side::Open => &entry.open,
            Side::Close => &entry.close,
        })
    }

    #[inline(always)]
    fn neighbours_mut(&mut self, mark: Mark) -> &mut Neighbours {
        let entry = self.entry_at_mut(mark.link);
        match mark.side {
            Side::Open => &mut entry.open,
            Side::Close => &mut entry.close,
        }
    }

    fn link(&self, at: SlotRef) -> Option<Link> {
        self.spaces.get(at.cspace)?;
        Some(Link { cspace: at.cspace.raw_index(), slot: at.slot.index() as u16 })
    }

    #[inline(always)]
    fn entry(&self, at: SlotRef) -> Option<&Entry> {
        self.spaces.get(at.cspace).map(|space| &space.entries[at.slot.index()])
    }

    fn entry_mut(&mut self, at: SlotRef) -> Option<&mut Entry> {
        self.spaces.get_mut(at.cspace).map(|space| &mut space.entries[at.slot.index()])
    }

    #[inline(always)]
    fn try_entry_at(&self, link: Link) -> Option<&Entry> {
        self.spaces.at_index(link.cspace).map(|space| &space.entries[usize::from(link.slot)])
    }

    #[inline(always)]
    fn entry_at(&self, link: Link) -> &Entry {
        self.try_entry_at(link).expect("derivation link into a dead space")
    }

    #[inline(always)]
    fn entry_at_mut(&mut self, link: Link) -> &mut Entry {
        let (_, space) = self.spaces.at_index_mut(link.cspace).expect("derivation link into a dead space");
        &mut space.entries[usize::from(link.slot)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(cspace: CSpaceId, slot: u64) -> SlotRef {
        SlotRef { cspace, slot: Slot::new(slot).unwrap() }
    }

    /// Everything derived from `root`, taken out one at a time.
    fn revoke(caps: &mut Capabilities, root: SlotRef) -> usize {
        let mut deleted = 0;
        while caps.remove_first_derived(root).is_some() {
            deleted += 1;
            caps.check_invariants().unwrap();
        }
        deleted
    }

    #[test]
    fn what_derives_from_a_deleted_capability_derives_from_its_parent_not_a_sibling() {
        let mut caps = Capabilities::new();
        let (a, b) = (caps.create_space(None).unwrap(), caps.create_space(None).unwrap());
        let cap = Capability::original(Object::IrqControl);
        // p ─┬─ s ── t
        //    └─ c ── x ── y      (c made first, so s lies between p's marks before c)
        let (p, c, x, y, s, t) = (at(a, 0), at(b, 1), at(a, 2), at(b, 3), at(a, 4), at(b, 5));
        caps.insert_original(p, cap);
        caps.insert_derived(p, c, cap);
        caps.insert_derived(c, x, cap);
        caps.insert_derived(x, y, cap);
        caps.insert_derived(p, s, cap);
        caps.insert_derived(s, t, cap);
        caps.check_invariants().unwrap();

        assert_eq!(caps.remove(c), Some(cap));
        caps.check_invariants().unwrap();
        // x was c's: now it is p's, not s's (its neighbour in the list).
        assert_eq!(revoke(&mut caps, s), 1);
        assert!(caps.get(x).is_ok() && caps.get(y).is_ok() && caps.get(t).is_err());

        // Moving keeps the place: x, moved to another space, still has y below it.
        let moved = at(b, 100);
        caps.move_cap(x, moved);
        caps.check_invariants().unwrap();
        assert_eq!(revoke(&mut caps, moved), 1);
        assert!(caps.get(y).is_err());

        // Deleting the original leaves what was derived from it in place, as originals.
        caps.insert_derived(moved, y, cap);
        assert_eq!(caps.remove(p), Some(cap));
        caps.check_invariants().unwrap();
        assert_eq!((caps.count(), revoke(&mut caps, s)), (3, 0));
        assert_eq!(revoke(&mut caps, moved), 1);
    }

    #[test]
    fn check_invariants_finds_lists_that_do_not_nest() {
        let mut caps = Capabilities::new();
        let space = caps.create_space(None).unwrap();
        let cap = Capability::original(Object::IrqControl);
        caps.insert_original(at(space, 0), cap);
        caps.insert_derived(at(space, 0), at(space, 1), cap);
        caps.check_invariants().unwrap();
        // Swap the child's marks: open(0) close(1) open(1) close(0).
        let entries = &mut caps.spaces.get_mut(space).unwrap().entries;
        core::mem::swap(&mut entries[1].open, &mut entries[1].close);
        let parent = Mark { link: Link { cspace: space.raw_index(), slot: 0 }, side: Side::Open };
        let child = |side| Mark { link: Link { cspace: space.raw_index(), slot: 1 }, side };
        entries[0].open.next = Some(child(Side::Close));
        entries[0].close.prev = Some(child(Side::Open));
        entries[1].close = Neighbours { prev: Some(parent), next: Some(child(Side::Open)) };
        entries[1].open =
            Neighbours { prev: Some(child(Side::Close)), next: Some(Mark { side: Side::Close, ..parent }) };
        assert_eq!(caps.check_invariants(), Err("a derivation list does not nest"));
    }
}
