//! `map` and `unmap`, and the lives of Frames and address spaces: what happens to mappings
//! when a Frame capability goes, and to an address space when its last thread or capability
//! goes.

use crate::abi::{Error, Rights, PAGE_TABLE_COST};
use crate::cspace::{Capability, Object, SlotRef};
use crate::machine::Machine;
use crate::pages::{AddressSpace, FrameId, Mapping, SpaceId};
use crate::thread::ThreadId;

use super::Kernel;

impl Kernel {
    /// `map`: maps the page of the Frame capability at `frame` at `vaddr` (page-aligned, in
    /// the user half: checked by decoding) of the address space at `space`, with `rights`
    /// (Read, plus Write or Execute, also checked by decoding). The address space capability
    /// needs Write; the Frame capability every right asked for, and no mapping yet. Page
    /// tables the mapping needs are charged to the Memory object that paid for the space.
    pub(super) fn map<M: Machine>(
        &mut self,
        machine: &mut M,
        space: SlotRef,
        frame: SlotRef,
        vaddr: u64,
        rights: Rights,
    ) -> Result<(), Error> {
        let frame_cap = self.caps.get(frame)?;
        let space_cap = self.caps.get(space)?;
        let (Object::Frame(frame_id), Object::AddressSpace(space_id)) = (frame_cap.object, space_cap.object)
        else {
            return Err(Error::WrongType);
        };
        if !space_cap.rights.contains(Rights::WRITE) || !frame_cap.rights.contains(rights) {
            return Err(Error::MissingRights);
        }
        if frame_cap.mapping.is_some() {
            return Err(Error::AlreadyMapped);
        }
        // Capabilities only name live objects.
        let page = self.frames.get(frame_id).ok_or(Error::EmptySlot)?.page;
        let target = self.spaces.get(space_id).ok_or(Error::EmptySlot)?;
        let (root, memory) = (target.root, target.memory);
        let max_tables = match memory.and_then(|m| self.memories.get(m)) {
            Some(m) => u32::try_from((m.budget - m.used) / PAGE_TABLE_COST).unwrap_or(u32::MAX),
            None if memory.is_some() => 0,
            None => u32::MAX,
        };
        let added = machine.map_page(root, vaddr, page, rights, max_tables)?;
        if let Some(target) = self.spaces.get_mut(space_id) {
            target.tables += added;
        }
        if let Some(memory) = memory.and_then(|m| self.memories.get_mut(m)) {
            memory.used += u64::from(added) * PAGE_TABLE_COST;
            memory.charges += added;
        }
        self.caps.set_mapping(frame, Some(Mapping { space: space_id, vaddr }));
        Ok(())
    }

    /// `unmap`: undoes the mapping made through the Frame capability at `frame`.
    pub(super) fn unmap<M: Machine>(&mut self, machine: &mut M, frame: SlotRef) -> Result<(), Error> {
        let cap = self.caps.get(frame)?;
        let Object::Frame(_) = cap.object else { return Err(Error::WrongType) };
        let mapping = cap.mapping.ok_or(Error::NotMapped)?;
        self.undo_mapping(machine, frame, mapping);
        Ok(())
    }

    /// Undoes `mapping`, made through the Frame capability at `at`, which stays.
    pub(super) fn undo_mapping<M: Machine>(&mut self, machine: &mut M, at: SlotRef, mapping: Mapping) {
        self.remove_mapping(machine, mapping);
        self.caps.set_mapping(at, None);
    }

    /// Takes a mapping out of its address space's page tables.
    pub(super) fn remove_mapping<M: Machine>(&mut self, machine: &mut M, mapping: Mapping) {
        // A mapping into a dead space was forgotten with it, so the space is alive.
        if let Some(space) = self.spaces.get(mapping.space) {
            machine.unmap_page(space.root, mapping.vaddr);
        }
    }

    /// A Frame capability is gone: its mapping goes with it, and the page with the last one
    /// (unless a thread still uses it as its IPC buffer).
    pub(super) fn release_frame<M: Machine>(&mut self, machine: &mut M, id: FrameId, cap: Capability) {
        if let Some(mapping) = cap.mapping {
            self.remove_mapping(machine, mapping);
        }
        let Some(frame) = self.frames.get_mut(id) else { return };
        frame.caps -= 1;
        self.free_frame_if_unused(machine, id);
    }

    /// Frees Frame `id` and its page if no capability names it and no thread uses it.
    pub(super) fn free_frame_if_unused<M: Machine>(&mut self, machine: &mut M, id: FrameId) {
        let Some(frame) = self.frames.get(id) else { return };
        if frame.caps == 0 && frame.users == 0 {
            let (page, memory) = (frame.page, frame.memory);
            self.frames.remove(id);
            machine.free_page(page);
            self.uncharge(memory, crate::abi::FRAME_COST);
        }
    }

    /// An address-space capability is gone: a space with no capability and no thread goes.
    pub(super) fn release_address_space<M: Machine>(&mut self, machine: &mut M, id: SpaceId) {
        let Some(space) = self.spaces.get_mut(id) else { return };
        space.caps -= 1;
        if space.caps == 0 && space.threads == 0 {
            self.destroy_address_space(machine, id);
        }
    }

    /// A thread of address space `id` has ended. With its last thread the space goes at once,
    /// and every capability to it: nothing can run in it again.
    pub(super) fn leave_address_space<M: Machine>(&mut self, machine: &mut M, id: SpaceId) {
        let Some(space) = self.spaces.get_mut(id) else { return };
        if space.threads > 1 {
            space.threads -= 1;
            return;
        }
        // While `threads` is still 1, deleting these cannot destroy the space underneath us.
        self.delete_all_naming(machine, |object| object == Object::AddressSpace(id));
        self.destroy_address_space(machine, id);
    }

    /// Frees address space `id`: its page tables go (the pages mapped there stay with their
    /// Frames), every mapping into it is forgotten, and its Memory object is refunded.
    fn destroy_address_space<M: Machine>(&mut self, machine: &mut M, id: SpaceId) {
        let Some(space) = self.spaces.remove(id) else { return };
        self.caps.forget_mappings_in(id);
        machine.destroy_space(space.root);
        if let Some(memory) = space.memory {
            let tables = space.tables + 1;
            self.refund(memory, u64::from(tables) * PAGE_TABLE_COST, tables);
        }
    }

    /// Makes the address space a boot process was loaded into (top-level table `root`) an
    /// object: `thread` runs in it, and its capability goes in the empty slot `at`. Its page
    /// tables are the kernel's expense, charged to nobody.
    pub fn boot_address_space(&mut self, thread: ThreadId, root: u64, at: SlotRef) -> Result<(), Error> {
        self.caps.check_empty(at)?;
        let t = self.threads.get(thread).ok_or(Error::InvalidArgument)?;
        if t.space.is_some() {
            return Err(Error::InvalidArgument);
        }
        let space = AddressSpace { root, caps: 1, threads: 1, memory: None, tables: 0 };
        let id = self.spaces.insert(space).ok_or(Error::TableFull)?;
        if let Some(t) = self.threads.get_mut(thread) {
            t.space = Some(id);
        }
        self.caps.insert_original(at, Capability::original(Object::AddressSpace(id)));
        Ok(())
    }

    /// The top-level page table of the address space `thread` runs in.
    pub fn space_root(&self, thread: ThreadId) -> Option<u64> {
        let space = self.threads.get(thread)?.space?;
        self.spaces.get(space).map(|s| s.root)
    }
}
