//! The ready queues: one FIFO per priority level and a bitmap of non-empty levels, so that
//! enqueue, dequeue and "who is most urgent" are all O(1) with no allocation.

use crate::thread::{Priority, MAX_THREADS};

const LEVELS: usize = 256;
const BITMAP_WORDS: usize = LEVELS / 64;

/// Ready threads by priority, FIFO within a priority. Threads are named by their table index;
/// the links live in arrays indexed the same way (an intrusive doubly linked list).
#[derive(Clone)]
pub struct RunQueue {
    head: [Option<u16>; LEVELS],
    tail: [Option<u16>; LEVELS],
    next: [Option<u16>; MAX_THREADS],
    prev: [Option<u16>; MAX_THREADS],
    /// The level each queued thread sits on; `None` when the thread is not queued.
    level: [Option<Priority>; MAX_THREADS],
    /// Bit `p` is set exactly when level `p` is non-empty.
    nonempty: [u64; BITMAP_WORDS],
    /// Bit `w` is set exactly when word `w` of `nonempty` is non-zero.
    nonempty_words: u64,
    /// One above the highest priority with a ready thread, 0 when none is ready: kept as
    /// threads come and go, so that "is this thread more urgent than every ready one" (each
    /// IPC fastpath asks it) is one comparison, and the bitmaps are scanned only when the top
    /// level empties.
    ceiling: u16,
    /// Whether a thread was queued since [`RunQueue::take_arrivals`] last looked.
    arrivals: bool,
}

impl Default for RunQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl RunQueue {
    /// An empty queue.
    pub const fn new() -> Self {
        RunQueue {
            head: [None; LEVELS],
            tail: [None; LEVELS],
            next: [None; MAX_THREADS],
            prev: [None; MAX_THREADS],
            level: [None; MAX_THREADS],
            nonempty: [0; BITMAP_WORDS],
            nonempty_words: 0,
            ceiling: 0,
            arrivals: false,
        }
    }

    /// Whether any thread was queued since the last call. The scheduler uses it to keep the
    /// thread it chose without looking again: removals only make the choice safer.
    #[inline]
    pub fn take_arrivals(&mut self) -> bool {
        core::mem::take(&mut self.arrivals)
    }

    /// Whether the thread at `index` is queued.
    #[inline]
    pub fn contains(&self, index: u16) -> bool {
        self.level[usize::from(index)].is_some()
    }

    /// The highest priority with a ready thread.
    #[inline]
    pub fn highest_priority(&self) -> Option<Priority> {
        self.ceiling.checked_sub(1).map(|p| p as Priority)
    }

    /// Whether a thread of `priority` is strictly more urgent than every ready thread: woken
    /// while the CPU is free, it runs at once (a ready thread of the same priority came first).
    #[inline]
    pub fn is_outranked_by(&self, priority: Priority) -> bool {
        u16::from(priority) >= self.ceiling
    }

    /// [`RunQueue::ceiling`] computed from the bitmaps.
    fn scan_ceiling(&self) -> u16 {
        if self.nonempty_words == 0 {
            return 0;
        }
        let word = 63 - self.nonempty_words.leading_zeros() as usize;
        let bits = self.nonempty[word % BITMAP_WORDS];
        (word * 64 + 64 - bits.leading_zeros() as usize) as u16
    }

    /// Queues `index` behind every thread of its priority. The thread must not be queued.
    #[inline]
    pub fn push_back(&mut self, index: u16, priority: Priority) {
        debug_assert!(!self.contains(index), "thread {index} queued twice");
        let (i, p) = (usize::from(index), usize::from(priority));
        self.level[i] = Some(priority);
        self.next[i] = None;
        self.prev[i] = self.tail[p];
        match self.tail[p] {
            Some(last) => self.next[usize::from(last)] = Some(index),
            None => self.head[p] = Some(index),
        }
        self.tail[p] = Some(index);
        self.mark_nonempty(priority);
    }

    /// Queues `index` ahead of every thread of its priority (a preempted thread keeps its turn).
    #[inline]
    pub fn push_front(&mut self, index: u16, priority: Priority) {
        debug_assert!(!self.contains(index), "thread {index} queued twice");
        let (i, p) = (usize::from(index), usize::from(priority));
        self.level[i] = Some(priority);
        self.prev[i] = None;
        self.next[i] = self.head[p];
        match self.head[p] {
            Some(first) => self.prev[usize::from(first)] = Some(index),
            None => self.tail[p] = Some(index),
        }
        self.head[p] = Some(index);
        self.mark_nonempty(priority);
    }

    /// Takes the first thread of the highest non-empty priority.
    #[inline]
    pub fn pop_highest(&mut self) -> Option<u16> {
        let priority = self.highest_priority()?;
        let index = self.head[usize::from(priority)]?;
        self.remove(index);
        Some(index)
    }

    /// Removes `index` wherever it is queued; does nothing when it is not queued.
    #[inline]
    pub fn remove(&mut self, index: u16) {
        let i = usize::from(index);
        let Some(priority) = self.level[i].take() else { return };
        let p = usize::from(priority);
        match self.prev[i] {
            Some(before) => self.next[usize::from(before)] = self.next[i],
            None => self.head[p] = self.next[i],
        }
        match self.next[i] {
            Some(after) => self.prev[usize::from(after)] = self.prev[i],
            None => self.tail[p] = self.prev[i],
        }
        self.next[i] = None;
        self.prev[i] = None;
        if self.head[p].is_none() {
            self.nonempty[p / 64] &= !(1 << (p % 64));
            if self.nonempty[p / 64] == 0 {
                self.nonempty_words &= !(1 << (p / 64));
            }
            if p + 1 == usize::from(self.ceiling) {
                self.ceiling = self.scan_ceiling();
            }
        }
    }

    /// Level `priority` has a thread, which has just arrived.
    #[inline]
    fn mark_nonempty(&mut self, priority: Priority) {
        let p = usize::from(priority);
        self.nonempty[p / 64] |= 1 << (p % 64);
        self.nonempty_words |= 1 << (p / 64);
        self.ceiling = self.ceiling.max(p as u16 + 1);
        self.arrivals = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fifo_within_a_priority() {
        let mut queue = RunQueue::new();
        queue.push_back(3, 5);
        queue.push_back(1, 5);
        queue.push_back(2, 5);
        assert_eq!(queue.pop_highest(), Some(3));
        assert_eq!(queue.pop_highest(), Some(1));
        assert_eq!(queue.pop_highest(), Some(2));
        assert_eq!(queue.pop_highest(), None);
    }

    #[test]
    fn highest_priority_first_across_bitmap_words() {
        let mut queue = RunQueue::new();
        queue.push_back(0, 0);
        queue.push_back(1, 200);
        queue.push_back(2, 63);
        queue.push_back(3, 64);
        assert_eq!(queue.highest_priority(), Some(200));
        let order: Vec<_> = core::iter::from_fn(|| queue.pop_highest()).collect();
        assert_eq!(order, [1, 3, 2, 0]);
        assert_eq!(queue.highest_priority(), None);
    }

    #[test]
    fn push_front_goes_ahead_and_remove_unlinks() {
        let mut queue = RunQueue::new();
        queue.push_back(1, 7);
        queue.push_back(2, 7);
        queue.push_front(3, 7);
        queue.remove(1);
        queue.remove(1);
        assert!(!queue.contains(1));
        assert_eq!(queue.pop_highest(), Some(3));
        assert_eq!(queue.pop_highest(), Some(2));
        assert_eq!(queue.highest_priority(), None);
    }

    #[derive(Clone, Debug)]
    enum Op {
        PushBack(u16, Priority),
        PushFront(u16, Priority),
        Remove(u16),
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        let index = 0..MAX_THREADS as u16;
        // A few levels make collisions (FIFO order within a level) frequent.
        let priority = prop_oneof![Just(0u8), Just(1), Just(63), Just(64), Just(255), any::<u8>()];
        prop_oneof![
            (index.clone(), priority.clone()).prop_map(|(i, p)| Op::PushBack(i, p)),
            (index.clone(), priority).prop_map(|(i, p)| Op::PushFront(i, p)),
            index.prop_map(Op::Remove),
            Just(Op::Pop),
        ]
    }

    proptest! {
        /// The queue behaves like a plain list of (priority, index) sorted by priority,
        /// FIFO within a priority.
        #[test]
        fn matches_a_sorted_list_model(ops in proptest::collection::vec(op(), 1..300)) {
            let mut queue = RunQueue::new();
            let mut model: Vec<(Priority, u16)> = Vec::new();
            for op in ops {
                match op {
                    Op::PushBack(i, p) | Op::PushFront(i, p) if model.iter().any(|&(_, m)| m == i) => {
                        let _ = p;
                    }
                    Op::PushBack(i, p) => {
                        queue.push_back(i, p);
                        let at = model.iter().rposition(|&(q, _)| q >= p).map_or(0, |k| k + 1);
                        model.insert(at, (p, i));
                    }
                    Op::PushFront(i, p) => {
                        queue.push_front(i, p);
                        let at = model.iter().position(|&(q, _)| q <= p).unwrap_or(model.len());
                        model.insert(at, (p, i));
                    }
                    Op::Remove(i) => {
                        queue.remove(i);
                        model.retain(|&(_, m)| m != i);
                    }
                    Op::Pop => {
                        let expected = (!model.is_empty()).then(|| model.remove(0).1);
                        prop_assert_eq!(queue.pop_highest(), expected);
                    }
                }
                prop_assert_eq!(queue.highest_priority(), model.first().map(|&(p, _)| p));
                for i in 0..MAX_THREADS as u16 {
                    prop_assert_eq!(queue.contains(i), model.iter().any(|&(_, m)| m == i));
                }
            }
        }
    }
}
