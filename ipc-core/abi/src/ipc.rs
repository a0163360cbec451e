//! The layout of IPC: capability rights, object kinds, the message-info word, the per-thread
//! IPC buffer and the boot-info page.

use crate::Error;

/// The capability-space slots a process has (slot numbers `0..CSPACE_SLOTS`).
pub const CSPACE_SLOTS: u64 = 128;
/// Message words that travel in registers (`arg2`…`arg5` in, `val2`…`val5` out).
pub const REGISTER_WORDS: usize = 4;
/// The most words one message carries: words `REGISTER_WORDS..` travel through the IPC buffer.
pub const MAX_MESSAGE_WORDS: usize = 64;
/// The most capabilities one message carries.
pub const MAX_MESSAGE_CAPS: usize = 3;
/// The largest label a message can carry (48 bits).
pub const MAX_LABEL: u64 = (1 << 48) - 1;

/// Where every thread's IPC buffer is mapped (one read-write page).
pub const IPC_BUFFER_ADDR: u64 = 0x0000_7fff_ffff_8000;
/// Where every process finds its [`BootInfo`] (one read-only page, written by whoever built
/// the process: the kernel for init, init for the others).
pub const BOOT_INFO_ADDR: u64 = 0x0000_7fff_ffff_a000;

/// Kernel memory charged to a Memory capability for each endpoint.
pub const ENDPOINT_COST: u64 = 64;
/// Kernel memory charged for a Memory object itself, on top of the budget it is given.
pub const MEMORY_COST: u64 = 64;
/// The size of a page and of a Frame object, in bytes.
pub const PAGE_SIZE: u64 = 4096;
/// Memory charged for a Frame object: the page itself.
pub const FRAME_COST: u64 = PAGE_SIZE;
/// Memory charged for an address space (its top-level page table), and again for each page
/// table a `map` adds to it.
pub const PAGE_TABLE_COST: u64 = PAGE_SIZE;
/// Memory charged for a thread (its kernel state and saved registers).
pub const THREAD_COST: u64 = 1024;
/// Memory charged for a capability space (its `CSPACE_SLOTS` slots).
pub const CSPACE_COST: u64 = 4096;
/// Memory charged to a Memory capability for each notification.
pub const NOTIFICATION_COST: u64 = 64;
/// The longest thread name `thread_set_name` accepts, in bytes.
pub const THREAD_NAME_MAX: u64 = 24;

bitflags::bitflags! {
    /// What a capability allows. Derived capabilities can only have fewer rights.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Rights: u64 {
        /// Receive on an endpoint; read a Memory object's figures; map a Frame readable.
        const READ = 1 << 0;
        /// Send or call on an endpoint; create objects from a Memory object; map a Frame
        /// writable; map into an address space.
        const WRITE = 1 << 1;
        /// Send capabilities in messages through this endpoint capability.
        const GRANT = 1 << 2;
        /// Let the server send capabilities back in the reply to a `call` made through this
        /// endpoint capability.
        const GRANT_REPLY = 1 << 3;
        /// Map a Frame executable.
        const EXECUTE = 1 << 4;
    }
}

impl Rights {
    /// Decodes rights from a raw word; unknown bits are an error, never ignored.
    pub fn decode(raw: u64) -> Result<Rights, Error> {
        Rights::from_bits(raw).ok_or(Error::InvalidArgument)
    }

    /// Every right a capability to an object of `kind` can have: what its original
    /// capability gets. Only a Frame can be mapped executable.
    pub const fn of(kind: ObjectKind) -> Rights {
        match kind {
            ObjectKind::Frame => Rights::all(),
            _ => Rights::all().difference(Rights::EXECUTE),
        }
    }

    /// Decodes the rights of a mapping: Read, plus Write or Execute but never both (W^X).
    /// x86_64 has no write-only or execute-only pages, so Read is required.
    pub fn decode_mapping(raw: u64) -> Result<Rights, Error> {
        let rights = Rights::decode(raw)?;
        let page = Rights::READ | Rights::WRITE | Rights::EXECUTE;
        if !page.contains(rights)
            || !rights.contains(Rights::READ)
            || rights.contains(Rights::WRITE | Rights::EXECUTE)
        {
            return Err(Error::InvalidArgument);
        }
        Ok(rights)
    }
}

numbered! {
    /// The kinds of kernel object a capability can name.
    pub enum ObjectKind {
        /// A capability space (a process's table of slots).
        CSpace = 1,
        /// A budget of kernel memory from which objects are made.
        Memory = 2,
        /// A rendezvous point for synchronous messages.
        Endpoint = 3,
        /// A thread. Write lets the holder configure, start, suspend, resume and destroy it.
        Thread = 4,
        /// One 4 KiB page of physical memory, zero-filled when made. A Frame capability maps
        /// the page at most once; copy the capability to map the page again.
        Frame = 5,
        /// A virtual address space: the user half of a set of page tables.
        AddressSpace = 6,
        /// A word of bits that `signal` sets and `wait` takes: asynchronous notification.
        Notification = 7,
        /// The right to take interrupt lines: makes IrqHandler capabilities (init has it).
        IrqControl = 8,
        /// One interrupt line, delivered to a notification; masked until acknowledged.
        IrqHandler = 9,
        /// A range of I/O ports: `port_in` (Read) and `port_out` (Write) reach exactly those.
        IoPort = 10,
    }
}

/// The message-info word: a label the receiver interprets, how many message words follow,
/// and how many capabilities travel with them.
///
/// Bits 0–6 hold the word count (at most [`MAX_MESSAGE_WORDS`]), bits 7–8 the capability
/// count, bits 9–15 are zero, bits 16–63 hold the label.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MessageInfo {
    /// What the message means, by the protocol's convention (48 bits).
    pub label: u64,
    /// How many message words it carries (`0..=MAX_MESSAGE_WORDS`).
    pub length: u8,
    /// How many capabilities it carries (`0..=MAX_MESSAGE_CAPS`); on receipt, how many arrived.
    pub caps: u8,
}

impl MessageInfo {
    /// A message with `label` and `length` words and no capabilities.
    #[inline]
    pub const fn new(label: u64, length: u8) -> MessageInfo {
        MessageInfo { label, length, caps: 0 }
    }

    /// Decodes and range-checks a raw info word.
    #[inline]
    pub fn decode(raw: u64) -> Result<MessageInfo, Error> {
        let length = (raw & 0x7f) as u8;
        if usize::from(length) > MAX_MESSAGE_WORDS {
            return Err(Error::MessageTooLong);
        }
        if raw & 0xfe00 != 0 {
            return Err(Error::InvalidArgument);
        }
        Ok(MessageInfo::unpack(raw))
    }

    /// Splits a raw info word into its fields, unchecked: for words the kernel wrote, which
    /// it has checked ([`MessageInfo::decode`]) or made itself.
    #[inline]
    pub const fn unpack(raw: u64) -> MessageInfo {
        MessageInfo { label: raw >> 16, length: (raw & 0x7f) as u8, caps: ((raw >> 7) & 0x3) as u8 }
    }

    /// The raw word. Fields out of range are cut to their bit width.
    #[inline]
    pub const fn encode(self) -> u64 {
        (self.label & MAX_LABEL) << 16 | (self.caps as u64 & 0x3) << 7 | (self.length as u64 & 0x7f)
    }
}

/// The info word `recv` returns when its thread's bound notification ended it rather than a
/// message: the badge slot then holds the notification's bits and the words are zero. Bit 9
/// is one no sender may set ([`MessageInfo::decode`] refuses it), so no message looks like
/// this.
pub const NOTIFICATION_INFO: u64 = 1 << 9;

/// The per-thread IPC buffer, at [`IPC_BUFFER_ADDR`], in 64-bit words.
///
/// Word `i` of a message (`REGISTER_WORDS <= i < length`) is at `words[i]`; words below
/// `REGISTER_WORDS` travel in registers and their buffer words are not used. A sender lists
/// the slots of the capabilities it sends in `send_caps`; a receiver names, before it
/// receives, the empty slots where incoming capabilities land in `receive_slots`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpcBuffer {
    /// Message words (indices below `REGISTER_WORDS` unused).
    pub words: [u64; MAX_MESSAGE_WORDS],
    /// Slots of the capabilities to send, in order.
    pub send_caps: [u64; MAX_MESSAGE_CAPS],
    /// Slots where received capabilities land, in order.
    pub receive_slots: [u64; MAX_MESSAGE_CAPS],
}

impl IpcBuffer {
    /// Word offset of `send_caps` in the buffer.
    pub const SEND_CAPS: usize = MAX_MESSAGE_WORDS;
    /// Word offset of `receive_slots` in the buffer.
    pub const RECEIVE_SLOTS: usize = MAX_MESSAGE_WORDS + MAX_MESSAGE_CAPS;
    /// The buffer's size in words.
    pub const WORDS: usize = MAX_MESSAGE_WORDS + 2 * MAX_MESSAGE_CAPS;
}

/// The boot-info page every process finds at [`BOOT_INFO_ADDR`]: which slots hold its
/// initial capabilities.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootInfo {
    /// [`BootInfo::MAGIC`], so a program can tell the page is there.
    pub magic: u64,
    /// The slot of the capability to the process's own capability space.
    pub cspace_slot: u64,
    /// The slot of its Memory capability (init: all free RAM; the processes init builds share a
    /// pool made from it).
    pub memory_slot: u64,
    /// How many endpoint capabilities it was given.
    pub endpoint_count: u64,
    /// Their slots, in the order the boot scenario lists them.
    pub endpoints: [u64; BootInfo::MAX_ENDPOINTS],
    /// The first slot that is empty; every slot from here up to `pages_slot` is free.
    pub first_free_slot: u64,
    /// The slot of a Thread capability to the process's own thread.
    pub thread_slot: u64,
    /// The slot of an AddressSpace capability to the process's own address space.
    pub space_slot: u64,
    /// The slot of a capability space holding the Frames of the process's own pages (image,
    /// stack, IPC buffer, this page): they live exactly as long as the process. Empty in
    /// init, whose pages the kernel made.
    pub pages_slot: u64,
    /// Where the boot images are mapped (read-only, see [`crate::BootImages`]); 0 in every
    /// process but init.
    pub images_addr: u64,
    /// The slot of an endpoint capability to the console server ([`BootInfo::CONSOLE_SLOT`]),
    /// which prints the process's output; 0 when it has none (init, and the console server).
    pub console_slot: u64,
    /// The slot of an endpoint capability to the timer server ([`BootInfo::TIMER_SLOT`]);
    /// 0 when it has none.
    pub timer_slot: u64,
    /// The slot of an endpoint capability to the name service ([`BootInfo::NAMES_SLOT`]),
    /// badged with the process's number; 0 when it has none.
    pub names_slot: u64,
}

/// An endpoint's traffic since it was made, as `endpoint_stats` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Messages delivered through it: sends, calls and fault messages.
    pub messages: u64,
    /// Those of them that were calls (or faults) and so awaited a reply.
    pub calls: u64,
    /// Answers delivered to its callers.
    pub replies: u64,
    /// Capabilities that arrived in its messages and replies.
    pub caps: u64,
}

impl BootInfo {
    /// The value of `magic`: "TRYSTBI1" in ASCII.
    pub const MAGIC: u64 = u64::from_be_bytes(*b"TRYSTBI1");
    /// The most endpoints a process is given at start.
    pub const MAX_ENDPOINTS: usize = 8;
    /// The slot every process finds its own capability space in.
    pub const CSPACE_SLOT: u64 = 0;
    /// The slot every process finds its Memory capability in.
    pub const MEMORY_SLOT: u64 = 1;
    /// The slot of the first endpoint; the others follow.
    pub const FIRST_ENDPOINT_SLOT: u64 = 2;
    /// The slot every process finds a Thread capability to itself in (the last slot).
    pub const THREAD_SLOT: u64 = CSPACE_SLOTS - 1;
    /// The slot every process finds its own address space in (below the thread's).
    pub const SPACE_SLOT: u64 = CSPACE_SLOTS - 2;
    /// The slot of the capability space that holds a process's pages (below the space's).
    pub const PAGES_SLOT: u64 = CSPACE_SLOTS - 3;
    /// init's IrqControl capability (empty in every other process).
    pub const IRQ_CONTROL_SLOT: u64 = CSPACE_SLOTS - 4;
    /// init's IoPort capability to every port the kernel does not keep (empty elsewhere).
    pub const IO_PORTS_SLOT: u64 = CSPACE_SLOTS - 5;
    /// Where a process given the console server's endpoint finds it.
    pub const CONSOLE_SLOT: u64 = CSPACE_SLOTS - 6;
    /// Where a process given the timer server's endpoint finds it.
    pub const TIMER_SLOT: u64 = CSPACE_SLOTS - 7;
    /// Where a process given the name service's endpoint finds it.
    pub const NAMES_SLOT: u64 = CSPACE_SLOTS - 8;

    /// The page's contents as words, in field order (how the kernel writes it).
    pub fn to_words(&self) -> [u64; BootInfo::WORDS] {
        let mut words = [0; BootInfo::WORDS];
        words[..4].copy_from_slice(&[self.magic, self.cspace_slot, self.memory_slot, self.endpoint_count]);
        words[4..4 + BootInfo::MAX_ENDPOINTS].copy_from_slice(&self.endpoints);
        words[4 + BootInfo::MAX_ENDPOINTS] = self.first_free_slot;
        words[5 + BootInfo::MAX_ENDPOINTS] = self.thread_slot;
        words[6 + BootInfo::MAX_ENDPOINTS] = self.space_slot;
        words[7 + BootInfo::MAX_ENDPOINTS] = self.pages_slot;
        words[8 + BootInfo::MAX_ENDPOINTS] = self.images_addr;
        words[9 + BootInfo::MAX_ENDPOINTS] = self.console_slot;
        words[10 + BootInfo::MAX_ENDPOINTS] = self.timer_slot;
        words[11 + BootInfo::MAX_ENDPOINTS] = self.names_slot;
        words
    }

    /// The page's size in words.
    pub const WORDS: usize = 12 + BootInfo::MAX_ENDPOINTS;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_info_round_trips_and_rejects_bad_words() {
        let info = MessageInfo { label: MAX_LABEL, length: 64, caps: 3 };
        assert_eq!(MessageInfo::decode(info.encode()), Ok(info));
        assert_eq!(MessageInfo::decode(65), Err(Error::MessageTooLong));
        assert_eq!(MessageInfo::decode(127), Err(Error::MessageTooLong));
        assert_eq!(MessageInfo::decode(1 << 9), Err(Error::InvalidArgument));
        assert_eq!(
            MessageInfo::decode(7 << 16 | 2 << 7 | 5),
            Ok(MessageInfo { label: 7, length: 5, caps: 2 })
        );
    }

    /// A receiver unpacks without checking: every word `decode` accepts unpacks to the same
    /// fields, and the notification marker unpacks as an empty message.
    #[test]
    fn unpack_agrees_with_decode_on_every_valid_word() {
        for label in [0, 1, 0xdead, MAX_LABEL] {
            for caps in 0..=3u64 {
                for length in 0..=MAX_MESSAGE_WORDS as u64 {
                    let raw = label << 16 | caps << 7 | length;
                    assert_eq!(MessageInfo::decode(raw), Ok(MessageInfo::unpack(raw)), "{raw:#x}");
                    assert_eq!(MessageInfo::unpack(raw).encode(), raw);
                }
            }
        }
        assert_eq!(MessageInfo::unpack(NOTIFICATION_INFO), MessageInfo::default());
    }

    #[test]
    fn layouts_are_pinned() {
        assert_eq!(core::mem::size_of::<IpcBuffer>(), IpcBuffer::WORDS * 8);
        assert_eq!(core::mem::offset_of!(IpcBuffer, send_caps), IpcBuffer::SEND_CAPS * 8);
        assert_eq!(core::mem::offset_of!(IpcBuffer, receive_slots), IpcBuffer::RECEIVE_SLOTS * 8);
        assert_eq!(core::mem::size_of::<BootInfo>(), 8 * BootInfo::WORDS);
        assert_eq!(Rights::all().bits(), 0x1f);
        assert_eq!((PAGE_SIZE, FRAME_COST, PAGE_TABLE_COST), (4096, 4096, 4096));
        assert_eq!((BootInfo::THREAD_SLOT, BootInfo::SPACE_SLOT, BootInfo::PAGES_SLOT), (127, 126, 125));
        assert_eq!(
            (
                BootInfo::IRQ_CONTROL_SLOT,
                BootInfo::IO_PORTS_SLOT,
                BootInfo::CONSOLE_SLOT,
                BootInfo::TIMER_SLOT
            ),
            (124, 123, 122, 121)
        );
        assert_eq!((THREAD_COST, CSPACE_COST, THREAD_NAME_MAX), (1024, 4096, 24));
        assert_eq!(crate::BOOT_IMAGES_ADDR, 0x7000_0000_0000);
        assert_eq!(crate::BootImages::MAGIC.to_be_bytes(), *b"TRYSTIMG");
        assert_eq!((CSPACE_SLOTS, REGISTER_WORDS, MAX_MESSAGE_WORDS, MAX_MESSAGE_CAPS), (128, 4, 64, 3));
        assert_eq!((IPC_BUFFER_ADDR, BOOT_INFO_ADDR), (0x7fff_ffff_8000, 0x7fff_ffff_a000));
        assert_eq!((ENDPOINT_COST, MEMORY_COST, NOTIFICATION_COST), (64, 64, 64));
        assert_eq!(NOTIFICATION_INFO, 1 << 9);
        assert_eq!(
            MessageInfo::decode(NOTIFICATION_INFO),
            Err(Error::InvalidArgument),
            "no sender can forge it"
        );
        let pinned = [
            (ObjectKind::CSpace, 1),
            (ObjectKind::Memory, 2),
            (ObjectKind::Endpoint, 3),
            (ObjectKind::Thread, 4),
            (ObjectKind::Frame, 5),
            (ObjectKind::AddressSpace, 6),
            (ObjectKind::Notification, 7),
            (ObjectKind::IrqControl, 8),
            (ObjectKind::IrqHandler, 9),
            (ObjectKind::IoPort, 10),
        ];
        assert_eq!(pinned.len(), ObjectKind::ALL.len());
        for (kind, number) in pinned {
            assert_eq!(u64::from(kind), number);
        }
    }
}
