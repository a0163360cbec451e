//! The kernel objects capabilities name besides capability spaces: endpoints, with their
//! queues of waiting threads, notifications, and Memory objects, the budgets every object is
//! charged to.

pub use crate::abi::EndpointStats;
use crate::arena::{Handle, Vacant};
use crate::thread::{Priority, ThreadId, MAX_THREADS};

/// How many endpoints can exist at once.
pub const MAX_ENDPOINTS: usize = 256;
/// How many Memory objects can exist at once.
pub const MAX_MEMORIES: usize = 64;

/// How many notifications can exist at once.
pub const MAX_NOTIFICATIONS: usize = 256;

/// Names an endpoint.
pub type EndpointId = Handle<Endpoint>;
/// Names a Memory object.
pub type MemoryId = Handle<Memory>;
/// Names a notification.
pub type NotificationId = Handle<Notification>;

/// A rendezvous point. At most one of its queues is non-empty: a sender that finds a
/// receiver waiting (or the other way round) never queues.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Threads blocked in `send`/`call` on it.
    pub senders: WaitQueue,
    /// Threads blocked in `recv`/`reply_recv` on it.
    pub receivers: WaitQueue,
    /// Capabilities that refer to it; the endpoint dies with the last.
    pub caps: u32,
    /// Who pays for it.
    pub memory: MemoryId,
    /// What has passed through it (`endpoint_stats`).
    pub stats: EndpointStats,
}

/// A word of bits for asynchronous notification: `signal` ORs a badge into it and never
/// blocks; `wait` takes it, blocking while it is zero. Bound to a thread, it also ends that
/// thread's `recv` or interrupts it with an AST.
#[derive(Clone, Debug)]
pub struct Notification {
    /// Bits signalled and not yet taken.
    pub word: u64,
    /// Threads blocked in `wait` on it (the word is zero while any wait).
    pub waiters: WaitQueue,
    /// The thread it is bound to, if any.
    pub bound: Option<ThreadId>,
    /// Capabilities that refer to it; it dies with the last.
    pub caps: u32,
    /// Who pays for it.
    pub memory: MemoryId,
}

/// A budget of kernel memory. Objects made from it are charged to it; a child Memory object
/// is charged its own size plus its whole budget. It lives while capabilities refer to it or
/// objects are charged to it, and then refunds its parent.
#[derive(Clone, Debug)]
pub struct Memory {
    /// Bytes it may hand out.
    pub budget: u64,
    /// Bytes charged to it by live objects.
    pub used: u64,
    /// Capabilities that refer to it.
    pub caps: u32,
    /// Live objects charged to it.
    pub charges: u32,
    /// The Memory object it was made from (`None` for the boot memory).
    pub parent: Option<MemoryId>,
}

impl Vacant for Endpoint {
    const VACANT: Self = Endpoint {
        senders: WaitQueue::EMPTY,
        receivers: WaitQueue::EMPTY,
        caps: 0,
        memory: Handle::NOTHING,
        stats: EndpointStats { messages: 0, calls: 0, replies: 0, caps: 0 },
    };
}

impl Vacant for Notification {
    const VACANT: Self =
        Notification { word: 0, waiters: WaitQueue::EMPTY, bound: None, caps: 0, memory: Handle::NOTHING };
}

impl Vacant for Memory {
    const VACANT: Self = Memory { budget: 0, used: 0, caps: 0, charges: 0, parent: None };
}

/// A queue of blocked threads, served by priority and first come, first served within a
/// priority. Threads are named by table index; the links live in [`WaitLinks`], since a
/// thread waits in at most one queue at a time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaitQueue {
    head: Link,
    tail: Link,
}

// No table index is `Link::NONE`.
const _: () = assert!(MAX_THREADS < u16::MAX as usize);

/// A thread's table index in a queue, or no thread: one 16-bit word, with `u16::MAX` (far
/// above any table index) for none, so that a link is stored and tested in one instruction
/// where an `Option<u16>` takes two.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Link(u16);

impl Link {
    const NONE: Link = Link(u16::MAX);

    /// The thread linked to, if any. Tested as "is a table index", which `NONE` is not, so
    /// that indexing a table with the result needs no bounds check of its own.
    #[inline(always)]
    fn get(self) -> Option<u16> {
        (usize::from(self.0) < MAX_THREADS).then_some(self.0)
    }
}

impl Default for Link {
    fn default() -> Self {
        Link::NONE
    }
}

impl core::fmt::Debug for Link {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.get().fmt(f)
    }
}

/// The links of every thread's place in a [`WaitQueue`]. A thread in no queue has none
/// either way: every removal clears them, so joining an empty queue need not write them.
#[derive(Clone)]
pub struct WaitLinks {
    next: [Link; MAX_THREADS],
    prev: [Link; MAX_THREADS],
    priority: [Priority; MAX_THREADS],
}

impl Default for WaitLinks {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitLinks {
    /// No thread waits anywhere.
    pub const fn new() -> Self {
        WaitLinks {
            next: [Link::NONE; MAX_THREADS],
            prev: [Link::NONE; MAX_THREADS],
            priority: [0; MAX_THREADS],
        }
    }

    /// Whether the thread at `index` has no link to a neighbour: true of every thread in no
    /// queue, and of one that waits alone. For the invariant checks.
    pub fn is_unlinked(&self, index: u16) -> bool {
        let i = usize::from(index);
        self.next[i] == Link::NONE && self.prev[i] == Link::NONE
    }
}

impl WaitQueue {
    /// An empty queue.
    pub const EMPTY: WaitQueue = WaitQueue { head: Link::NONE, tail: Link::NONE };

    /// The thread that would be served first.
    #[inline]
    pub fn head(&self) -> Option<u16> {
        self.head.get()
    }

    /// Whether no thread waits.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.head == Link::NONE
    }

    /// Queues `index` behind every thread of its priority or higher. Walks from the tail, so
    /// it is O(1) when all waiters have the same priority.
    #[inline(always)]
    pub fn enqueue(&mut self, links: &mut WaitLinks, index: u16, priority: Priority) {
        let i = usize::from(index);
        links.priority[i] = priority;
        debug_assert!(links.prev[i] == Link::NONE && links.next[i] == Link::NONE, "already queued");
        if self.tail == Link::NONE {
            // The usual case of a server's receive: the thread is the whole queue, and its
            // links stay none.
            (self.head, self.tail) = (Link(index), Link(index));
            return;
        }
        let mut after = self.tail;
        while let Some(a) = after.get() {
            if links.priority[usize::from(a)] >= priority {
                break;
            }
            after = links.prev[usize::from(a)];
        }
        let before = match after.get() {
            Some(a) => core::mem::replace(&mut links.next[usize::from(a)], Link(index)),
            None => core::mem::replace(&mut self.head, Link(index)),
        };
        links.prev[i] = after;
        links.next[i] = before;
        match before.get() {
            Some(b) => links.prev[usize::from(b)] = Link(index),
            None => self.tail = Link(index),
        }
    }

    /// Takes the first thread off the queue.
    #[inline(always)]
    pub fn dequeue(&mut self, links: &mut WaitLinks) -> Option<u16> {
        let head = self.head.get()?;
        self.remove_head(links, head);
        Some(head)
    }

    /// Takes `head`, which must be this queue's head ([`WaitQueue::head`]), off it:
    /// [`WaitQueue::remove`] of a thread with no link before it.
    #[inline(always)]
    pub fn remove_head(&mut self, links: &mut WaitLinks, head: u16) {
        debug_assert_eq!(self.head(), Some(head), "not the head");
        let next = core::mem::replace(&mut links.next[usize::from(head)], Link::NONE);
        self.head = next;
        match next.get() {
            Some(n) => links.prev[usize::from(n)] = Link::NONE,
            None => self.tail = Link::NONE,
        }
    }

    /// Takes `index`, which must be in this queue, off it.
    #[inline(always)]
    pub fn remove(&mut self, links: &mut WaitLinks, index: u16) {
        let i = usize::from(index);
        let prev = core::mem::replace(&mut links.prev[i], Link::NONE);
        let next = core::mem::replace(&mut links.next[i], Link::NONE);
        match prev.get() {
            Some(p) => links.next[usize::from(p)] = next,
            None => self.head = next,
        }
        match next.get() {
            Some(n) => links.prev[usize::from(n)] = prev,
            None => self.tail = prev,
        }
    }

    /// The waiting threads, first served first.
    pub fn iter<'a>(&self, links: &'a WaitLinks) -> impl Iterator<Item = u16> + 'a {
        core::iter::successors(self.head.get(), |&i| links.next[usize::from(i)].get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The queue serves like a stable sort by descending priority, whatever the order of
        /// arrivals and removals.
        #[test]
        fn wait_queue_serves_by_priority_then_arrival(
            ops in proptest::collection::vec((0u16..16, 0u8..4, any::<bool>()), 1..80)
        ) {
            let (mut queue, mut links) = (WaitQueue::EMPTY, WaitLinks::new());
            let mut model: Vec<(u16, u8)> = Vec::new();
            for (index, priority, remove) in ops {
                if let Some(at) = model.iter().position(|&(i, _)| i == index) {
                    if remove {
                        queue.remove(&mut links, index);
                        model.remove(at);
                    }
                } else if !remove {
                    queue.enqueue(&mut links, index, priority);
                    let at = model.iter().position(|&(_, p)| p < priority).unwrap_or(model.len());
                    model.insert(at, (index, priority));
                }
                let order: Vec<u16> = queue.iter(&links).collect();
                prop_assert_eq!(order, model.iter().map(|&(i, _)| i).collect::<Vec<_>>());
            }
            while let Some(index) = queue.dequeue(&mut links) {
                prop_assert_eq!(index, model.remove(0).0);
            }
            prop_assert!(model.is_empty() && queue.is_empty());
        }
    }
}
