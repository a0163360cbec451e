//! Fixed-capacity tables of kernel objects named by generation-checked handles: a handle
//! kept after its object is gone can never reach the object that later reuses the slot.
//! No allocation, O(1) lookup, and no raw pointers.

use core::marker::PhantomData;
use core::num::NonZeroU64;

/// Names one object of type `T`: a table index plus the generation the slot had when the
/// object was made, packed in one word (bits 0–15 the index, 16–47 the generation, and bit
/// 63 set; bit 62 marks the handle an empty slot keeps, which is never given out), so that a
/// handle, or an `Option` of one, is copied, stored and compared as a single word.
pub struct Handle<T> {
    raw: NonZeroU64,
    kind: PhantomData<fn() -> T>,
}

/// The bit every handle has set: it makes a handle non-zero, which `Option` uses as `None`.
const HANDLE_TAG: NonZeroU64 = NonZeroU64::new(1 << 63).unwrap();

// Written out rather than derived, so that a handle is `Copy` whatever `T` is.
impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Handle<T> {}
impl<T> PartialEq for Handle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl<T> Eq for Handle<T> {}
impl<T> core::hash::Hash for Handle<T> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}
impl<T> core::fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "#{}.{}", self.index(), self.generation())
    }
}

impl<T> Handle<T> {
    #[inline]
    const fn new(index: u16, generation: u32) -> Self {
        let raw = HANDLE_TAG.get() | (generation as u64) << 16 | index as u64;
        // Never zero: HANDLE_TAG's bit is set.
        match NonZeroU64::new(raw) {
            Some(raw) => Handle { raw, kind: PhantomData },
            None => unreachable!(),
        }
    }

    /// The table index (stable for the object's whole life; the kernel crate keeps per-thread
    /// arch state in arrays indexed the same way).
    #[inline]
    pub fn index(self) -> usize {
        usize::from(self.raw_index())
    }

    /// A user-visible number: index and generation together, never reused within a boot
    /// until the generation counter wraps.
    #[inline]
    pub fn number(self) -> u64 {
        self.raw.get() & !HANDLE_TAG.get()
    }

    /// A handle that names no object, in any table: its index is beyond every table's
    /// capacity, so it finds nothing (see `Arena::slot_of`). For a name that outlived its
    /// meaning, such as a reply right whose call was cancelled.
    pub const NOTHING: Handle<T> = Handle::new(u16::MAX, 0);

    #[inline]
    pub(crate) fn raw_index(self) -> u16 {
        self.raw.get() as u16
    }

    #[inline]
    fn generation(self) -> u32 {
        (self.raw.get() >> 16) as u32
    }
}

/// What a table keeps in a slot that holds no object: a filler no handle reaches. Every slot
/// holds a `T`, so that a look-up is one comparison of handles and no test of whether the
/// slot is filled (which a handle that matches already answers).
pub trait Vacant {
    /// The filler of an empty slot.
    const VACANT: Self;
}

/// The bit a slot's handle has set while the slot is empty. No handle the table gives out
/// has it, so none equals the handle of an empty slot.
const VACANT_BIT: u64 = 1 << 62;

impl<T> Handle<T> {
    /// This handle marked as the one of an empty slot.
    #[inline]
    const fn vacant(self) -> Self {
        match NonZeroU64::new(self.raw.get() | VACANT_BIT) {
            Some(raw) => Handle { raw, kind: PhantomData },
            None => unreachable!(),
        }
    }

    /// Whether this is the handle of an empty slot.
    #[inline]
    fn is_vacant(self) -> bool {
        self.raw.get() & VACANT_BIT != 0
    }
}

/// A table of at most `N` objects of type `T`. Each slot keeps the handle of its object, or,
/// marked vacant, the handle of the next object it will hold: a handle names a live object
/// exactly when it is equal to that, one comparison.
#[derive(Clone)]
pub struct Arena<T, const N: usize> {
    /// The objects; an empty slot holds [`Vacant::VACANT`].
    slots: [T; N],
    handles: [Handle<T>; N],
    len: usize,
}

impl<T: Vacant, const N: usize> Default for Arena<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Vacant, const N: usize> Arena<T, N> {
    /// An empty table.
    pub const fn new() -> Self {
        const {
            assert!(
                N.is_power_of_two() && N <= 1 << 15,
                "an arena's size is a power of two that a u16 indexes, short of Handle::NOTHING's index"
            )
        };
        let mut handles = [Handle { raw: HANDLE_TAG, kind: PhantomData }; N];
        let mut index = 0;
        while index < N {
            handles[index] = Handle::new(index as u16, 0).vacant();
            index += 1;
        }
        Arena { slots: [const { T::VACANT }; N], handles, len: 0 }
    }

    /// Stores `value` in a free slot and returns its handle; `None` when the table is full.
    pub fn insert(&mut self, value: T) -> Option<Handle<T>> {
        let index = self.handles.iter().position(|handle| handle.is_vacant())?;
        let handle = Handle::new(index as u16, self.handles[index].generation());
        self.handles[index] = handle;
        self.slots[index] = value;
        self.len += 1;
        Some(handle)
    }

    /// Removes the object `handle` names, ending that handle: the slot's generation moves on.
    pub fn remove(&mut self, handle: Handle<T>) -> Option<T> {
        self.get(handle)?;
        let index = handle.index();
        self.handles[index] = Handle::new(handle.raw_index(), handle.generation().wrapping_add(1)).vacant();
        self.len -= 1;
        Some(core::mem::replace(&mut self.slots[index], T::VACANT))
    }
}

impl<T, const N: usize> Arena<T, N> {
    /// The slot `handle` names, wrapped into the table: a handle whose index is too large
    /// wraps onto a slot whose own handle differs, so it finds nothing. (An `and`, where an
    /// index check would cost a comparison and a branch on every look-up.)
    #[inline(always)]
    fn slot_of(handle: Handle<T>) -> usize {
        handle.index() % N
    }

    /// The object `handle` names, if it still exists.
    #[inline]
    pub fn get(&self, handle: Handle<T>) -> Option<&T> {
        let index = Self::slot_of(handle);
        if self.handles[index] != handle {
            return None;
        }
        Some(&self.slots[index])
    }

    /// The object `handle` names, if it still exists, for changing.
    #[inline]
    pub fn get_mut(&mut self, handle: Handle<T>) -> Option<&mut T> {
        let index = Self::slot_of(handle);
        if self.handles[index] != handle {
            return None;
        }
        Some(&mut self.slots[index])
    }

    /// Every live object with its handle.
    pub fn iter(&self) -> impl Iterator<Item = (Handle<T>, &T)> {
        self.handles.iter().zip(&self.slots).filter(|(handle, _)| !handle.is_vacant()).map(|(&h, t)| (h, t))
    }

    /// Every live object with its handle, for changing.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Handle<T>, &mut T)> {
        self.handles
            .iter()
            .zip(&mut self.slots)
            .filter(|(handle, _)| !handle.is_vacant())
            .map(|(&h, t)| (h, t))
    }

    /// The handle of the live object at `index`, if any.
    #[inline]
    pub fn handle_at(&self, index: u16) -> Option<Handle<T>> {
        let handle = *self.handles.get(usize::from(index))?;
        (!handle.is_vacant()).then_some(handle)
    }

    /// The live object at `index`: for a table index kept where a handle would cost room
    /// (derivation links), which names whatever lives there now.
    #[inline]
    pub fn at_index(&self, index: u16) -> Option<&T> {
        let i = usize::from(index);
        (!self.handles.get(i)?.is_vacant()).then(|| &self.slots[i])
    }

    /// The live object at `index` with its handle, for changing: for a table index kept
    /// where a handle would cost room (queue links), which names whatever lives there now.
    #[inline]
    pub fn at_index_mut(&mut self, index: u16) -> Option<(Handle<T>, &mut T)> {
        let i = usize::from(index);
        let handle = *self.handles.get(i)?;
        if handle.is_vacant() {
            return None;
        }
        Some((handle, &mut self.slots[i]))
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

    impl Vacant for &str {
        const VACANT: Self = "";
    }
    impl Vacant for u32 {
        const VACANT: Self = 0;
    }
    impl Vacant for u8 {
        const VACANT: Self = 0;
    }

    #[test]
    fn an_empty_slot_is_never_found() {
        let mut table: Arena<u32, 4> = Arena::new();
        let first = table.insert(1).unwrap();
        assert_eq!(table.handle_at(1), None, "never filled");
        assert!(table.at_index_mut(1).is_none());
        table.remove(first);
        assert_eq!(table.handle_at(first.raw_index()), None, "emptied");
        assert!(table.at_index_mut(first.raw_index()).is_none());
        assert_eq!(table.iter().count(), 0);
        let second = table.insert(2).unwrap();
        assert_eq!(table.handle_at(second.raw_index()), Some(second));
        assert_eq!(table.iter_mut().map(|(h, v)| (h, *v)).collect::<Vec<_>>(), [(second, 2)]);
    }

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

    #[test]
    fn a_handle_is_one_word_and_its_number_is_index_and_generation() {
        assert_eq!(core::mem::size_of::<Option<Handle<u8>>>(), 8);
        let mut table: Arena<u8, 512> = Arena::new();
        let handles: Vec<_> = (0..300).map(|i| table.insert(i as u8).unwrap()).collect();
        assert_eq!(handles[299].number(), 299);
        table.remove(handles[299]);
        let again = table.insert(7).unwrap();
        assert_eq!(again.number(), 1 << 16 | 299, "generation 1, index 299");
        assert_eq!(format!("{again:?}"), "#299.1");
        assert_eq!(table.iter().map(|(h, _)| h).last(), Some(again));
        let mut small: Arena<u8, 4> = Arena::new();
        small.insert(1).unwrap();
        assert_eq!(handles[256].index() % 4, 0);
        assert!(small.get(handles[256]).is_none(), "an index past the end wraps onto another handle");
    }
}
