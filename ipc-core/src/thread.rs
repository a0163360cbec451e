//! Threads and the table that owns them: generation-checked ids, so that an id kept after its
//! thread is gone can never reach the thread that later reuses the slot.

/// How many threads can exist at once.
pub const MAX_THREADS: usize = 64;

/// Scheduling priority: higher numbers run first.
pub type Priority = u8;

/// Names one thread: a table index plus the generation the slot had when the thread was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ThreadId {
    index: u16,
    generation: u32,
}

impl ThreadId {
    /// The table index (stable for the thread's whole life; the kernel keeps per-thread
    /// arch state in an array indexed the same way).
    pub fn index(self) -> usize {
        usize::from(self.index)
    }

    /// The user-visible process number: index and generation together, never reused
    /// within a boot until the generation counter wraps.
    pub fn number(self) -> u64 {
        (u64::from(self.generation) << 16) | u64::from(self.index)
    }

    pub(crate) fn raw_index(self) -> u16 {
        self.index
    }
}

/// A short, fixed-size name for reports (no allocation in the kernel).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name {
    bytes: [u8; Name::CAPACITY],
    len: u8,
}

impl Name {
    /// The longest name kept; longer names are cut at a character boundary.
    pub const CAPACITY: usize = 24;

    /// Makes a name from `text`, cut to [`Name::CAPACITY`] bytes.
    pub fn new(text: &str) -> Name {
        let mut len = text.len().min(Self::CAPACITY);
        while !text.is_char_boundary(len) {
            len -= 1;
        }
        let mut bytes = [0; Self::CAPACITY];
        bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
        Name { bytes, len: len as u8 }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        // The bytes were cut from a `&str` at a character boundary, so this cannot fail.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("?")
    }
}

impl core::fmt::Debug for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// Where a thread is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// Waiting in the run queue.
    Ready,
    /// On the CPU (exactly one thread at a time, or none while idle).
    Running,
    /// Blocked in `sleep` until the tick count reaches `until`.
    Sleeping { until: u64 },
}

/// One thread's kernel-visible state. Register contents are arch state and live in the kernel
/// crate, in an array indexed by [`ThreadId::index`].
#[derive(Clone, Debug)]
pub struct Thread {
    /// For reports.
    pub name: Name,
    /// Fixed at creation.
    pub priority: Priority,
    /// Ticks left in the current time slice.
    pub slice_left: u32,
    /// Where the thread is in its life.
    pub state: ThreadState,
}

/// The table of threads: fixed capacity, one generation counter per slot.
#[derive(Clone)]
pub struct ThreadTable {
    slots: [Option<Thread>; MAX_THREADS],
    generations: [u32; MAX_THREADS],
}

impl Default for ThreadTable {
    fn default() -> Self {
        Self::new()
    }
}

impl ThreadTable {
    /// An empty table.
    pub const fn new() -> Self {
        ThreadTable { slots: [const { None }; MAX_THREADS], generations: [0; MAX_THREADS] }
    }

    /// Stores `thread` in a free slot and returns its id; `None` when the table is full.
    pub fn insert(&mut self, thread: Thread) -> Option<ThreadId> {
        let index = self.slots.iter().position(Option::is_none)?;
        self.slots[index] = Some(thread);
        Some(ThreadId { index: index as u16, generation: self.generations[index] })
    }

    /// Removes the thread `id` names, ending that id: the slot's generation moves on.
    pub fn remove(&mut self, id: ThreadId) -> Option<Thread> {
        self.get(id)?;
        let index = id.index();
        self.generations[index] = self.generations[index].wrapping_add(1);
        self.slots[index].take()
    }

    /// The thread `id` names, if it still exists.
    pub fn get(&self, id: ThreadId) -> Option<&Thread> {
        let index = id.index();
        if *self.generations.get(index)? != id.generation {
            return None;
        }
        self.slots[index].as_ref()
    }

    /// The thread `id` names, if it still exists, for changing.
    pub fn get_mut(&mut self, id: ThreadId) -> Option<&mut Thread> {
        let index = id.index();
        if *self.generations.get(index)? != id.generation {
            return None;
        }
        self.slots[index].as_mut()
    }

    /// Every live thread with its id, for changing.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (ThreadId, &mut Thread)> {
        let generations = &self.generations;
        self.slots.iter_mut().enumerate().filter_map(move |(index, slot)| {
            let id = ThreadId { index: index as u16, generation: generations[index] };
            slot.as_mut().map(|thread| (id, thread))
        })
    }

    /// The id of the live thread at `index`, if any.
    pub fn id_at(&self, index: u16) -> Option<ThreadId> {
        let i = usize::from(index);
        self.slots.get(i)?.as_ref()?;
        Some(ThreadId { index, generation: self.generations[i] })
    }

    /// How many threads exist.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|slot| slot.is_some()).count()
    }

    /// Whether no thread exists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread(name: &str) -> Thread {
        Thread { name: Name::new(name), priority: 1, slice_left: 1, state: ThreadState::Ready }
    }

    #[test]
    fn stale_id_never_reaches_the_reused_slot() {
        let mut table = ThreadTable::new();
        let first = table.insert(thread("first")).unwrap();
        assert!(table.remove(first).is_some());
        let second = table.insert(thread("second")).unwrap();
        assert_eq!(first.index(), second.index(), "the slot is reused");
        assert_ne!(first.number(), second.number());
        assert!(table.get(first).is_none());
        assert!(table.remove(first).is_none());
        assert_eq!(table.get(second).unwrap().name.as_str(), "second");
    }

    #[test]
    fn table_fills_up_without_panicking() {
        let mut table = ThreadTable::new();
        for _ in 0..MAX_THREADS {
            assert!(table.insert(thread("t")).is_some());
        }
        assert!(table.insert(thread("one too many")).is_none());
        assert_eq!(table.len(), MAX_THREADS);
    }

    #[test]
    fn long_names_are_cut_at_a_char_boundary() {
        let name = Name::new("ééééééééééééééééééééééééé");
        assert!(name.as_str().len() <= Name::CAPACITY);
        assert!(name.as_str().chars().all(|c| c == 'é'));
    }
}
