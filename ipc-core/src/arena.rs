//! Fixed-capacity tables of kernel objects named by generation-checked handles: a handle
//! kept after its object is gone can never reach the object that later reuses the slot.
//! No allocation, O(1) lookup, and no raw pointers.

use core::marker::PhantomData;

/// Names one object of type `T`: a table index plus the generation the slot had when the
/// object was made.
pub struct Handle<T> {
    index: u16,
    generation: u32,
    kind: PhantomData<fn() -> T>,
}

// Written out rather than derived, so that a handle is `Copy` whatever `T` is.
impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Handle<T> {}
impl<T> PartialEq for Handle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index && self.generation == other.generation
    }
}
impl<T> Eq for Handle<T> {}
impl<T> core::hash::Hash for Handle<T> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (self.index, self.generation).hash(state);
    }
}
impl<T> core::fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "#{}.{}", self.index, self.generation)
    }
}

impl<T> Handle<T> {
    /// The table index (stable for the object's whole life; the kernel crate keeps per-thread
    /// arch state in arrays indexed the same way).
    pub fn index(self) -> usize {
        usize::from(self.index)
    }

    /// A user-visible number: index and generation together, never reused within a boot
    /// until the generation counter wraps.
    pub fn number(self) -> u64 {
        (u64::from(self.generation) << 16) | u64::from(self.index)
    }

    pub(crate) fn raw_index(self) -> u16 {
        self.index
    }
}

/// A table of at most `N` objects of type `T`, with one generation counter per slot.
#[derive(Clone)]
pub struct Arena<T, const N: usize> {
    slots: [Option<T>; N],
    generations: [u32; N],
    len: usize,
}

impl<T, const N: usize> Default for Arena<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> Arena<T, N> {
    /// An empty table.
    pub const fn new() -> Self {
        Arena { slots: [const { None }; N], generations: [0; N], len: 0 }
    }

    /// Stores `value` in a free slot and returns its handle; `None` when the table is full.
    pub fn insert(&mut self, value: T) -> Option<Handle<T>> {
        let index = self.slots.iter().position(Option::is_none)?;
        self.slots[index] = Some(value);
        self.len += 1;
        Some(Handle { index: index as u16, generation: self.generations[index], kind: PhantomData })
    }

    /// Removes the object `handle` names, ending that handle: the slot's generation moves on.
    pub fn remove(&mut self, handle: Handle<T>) -> Option<T> {
        self.get(handle)?;
        let index = handle.index();
        self.generations[index] = self.generations[index].wrapping_add(1);
        self.len -= 1;
        self.slots[index].take()
    }

    /// The object `handle` names, if it still exists.
    #[inline]
    pub fn get(&self, handle: Handle<T>) -> Option<&T> {
        let index = handle.index();
        if *self.generations.get(index)? != handle.generation {
            return None;
        }
        self.slots[index].as_ref()
    }

    /// The object `handle` names, if it still exists, for changing.
    #[inline]
    pub fn get_mut(&mut self, handle: Handle<T>) -> Option<&mut T> {
        let index = handle.index();
        if *self.generations.get(index)? != handle.generation {
            return None;
        }
        self.slots[index].as_mut()
    }

    /// Every live object with its handle.
    pub fn iter(&self) -> impl Iterator<Item = (Handle<T>, &T)> {
        let generations = &self.generations;
        self.slots.iter().enumerate().filter_map(move |(index, slot)| {
            let handle = Handle { index: index as u16, generation: generations[index], kind: PhantomData };
            slot.as_ref().map(|value| (handle, value))
        })
    }

    /// Every live object with its handle, for changing.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Handle<T>, &mut T)> {
        let generations = &self.generations;
        self.slots.iter_mut().enumerate().filter_map(move |(index, slot)| {
            let handle = Handle { index: index as u16, generation: generations[index], kind: PhantomData };
            slot.as_mut().map(|value| (handle, value))
        })
    }

    /// The handle of the live object at `index`, if any.
    #[inline]
    pub fn handle_at(&self, index: u16) -> Option<Handle<T>> {
        let i = usize::from(index);
        self.slots.get(i)?.as_ref()?;
        Some(Handle { index, generation: self.generations[i], kind: PhantomData })
    }

    /// The live object at `index` with its handle, for changing: for a table index kept
    /// where a handle would cost room (queue links), which names whatever lives there now.
    #[inline]
    pub fn at_index_mut(&mut self, index: u16) -> Option<(Handle<T>, &mut T)> {
        let i = usize::from(index);
        let value = self.slots.get_mut(i)?.as_mut()?;
        Some((Handle { index, generation: self.generations[i], kind: PhantomData }, value))
    }

    /// How many objects exist.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no object exists.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_handle_never_reaches_the_reused_slot() {
        let mut table: Arena<&str, 4> = Arena::new();
        let first = table.insert("first").unwrap();
        assert_eq!(table.remove(first), Some("first"));
        let second = table.insert("second").unwrap();
        assert_eq!(first.index(), second.index(), "the slot is reused");
        assert_ne!(first.number(), second.number());
        assert!(table.get(first).is_none());
        assert!(table.remove(first).is_none());
        assert_eq!(table.get(second), Some(&"second"));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn table_fills_up_without_panicking() {
        let mut table: Arena<u32, 8> = Arena::new();
        for i in 0..8 {
            assert!(table.insert(i).is_some());
        }
        assert!(table.insert(99).is_none());
        assert_eq!(table.len(), 8);
        assert_eq!(table.iter().count(), 8);
    }
}
