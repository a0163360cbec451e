//! The Tryst system-call ABI, defined once: compiled by `ipc-core`, the kernel and the `tryst`
//! user library, and pinned number by number by the tests at the bottom of this file.
//!
//! `docs/abi.md` describes the same contract in prose: abstract argument and result slots
//! first, then the x86_64 registers that carry them.
#![no_std]
#![forbid(unsafe_code)]

/// How many argument slots a system call has (`arg0` … `arg5`).
pub const ARG_SLOTS: usize = 6;
/// How many value slots a successful system call returns besides its status (`val0` … `val5`).
pub const VALUE_SLOTS: usize = 6;

/// The x86_64 registers, in slot order, that carry `arg0` … `arg5` into the kernel and
/// `val0` … `val5` back out. The syscall number travels in `rax`, the status comes back in
/// `rax`; `rcx` and `r11` are clobbered by the `syscall` instruction itself.
pub const SLOT_REGISTERS: [&str; ARG_SLOTS] = ["rdi", "rsi", "rdx", "r10", "r8", "r9"];

/// The largest buffer one `debug_write` accepts, in bytes.
pub const DEBUG_WRITE_MAX: u64 = 4096;
/// The longest sleep one `sleep` accepts, in timer ticks.
pub const SLEEP_MAX_TICKS: u64 = 1 << 32;
/// The timer frequency: one tick is `1000 / TICK_HZ` milliseconds of (virtual) time.
pub const TICK_HZ: u64 = 100;
/// The first address above user space: user memory lives in `[0, USER_END)`.
pub const USER_END: u64 = 0x0000_8000_0000_0000;

/// Generates a `#[repr(u64)]` enum whose numbers are written exactly once, with a checked
/// conversion back from the raw number (no transmute).
macro_rules! numbered {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:expr,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u64)]
        pub enum $name { $($(#[$vmeta])* $variant = $value,)* }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
        }

        impl TryFrom<u64> for $name {
            type Error = u64;
            fn try_from(raw: u64) -> Result<Self, u64> {
                match raw {
                    $($value => Ok($name::$variant),)*
                    other => Err(other),
                }
            }
        }

        impl From<$name> for u64 {
            fn from(value: $name) -> u64 { value as u64 }
        }
    };
}

mod images;
mod ipc;
pub use images::*;
pub use ipc::*;

numbered! {
    /// System-call numbers, passed in `rax`.
    pub enum SyscallNumber {
        /// `debug_write(buf, len) -> written`: write bytes to the kernel's debug console.
        DebugWrite = 0,
        /// `yield()`: give up the rest of this time slice to threads of equal priority.
        Yield = 1,
        /// `exit(status) -> !`: end the calling process with a status the kernel reports.
        Exit = 2,
        /// `sleep(ticks) -> now`: block for at least `ticks` timer ticks; returns the tick count.
        Sleep = 3,
        /// `send(endpoint, info, words…)`: wait until a receiver takes the message.
        Send = 4,
        /// `recv(endpoint) -> (badge, info, words…)`: wait until a sender arrives.
        Recv = 5,
        /// `call(endpoint, info, words…) -> (_, info, words…)`: send, then wait for the reply.
        Call = 6,
        /// `reply(_, info, words…)`: answer the caller this thread last received from.
        Reply = 7,
        /// `reply_recv(endpoint, info, words…) -> (badge, info, words…)`: reply, then receive.
        ReplyRecv = 8,
        /// `nb_send(endpoint, info, words…)`: send only if a receiver is already waiting.
        NbSend = 9,
        /// `nb_recv(endpoint) -> (badge, info, words…)`: receive only if a sender is waiting.
        NbRecv = 10,
        /// `cap_copy(source, dest)`: a derived copy with the same rights and badge.
        CapCopy = 11,
        /// `cap_mint(source, dest, rights, badge)`: a derived copy with fewer rights or a badge.
        CapMint = 12,
        /// `cap_move(source, dest)`: move a capability to another slot.
        CapMove = 13,
        /// `cap_delete(slot)`: empty a slot.
        CapDelete = 14,
        /// `cap_revoke(slot)`: delete every capability derived from this one, everywhere.
        CapRevoke = 15,
        /// `cap_identify(slot) -> (kind, rights, badge)`: what a slot holds.
        CapIdentify = 16,
        /// `create(memory, kind, dest, budget)`: make an object, charged to a Memory capability.
        Create = 17,
        /// `memory_info(memory) -> (budget, used)`: a Memory object's figures.
        MemoryInfo = 18,
        /// `kernel_stats() -> (threads, endpoints, memories, capabilities)`: live object counts.
        KernelStats = 19,
        /// `thread_destroy(thread)`: end the thread a Thread capability names (needs Write).
        ThreadDestroy = 20,
        /// `map(space, frame, vaddr, rights)`: map a Frame's page into an address space.
        Map = 21,
        /// `unmap(frame)`: undo the mapping made through this Frame capability.
        Unmap = 22,
        /// `thread_set_fault_handler(thread, slot)`: where the thread's faults are sent.
        ThreadSetFaultHandler = 23,
        /// `thread_configure(thread, cspace, space, ipc_buffer, priority)`: set up a new thread.
        ThreadConfigure = 24,
        /// `thread_start(thread, ip, sp, argument)`: a configured thread starts running.
        ThreadStart = 25,
        /// `thread_suspend(thread)`: the thread runs no more until resumed.
        ThreadSuspend = 26,
        /// `thread_resume(thread)`: a suspended thread may run again.
        ThreadResume = 27,
        /// `thread_set_name(thread, buf, len)`: the name the kernel's reports use.
        ThreadSetName = 28,
        /// `signal(notification)`: OR the capability's badge into the notification's word.
        Signal = 29,
        /// `wait(notification) -> bits`: block until the word is non-zero; take and clear it.
        Wait = 30,
        /// `poll(notification) -> bits`: take and clear the word, 0 if nothing is pending.
        Poll = 31,
        /// `notification_bind(thread, notification, mode)`: signals reach that thread's
        /// `recv` (mode 0) or interrupt it as ASTs (mode 1).
        NotificationBind = 32,
        /// `notification_unbind(thread)`: undo the thread's binding.
        NotificationUnbind = 33,
        /// `ast_set_handler(thread, entry, stack)`: where the thread's ASTs run.
        AstSetHandler = 34,
        /// `ast_mask(masked) -> was_masked`: hold this thread's ASTs pending, or let them in.
        AstMask = 35,
        /// `ast_return() -> !`: leave the AST handler; the interrupted context resumes exactly.
        AstReturn = 36,
        /// `irq_control_get(control, line, dest)`: the IrqHandler capability for a line.
        IrqControlGet = 37,
        /// `irq_set_notification(handler, notification)`: the line signals it; unmasks the line.
        IrqSetNotification = 38,
        /// `irq_ack(handler)`: the driver has dealt with the interrupt; unmasks the line.
        IrqAck = 39,
        /// `io_port_issue(ports, first, count, dest)`: an I/O-port capability for a sub-range.
        IoPortIssue = 40,
        /// `port_in(ports, port, width) -> value`: read an I/O port of the capability's range.
        PortIn = 41,
        /// `port_out(ports, port, width, value)`: write an I/O port of the capability's range.
        PortOut = 42,
        /// `thread_notify_exit(thread, notification)`: signal the notification when the thread ends.
        ThreadNotifyExit = 43,
        /// `thread_info(thread) -> (number, state, priority, suspended)`.
        ThreadInfo = 44,
        /// `endpoint_stats(endpoint) -> (messages, calls, replies, caps)`: its traffic.
        EndpointStats = 45,
    }
}

numbered! {
    /// What a thread is doing, as `thread_info` reports it.
    pub enum ThreadRunState {
        /// Not started, or suspended and not blocked.
        Inactive = 0,
        /// Ready to run.
        Ready = 1,
        /// On the CPU (the caller itself).
        Running = 2,
        /// In `sleep`.
        Sleeping = 3,
        /// Queued on an endpoint in `send` or `call`.
        Sending = 4,
        /// Queued on an endpoint in `recv` or `reply_recv`.
        Receiving = 5,
        /// Its call was taken; it waits for the answer.
        AwaitingReply = 6,
        /// In `wait` on a notification.
        Waiting = 7,
    }
}

numbered! {
    /// Error codes, returned in `rax` (the status slot); `0` means success.
    pub enum Error {
        /// The syscall number names no system call.
        UnknownSyscall = 1,
        /// An argument is outside the range the system call accepts.
        InvalidArgument = 2,
        /// A user buffer is not wholly inside mapped, user-accessible memory (kernel addresses,
        /// unmapped pages, or a range that wraps around the address space).
        BadAddress = 3,
        /// A slot number is outside the capability space (`>= CSPACE_SLOTS`).
        InvalidSlot = 4,
        /// The slot named holds no capability.
        EmptySlot = 5,
        /// The destination slot already holds a capability.
        SlotOccupied = 6,
        /// The capability names the wrong kind of object for this call.
        WrongType = 7,
        /// The capability lacks a right the call needs (or a mint asked for rights it lacks).
        MissingRights = 8,
        /// A message carries capabilities through a capability without Grant (GrantReply for
        /// a reply).
        GrantRequired = 9,
        /// A message claims more than `MAX_MESSAGE_WORDS` words.
        MessageTooLong = 10,
        /// `nb_send`/`nb_recv` found no partner waiting.
        WouldBlock = 11,
        /// The partner or endpoint of this operation is gone (died, deleted or revoked).
        PeerGone = 12,
        /// The Memory capability's budget cannot pay for the object.
        OutOfMemory = 13,
        /// The kernel's table for that kind of object is full.
        TableFull = 14,
        /// `reply` with no caller waiting for this thread's answer.
        NoReply = 15,
        /// `map`: the address already has a page, or the Frame capability already maps one.
        AlreadyMapped = 16,
        /// `unmap`: the Frame capability maps nothing.
        NotMapped = 17,
        /// The thread is not in a state that allows this: configuring or starting it again
        /// after it started, or starting it before it was configured.
        InvalidState = 18,
        /// `notification_bind`: the notification is bound to a thread already, or the thread
        /// has a bound notification already.
        AlreadyBound = 19,
        /// A name the name service has no endpoint for now (never registered, or its server
        /// is being restarted). The kernel never returns it; servers answer it.
        NotFound = 20,
        /// A server got a message whose label names none of its operations. The kernel never
        /// returns it; servers answer it.
        UnknownOperation = 21,
        /// The thread's IPC (a `send`, `call` or `recv` still waiting) was cancelled because
        /// the thread was suspended: it returns this when the thread is resumed.
        Cancelled = 22,
    }
}

numbered! {
    /// Why a thread was stopped by the CPU. The numbers are the x86_64 exception vectors.
    pub enum FaultKind {
        /// `#DE`: division by zero or quotient overflow.
        DivideError = 0,
        /// `#DB`: debug trap (single-step or breakpoint register).
        Debug = 1,
        /// `#BP`: `int3`.
        Breakpoint = 3,
        /// `#OF`: `into` with overflow set.
        Overflow = 4,
        /// `#BR`: `bound` range exceeded.
        BoundRange = 5,
        /// `#UD`: invalid or undefined opcode.
        InvalidOpcode = 6,
        /// `#NM`: FPU/SSE instruction while the unit is disabled.
        DeviceNotAvailable = 7,
        /// `#NP`: segment not present.
        SegmentNotPresent = 11,
        /// `#SS`: stack-segment fault.
        StackSegment = 12,
        /// `#GP`: general protection (privileged instruction, bad selector, non-canonical address).
        GeneralProtection = 13,
        /// `#PF`: page fault.
        PageFault = 14,
        /// `#MF`: x87 floating-point error.
        FloatingPoint = 16,
        /// `#AC`: alignment check.
        AlignmentCheck = 17,
        /// `#XM`: SIMD floating-point exception.
        SimdFloatingPoint = 19,
    }
}

/// The label of the message a fault sends to the thread's fault handler (the largest label).
pub const FAULT_LABEL: u64 = MAX_LABEL;

/// What a fault message's words say: `[kind, address, ip, access]`. `kind` is the
/// [`FaultKind`] (the x86 vector); for a page fault `address` is the faulting address and
/// `access` one of these (for other faults both are 0).
pub mod fault_access {
    /// Not a page fault.
    pub const NONE: u64 = 0;
    /// A data read.
    pub const READ: u64 = 1;
    /// A data write.
    pub const WRITE: u64 = 2;
    /// An instruction fetch.
    pub const EXECUTE: u64 = 3;
}

impl FaultKind {
    /// A short human-readable name, used in the kernel's fault reports.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::DivideError => "divide error",
            FaultKind::Debug => "debug trap",
            FaultKind::Breakpoint => "breakpoint",
            FaultKind::Overflow => "overflow",
            FaultKind::BoundRange => "bound range exceeded",
            FaultKind::InvalidOpcode => "invalid opcode",
            FaultKind::DeviceNotAvailable => "device not available",
            FaultKind::SegmentNotPresent => "segment not present",
            FaultKind::StackSegment => "stack-segment fault",
            FaultKind::GeneralProtection => "general protection fault",
            FaultKind::PageFault => "page fault",
            FaultKind::FloatingPoint => "x87 floating-point error",
            FaultKind::AlignmentCheck => "alignment check",
            FaultKind::SimdFloatingPoint => "SIMD floating-point error",
        }
    }
}

/// A system call, decoded from its number and argument slots into typed values.
///
/// This is the one place where raw registers become meaning: the kernel decodes every
/// `syscall` through [`Syscall::decode`], and the user library builds its arguments through
/// [`Syscall::encode`], so the two sides cannot disagree (the IPC calls, built as register
/// moves for speed, are pinned to `encode` by a test in `tryst::ipc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syscall {
    /// Write `len` bytes at user address `buf` to the debug console.
    DebugWrite { buf: UserBuffer },
    /// Give up the rest of the time slice.
    Yield,
    /// End the calling process.
    Exit { status: u32 },
    /// Block for `ticks` timer ticks (`0`: just read the tick count).
    Sleep { ticks: u64 },
    /// Send, call or non-blocking send a message through an endpoint.
    Send { endpoint: Slot, message: Message, kind: SendKind },
    /// Receive from an endpoint, waiting for a sender unless `blocking` is false.
    Recv { endpoint: Slot, blocking: bool },
    /// Answer the last caller.
    Reply { message: Message },
    /// Answer the last caller, then receive from `endpoint`.
    ReplyRecv { endpoint: Slot, message: Message },
    /// A derived copy of `source` in `dest` with `rights` (a subset) and `badge` (`0`: keep).
    CapMint { source: SlotPath, dest: SlotPath, rights: Option<Rights>, badge: u64 },
    /// Move the capability in `source` to `dest`.
    CapMove { source: SlotPath, dest: SlotPath },
    /// Empty `slot`.
    CapDelete { slot: SlotPath },
    /// Delete everything derived from the capability in `slot`.
    CapRevoke { slot: SlotPath },
    /// Describe the capability in `slot`.
    CapIdentify { slot: SlotPath },
    /// Make a `kind` object charged to `memory`, its capability in `dest`; `budget` is the
    /// new Memory object's budget (zero for other kinds).
    Create { memory: Slot, kind: ObjectKind, dest: SlotPath, budget: u64 },
    /// Read a Memory object's budget and use.
    MemoryInfo { memory: Slot },
    /// Count the kernel's live objects.
    KernelStats,
    /// End the thread the capability in `thread` names.
    ThreadDestroy { thread: Slot },
    /// Map the page of the Frame capability in `frame` at `vaddr` of the address space in
    /// `space`, with `rights` (checked by [`Rights::decode_mapping`]).
    Map { space: Slot, frame: Slot, vaddr: u64, rights: Rights },
    /// Undo the mapping made through the Frame capability in `frame`.
    Unmap { frame: Slot },
    /// From now on the faults of the thread in `thread` go, as messages, to the endpoint in
    /// slot `handler` of that thread's own capability space (`None`: no handler).
    ThreadSetFaultHandler { thread: Slot, handler: Option<Slot> },
    /// Give the never-started thread in `thread` its capability space, address space, IPC
    /// buffer (a Frame capability with Read and Write) and priority (at most the caller's).
    ThreadConfigure { thread: Slot, cspace: Slot, space: Slot, ipc_buffer: Slot, priority: u8 },
    /// Start the configured thread in `thread` at `ip` with stack pointer `sp` and `argument`
    /// in the first argument register.
    ThreadStart { thread: Slot, ip: u64, sp: u64, argument: u64 },
    /// Stop the thread in `thread` from running until it is resumed.
    ThreadSuspend { thread: Slot },
    /// Let the suspended thread in `thread` run again.
    ThreadResume { thread: Slot },
    /// Name the thread in `thread` (UTF-8, at most [`THREAD_NAME_MAX`] bytes) for reports.
    ThreadSetName { thread: Slot, name: UserBuffer },
    /// OR the badge of the Notification capability in `notification` into its word.
    Signal { notification: Slot },
    /// Take the notification's word; wait for it to be non-zero unless `blocking` is false.
    Wait { notification: Slot, blocking: bool },
    /// Bind the notification in `notification` to the thread in `thread`.
    NotificationBind { thread: Slot, notification: Slot, mode: BindMode },
    /// Unbind the thread's notification.
    NotificationUnbind { thread: Slot },
    /// The thread's ASTs run at `entry` on a stack whose top is `stack`.
    AstSetHandler { thread: Slot, entry: u64, stack: u64 },
    /// Hold (`true`) or admit (`false`) the calling thread's ASTs.
    AstMask { masked: bool },
    /// Return from the AST handler to the interrupted context.
    AstReturn,
    /// Put the IrqHandler capability for interrupt `line` in `dest`, through the IrqControl
    /// capability in `control`.
    IrqControlGet { control: Slot, line: u8, dest: SlotPath },
    /// The line of the IrqHandler in `handler` signals the notification in `notification`.
    IrqSetNotification { handler: Slot, notification: Slot },
    /// Unmask the line of the IrqHandler in `handler`.
    IrqAck { handler: Slot },
    /// A capability to ports `first .. first + count` of the IoPort capability in `ports`.
    IoPortIssue { ports: Slot, first: u16, count: u32, dest: SlotPath },
    /// Read `width` bytes (1, 2 or 4) from I/O port `port`.
    PortIn { ports: Slot, port: u16, width: u8 },
    /// Write the low `width` bytes (1, 2 or 4) of `value` to I/O port `port`.
    PortOut { ports: Slot, port: u16, width: u8, value: u32 },
    /// When the thread in `thread` ends (exits, is stopped or destroyed), signal the
    /// notification in `notification` with that capability's badge.
    ThreadNotifyExit { thread: Slot, notification: Slot },
    /// The number, state, priority and suspension of the thread in `thread` (needs Read).
    ThreadInfo { thread: Slot },
    /// The traffic counters of the endpoint in `endpoint` (needs Read).
    EndpointStats { endpoint: Slot },
}

/// The interrupt lines of the legacy PICs: `irq_control_get` takes `line < IRQ_LINES`.
pub const IRQ_LINES: u8 = 16;

/// Checks a port access: a port number and a width of 1, 2 or 4 that stay below 0x10000.
fn port_access(port: u64, width: u64) -> Result<(u16, u8), Error> {
    let port = u16::try_from(port).map_err(|_| Error::InvalidArgument)?;
    if !matches!(width, 1 | 2 | 4) || u64::from(port) + width > 0x1_0000 {
        return Err(Error::InvalidArgument);
    }
    Ok((port, width as u8))
}

numbered! {
    /// How a bound notification reaches its thread (`notification_bind`'s mode).
    pub enum BindMode {
        /// A signal ends the thread's `recv` (on any endpoint) with the notification's bits,
        /// told apart from a message by [`NOTIFICATION_INFO`].
        Receive = 0,
        /// A signal interrupts the thread with an AST (asynchronous system trap): its
        /// handler runs with the bits, then `ast_return` resumes what it interrupted.
        Ast = 1,
    }
}

/// The `thread_set_fault_handler` argument that means "no handler".
pub const NO_FAULT_HANDLER: u64 = u64::MAX;

/// A `receive_slots` word that names no slot: a capability that would land there does not,
/// and the transfer stops at it (see [`IpcBuffer::RECEIVE_SLOTS`]). No slot number is this
/// large, so the kernel refuses it as it refuses every invalid slot.
pub const NO_RECEIVE_SLOT: u64 = u64::MAX;

/// How a message is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendKind {
    /// `send`: wait for a receiver.
    Send,
    /// `nb_send`: only if a receiver is waiting.
    NonBlocking,
    /// `call`: send, then wait for the reply.
    Call,
}

/// A capability-space slot number, known to be below [`CSPACE_SLOTS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(u16);

impl Slot {
    /// Checks a raw slot number.
    #[inline]
    pub fn new(raw: u64) -> Result<Slot, Error> {
        if raw < CSPACE_SLOTS {
            Ok(Slot(raw as u16))
        } else {
            Err(Error::InvalidSlot)
        }
    }

    /// The slot number as an index.
    #[inline]
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

impl From<Slot> for u64 {
    #[inline]
    fn from(slot: Slot) -> u64 {
        u64::from(slot.0)
    }
}

/// A slot reached through a capability space: the caller's own (`cspace: None`) or the one
/// the CSpace capability in the caller's slot `cspace` names, which lets a process fill or
/// empty another's slots. The capability operations (`cap_*`, and `create`'s destination)
/// take these. Raw form: `slot` in bits 0–7 and `cspace + 1` in bits 8–15 (0: own), so a
/// plain slot number is a path into the caller's own space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlotPath {
    /// The caller's slot holding the CSpace capability to go through, if any.
    pub cspace: Option<Slot>,
    /// The slot in that space.
    pub slot: Slot,
}

impl SlotPath {
    /// Slot `slot` of the space the CSpace capability in the caller's slot `cspace` names.
    pub const fn within(cspace: Slot, slot: Slot) -> SlotPath {
        SlotPath { cspace: Some(cspace), slot }
    }

    /// Checks a raw path.
    pub fn new(raw: u64) -> Result<SlotPath, Error> {
        if raw >> 16 != 0 {
            return Err(Error::InvalidSlot);
        }
        let cspace = match raw >> 8 {
            0 => None,
            through => Some(Slot::new(through - 1)?),
        };
        Ok(SlotPath { cspace, slot: Slot::new(raw & 0xff)? })
    }
}

impl From<Slot> for SlotPath {
    fn from(slot: Slot) -> SlotPath {
        SlotPath { cspace: None, slot }
    }
}

impl From<SlotPath> for u64 {
    fn from(path: SlotPath) -> u64 {
        path.cspace.map_or(0, |c| (u64::from(c) + 1) << 8) | u64::from(path.slot)
    }
}

/// A message as it travels in registers: its info word and the register words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// Label, length and capability count.
    pub info: MessageInfo,
    /// Words `0..REGISTER_WORDS` (only the first `info.length` mean anything).
    pub words: [u64; REGISTER_WORDS],
}

impl Message {
    /// Decodes the info word and register words from argument slots 1–5.
    #[inline(always)]
    pub fn from_arguments(args: &[u64; ARG_SLOTS]) -> Result<Message, Error> {
        Ok(Message { info: MessageInfo::decode(args[1])?, words: [args[2], args[3], args[4], args[5]] })
    }

    fn encode(self, args: &mut [u64; ARG_SLOTS]) {
        args[1] = self.info.encode();
        args[2..].copy_from_slice(&self.words);
    }

    /// The value slots a receiver gets: badge, info, then the register words.
    #[inline]
    pub fn values(self, badge: u64) -> [u64; VALUE_SLOTS] {
        let w = self.words;
        [badge, self.info.encode(), w[0], w[1], w[2], w[3]]
    }

    /// The message in a receiver's value slots (the inverse of [`Message::values`]): the
    /// badge and the message. The kernel writes only valid info words, so the receiver does
    /// not check it again ([`MessageInfo::unpack`]).
    #[inline]
    pub fn from_values(values: [u64; VALUE_SLOTS]) -> (u64, Message) {
        let info = MessageInfo::unpack(values[1]);
        (values[0], Message { info, words: [values[2], values[3], values[4], values[5]] })
    }
}

/// A user-space byte range as the process alleged it: not yet checked against any address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserBuffer {
    /// First byte.
    pub addr: u64,
    /// Length in bytes.
    pub len: u64,
}

impl UserBuffer {
    /// The range's end (exclusive), or `None` when it wraps around the address space.
    pub fn end(self) -> Option<u64> {
        self.addr.checked_add(self.len)
    }

    /// Whether the whole range lies in user space (`[0, USER_END)`) without wrapping.
    pub fn is_in_user_space(self) -> bool {
        matches!(self.end(), Some(end) if end <= USER_END)
    }
}

impl Syscall {
    /// Decodes a raw system call. Every range check that needs no address space happens here.
    #[inline]
    pub fn decode(number: u64, args: [u64; ARG_SLOTS]) -> Result<Syscall, Error> {
        let number = SyscallNumber::try_from(number).map_err(|_| Error::UnknownSyscall)?;
        Ok(match number {
            SyscallNumber::DebugWrite => {
                let buf = UserBuffer { addr: args[0], len: args[1] };
                if buf.len > DEBUG_WRITE_MAX {
                    return Err(Error::InvalidArgument);
                }
                if !buf.is_in_user_space() {
                    return Err(Error::BadAddress);
                }
                Syscall::DebugWrite { buf }
            }
            SyscallNumber::Yield => Syscall::Yield,
            SyscallNumber::Exit => {
                Syscall::Exit { status: u32::try_from(args[0]).map_err(|_| Error::InvalidArgument)? }
            }
            SyscallNumber::Sleep => {
                if args[0] > SLEEP_MAX_TICKS {
                    return Err(Error::InvalidArgument);
                }
                Syscall::Sleep { ticks: args[0] }
            }
            SyscallNumber::Send | SyscallNumber::NbSend | SyscallNumber::Call => {
                let kind = match number {
                    SyscallNumber::Send => SendKind::Send,
                    SyscallNumber::NbSend => SendKind::NonBlocking,
                    _ => SendKind::Call,
                };
                Syscall::Send {
                    endpoint: Slot::new(args[0])?,
                    message: Message::from_arguments(&args)?,
                    kind,
                }
            }
            SyscallNumber::Recv => Syscall::Recv { endpoint: Slot::new(args[0])?, blocking: true },
            SyscallNumber::NbRecv => Syscall::Recv { endpoint: Slot::new(args[0])?, blocking: false },
            SyscallNumber::Reply => Syscall::Reply { message: Message::from_arguments(&args)? },
            SyscallNumber::ReplyRecv => {
                Syscall::ReplyRecv { endpoint: Slot::new(args[0])?, message: Message::from_arguments(&args)? }
            }
            SyscallNumber::CapCopy => Syscall::CapMint {
                source: SlotPath::new(args[0])?,
                dest: SlotPath::new(args[1])?,
                rights: None,
                badge: 0,
            },
            SyscallNumber::CapMint => Syscall::CapMint {
                source: SlotPath::new(args[0])?,
                dest: SlotPath::new(args[1])?,
                rights: Some(Rights::decode(args[2])?),
                badge: args[3],
            },
            SyscallNumber::CapMove => {
                Syscall::CapMove { source: SlotPath::new(args[0])?, dest: SlotPath::new(args[1])? }
            }
            SyscallNumber::CapDelete => Syscall::CapDelete { slot: SlotPath::new(args[0])? },
            SyscallNumber::CapRevoke => Syscall::CapRevoke { slot: SlotPath::new(args[0])? },
            SyscallNumber::CapIdentify => Syscall::CapIdentify { slot: SlotPath::new(args[0])? },
            SyscallNumber::Create => {
                let kind = ObjectKind::try_from(args[1]).map_err(|_| Error::InvalidArgument)?;
                if kind != ObjectKind::Memory && args[3] != 0 {
                    return Err(Error::InvalidArgument);
                }
                Syscall::Create {
                    memory: Slot::new(args[0])?,
                    kind,
                    dest: SlotPath::new(args[2])?,
                    budget: args[3],
                }
            }
            SyscallNumber::MemoryInfo => Syscall::MemoryInfo { memory: Slot::new(args[0])? },
            SyscallNumber::KernelStats => Syscall::KernelStats,
            SyscallNumber::ThreadDestroy => Syscall::ThreadDestroy { thread: Slot::new(args[0])? },
            SyscallNumber::Map => {
                let (space, frame) = (Slot::new(args[0])?, Slot::new(args[1])?);
                let (vaddr, rights) = (args[2], Rights::decode_mapping(args[3])?);
                if !vaddr.is_multiple_of(PAGE_SIZE) {
                    return Err(Error::InvalidArgument);
                }
                // Page 0 stays unmapped so that null pointers always fault.
                if vaddr == 0 || vaddr >= USER_END {
                    return Err(Error::BadAddress);
                }
                Syscall::Map { space, frame, vaddr, rights }
            }
            SyscallNumber::Unmap => Syscall::Unmap { frame: Slot::new(args[0])? },
            SyscallNumber::ThreadSetFaultHandler => Syscall::ThreadSetFaultHandler {
                thread: Slot::new(args[0])?,
                handler: match args[1] {
                    NO_FAULT_HANDLER => None,
                    slot => Some(Slot::new(slot)?),
                },
            },
            SyscallNumber::ThreadConfigure => Syscall::ThreadConfigure {
                thread: Slot::new(args[0])?,
                cspace: Slot::new(args[1])?,
                space: Slot::new(args[2])?,
                ipc_buffer: Slot::new(args[3])?,
                priority: u8::try_from(args[4]).map_err(|_| Error::InvalidArgument)?,
            },
            SyscallNumber::ThreadStart => {
                // Both must be user addresses: the kernel would otherwise return to its own half.
                if args[1] >= USER_END || args[2] > USER_END {
                    return Err(Error::BadAddress);
                }
                Syscall::ThreadStart {
                    thread: Slot::new(args[0])?,
                    ip: args[1],
                    sp: args[2],
                    argument: args[3],
                }
            }
            SyscallNumber::ThreadSuspend => Syscall::ThreadSuspend { thread: Slot::new(args[0])? },
            SyscallNumber::ThreadResume => Syscall::ThreadResume { thread: Slot::new(args[0])? },
            SyscallNumber::ThreadSetName => {
                let name = UserBuffer { addr: args[1], len: args[2] };
                if name.len > THREAD_NAME_MAX {
                    return Err(Error::InvalidArgument);
                }
                if !name.is_in_user_space() {
                    return Err(Error::BadAddress);
                }
                Syscall::ThreadSetName { thread: Slot::new(args[0])?, name }
            }
            SyscallNumber::Signal => Syscall::Signal { notification: Slot::new(args[0])? },
            SyscallNumber::Wait => Syscall::Wait { notification: Slot::new(args[0])?, blocking: true },
            SyscallNumber::Poll => Syscall::Wait { notification: Slot::new(args[0])?, blocking: false },
            SyscallNumber::NotificationBind => Syscall::NotificationBind {
                thread: Slot::new(args[0])?,
                notification: Slot::new(args[1])?,
                mode: BindMode::try_from(args[2]).map_err(|_| Error::InvalidArgument)?,
            },
            SyscallNumber::NotificationUnbind => Syscall::NotificationUnbind { thread: Slot::new(args[0])? },
            SyscallNumber::AstSetHandler => {
                // As for thread_start: the kernel must never return to its own half.
                if args[1] >= USER_END || args[2] > USER_END {
                    return Err(Error::BadAddress);
                }
                Syscall::AstSetHandler { thread: Slot::new(args[0])?, entry: args[1], stack: args[2] }
            }
            SyscallNumber::AstMask => Syscall::AstMask {
                masked: match args[0] {
                    0 => false,
                    1 => true,
                    _ => return Err(Error::InvalidArgument),
                },
            },
            SyscallNumber::AstReturn => Syscall::AstReturn,
            SyscallNumber::IrqControlGet => {
                let line =
                    u8::try_from(args[1]).ok().filter(|&l| l < IRQ_LINES).ok_or(Error::InvalidArgument)?;
                Syscall::IrqControlGet { control: Slot::new(args[0])?, line, dest: SlotPath::new(args[2])? }
            }
            SyscallNumber::IrqSetNotification => Syscall::IrqSetNotification {
                handler: Slot::new(args[0])?,
                notification: Slot::new(args[1])?,
            },
            SyscallNumber::IrqAck => Syscall::IrqAck { handler: Slot::new(args[0])? },
            SyscallNumber::ThreadNotifyExit => {
                Syscall::ThreadNotifyExit { thread: Slot::new(args[0])?, notification: Slot::new(args[1])? }
            }
            SyscallNumber::ThreadInfo => Syscall::ThreadInfo { thread: Slot::new(args[0])? },
            SyscallNumber::EndpointStats => Syscall::EndpointStats { endpoint: Slot::new(args[0])? },
            SyscallNumber::IoPortIssue => {
                let first = u16::try_from(args[1]).map_err(|_| Error::InvalidArgument)?;
                if args[2] == 0 || args[1] + args[2] > 0x1_0000 {
                    return Err(Error::InvalidArgument);
                }
                Syscall::IoPortIssue {
                    ports: Slot::new(args[0])?,
                    first,
                    count: args[2] as u32,
                    dest: SlotPath::new(args[3])?,
                }
            }
            SyscallNumber::PortIn => {
                let (port, width) = port_access(args[1], args[2])?;
                Syscall::PortIn { ports: Slot::new(args[0])?, port, width }
            }
            SyscallNumber::PortOut => {
                let (port, width) = port_access(args[1], args[2])?;
                let value = u32::try_from(args[3]).map_err(|_| Error::InvalidArgument)?;
                Syscall::PortOut { ports: Slot::new(args[0])?, port, width, value }
            }
        })
    }

    /// Encodes a system call into its number and argument slots (unused slots are zero).
    pub fn encode(self) -> (u64, [u64; ARG_SLOTS]) {
        let mut args = [0; ARG_SLOTS];
        let number = match self {
            Syscall::DebugWrite { buf } => {
                args[0] = buf.addr;
                args[1] = buf.len;
                SyscallNumber::DebugWrite
            }
            Syscall::Yield => SyscallNumber::Yield,
            Syscall::Exit { status } => {
                args[0] = u64::from(status);
                SyscallNumber::Exit
            }
            Syscall::Sleep { ticks } => {
                args[0] = ticks;
                SyscallNumber::Sleep
            }
            Syscall::Send { endpoint, message, kind } => {
                args[0] = endpoint.into();
                message.encode(&mut args);
                match kind {
                    SendKind::Send => SyscallNumber::Send,
                    SendKind::NonBlocking => SyscallNumber::NbSend,
                    SendKind::Call => SyscallNumber::Call,
                }
            }
            Syscall::Recv { endpoint, blocking } => {
                args[0] = endpoint.into();
                if blocking {
                    SyscallNumber::Recv
                } else {
                    SyscallNumber::NbRecv
                }
            }
            Syscall::Reply { message } => {
                message.encode(&mut args);
                SyscallNumber::Reply
            }
            Syscall::ReplyRecv { endpoint, message } => {
                args[0] = endpoint.into();
                message.encode(&mut args);
                SyscallNumber::ReplyRecv
            }
            Syscall::CapMint { source, dest, rights, badge } => {
                args[0] = source.into();
                args[1] = dest.into();
                match rights {
                    None => SyscallNumber::CapCopy,
                    Some(rights) => {
                        args[2] = rights.bits();
                        args[3] = badge;
                        SyscallNumber::CapMint
                    }
                }
            }
            Syscall::CapMove { source, dest } => {
                args[0] = source.into();
                args[1] = dest.into();
                SyscallNumber::CapMove
            }
            Syscall::CapDelete { slot } => {
                args[0] = slot.into();
                SyscallNumber::CapDelete
            }
            Syscall::CapRevoke { slot } => {
                args[0] = slot.into();
                SyscallNumber::CapRevoke
            }
            Syscall::CapIdentify { slot } => {
                args[0] = slot.into();
                SyscallNumber::CapIdentify
            }
            Syscall::Create { memory, kind, dest, budget } => {
                args[..4].copy_from_slice(&[memory.into(), kind.into(), dest.into(), budget]);
                SyscallNumber::Create
            }
            Syscall::MemoryInfo { memory } => {
                args[0] = memory.into();
                SyscallNumber::MemoryInfo
            }
            Syscall::KernelStats => SyscallNumber::KernelStats,
            Syscall::ThreadDestroy { thread } => {
                args[0] = thread.into();
                SyscallNumber::ThreadDestroy
            }
            Syscall::Map { space, frame, vaddr, rights } => {
                args[..4].copy_from_slice(&[space.into(), frame.into(), vaddr, rights.bits()]);
                SyscallNumber::Map
            }
            Syscall::Unmap { frame } => {
                args[0] = frame.into();
                SyscallNumber::Unmap
            }
            Syscall::ThreadSetFaultHandler { thread, handler } => {
                args[0] = thread.into();
                args[1] = handler.map_or(NO_FAULT_HANDLER, u64::from);
                SyscallNumber::ThreadSetFaultHandler
            }
            Syscall::ThreadConfigure { thread, cspace, space, ipc_buffer, priority } => {
                let words = [thread.into(), cspace.into(), space.into(), ipc_buffer.into(), priority.into()];
                args[..5].copy_from_slice(&words);
                SyscallNumber::ThreadConfigure
            }
            Syscall::ThreadStart { thread, ip, sp, argument } => {
                args[..4].copy_from_slice(&[thread.into(), ip, sp, argument]);
                SyscallNumber::ThreadStart
            }
            Syscall::ThreadSuspend { thread } => {
                args[0] = thread.into();
                SyscallNumber::ThreadSuspend
            }
            Syscall::ThreadResume { thread } => {
                args[0] = thread.into();
                SyscallNumber::ThreadResume
            }
            Syscall::ThreadSetName { thread, name } => {
                args[..3].copy_from_slice(&[thread.into(), name.addr, name.len]);
                SyscallNumber::ThreadSetName
            }
            Syscall::Signal { notification } => {
                args[0] = notification.into();
                SyscallNumber::Signal
            }
            Syscall::Wait { notification, blocking } => {
                args[0] = notification.into();
                if blocking {
                    SyscallNumber::Wait
                } else {
                    SyscallNumber::Poll
                }
            }
            Syscall::NotificationBind { thread, notification, mode } => {
                args[..3].copy_from_slice(&[thread.into(), notification.into(), mode.into()]);
                SyscallNumber::NotificationBind
            }
            Syscall::NotificationUnbind { thread } => {
                args[0] = thread.into();
                SyscallNumber::NotificationUnbind
            }
            Syscall::AstSetHandler { thread, entry, stack } => {
                args[..3].copy_from_slice(&[thread.into(), entry, stack]);
                SyscallNumber::AstSetHandler
            }
            Syscall::AstMask { masked } => {
                args[0] = u64::from(masked);
                SyscallNumber::AstMask
            }
            Syscall::AstReturn => SyscallNumber::AstReturn,
            Syscall::IrqControlGet { control, line, dest } => {
                args[..3].copy_from_slice(&[control.into(), line.into(), dest.into()]);
                SyscallNumber::IrqControlGet
            }
            Syscall::IrqSetNotification { handler, notification } => {
                args[..2].copy_from_slice(&[handler.into(), notification.into()]);
                SyscallNumber::IrqSetNotification
            }
            Syscall::IrqAck { handler } => {
                args[0] = handler.into();
                SyscallNumber::IrqAck
            }
            Syscall::IoPortIssue { ports, first, count, dest } => {
                args[..4].copy_from_slice(&[ports.into(), first.into(), count.into(), dest.into()]);
                SyscallNumber::IoPortIssue
            }
            Syscall::PortIn { ports, port, width } => {
                args[..3].copy_from_slice(&[ports.into(), port.into(), width.into()]);
                SyscallNumber::PortIn
            }
            Syscall::PortOut { ports, port, width, value } => {
                args[..4].copy_from_slice(&[ports.into(), port.into(), width.into(), value.into()]);
                SyscallNumber::PortOut
            }
            Syscall::ThreadNotifyExit { thread, notification } => {
                args[..2].copy_from_slice(&[thread.into(), notification.into()]);
                SyscallNumber::ThreadNotifyExit
            }
            Syscall::ThreadInfo { thread } => {
                args[0] = thread.into();
                SyscallNumber::ThreadInfo
            }
            Syscall::EndpointStats { endpoint } => {
                args[0] = endpoint.into();
                SyscallNumber::EndpointStats
            }
        };
        (number.into(), args)
    }
}

/// Turns the status slot back into a result: `0` is success, anything else an [`Error`];
/// a status this ABI does not define comes back raw as `Err(Err(status))`.
#[inline]
pub fn status_to_result(status: u64) -> Result<(), Result<Error, u64>> {
    if status == 0 {
        Ok(())
    } else {
        Err(Error::try_from(status))
    }
}

/// The status slot's value for a result.
pub fn result_to_status(result: Result<(), Error>) -> u64 {
    match result {
        Ok(()) => 0,
        Err(error) => error.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_receive_slot_names_no_slot() {
        // The kernel refuses it as an invalid slot, so a capability meant for it never lands.
        assert_eq!(Slot::new(NO_RECEIVE_SLOT), Err(Error::InvalidSlot));
    }

    #[test]
    fn syscall_numbers_are_pinned() {
        let pinned: &[(SyscallNumber, u64)] = &[
            (SyscallNumber::DebugWrite, 0),
            (SyscallNumber::Yield, 1),
            (SyscallNumber::Exit, 2),
            (SyscallNumber::Sleep, 3),
            (SyscallNumber::Send, 4),
            (SyscallNumber::Recv, 5),
            (SyscallNumber::Call, 6),
            (SyscallNumber::Reply, 7),
            (SyscallNumber::ReplyRecv, 8),
            (SyscallNumber::NbSend, 9),
            (SyscallNumber::NbRecv, 10),
            (SyscallNumber::CapCopy, 11),
            (SyscallNumber::CapMint, 12),
            (SyscallNumber::CapMove, 13),
            (SyscallNumber::CapDelete, 14),
            (SyscallNumber::CapRevoke, 15),
            (SyscallNumber::CapIdentify, 16),
            (SyscallNumber::Create, 17),
            (SyscallNumber::MemoryInfo, 18),
            (SyscallNumber::KernelStats, 19),
            (SyscallNumber::ThreadDestroy, 20),
            (SyscallNumber::Map, 21),
            (SyscallNumber::Unmap, 22),
            (SyscallNumber::ThreadSetFaultHandler, 23),
            (SyscallNumber::ThreadConfigure, 24),
            (SyscallNumber::ThreadStart, 25),
            (SyscallNumber::ThreadSuspend, 26),
            (SyscallNumber::ThreadResume, 27),
            (SyscallNumber::ThreadSetName, 28),
            (SyscallNumber::Signal, 29),
            (SyscallNumber::Wait, 30),
            (SyscallNumber::Poll, 31),
            (SyscallNumber::NotificationBind, 32),
            (SyscallNumber::NotificationUnbind, 33),
            (SyscallNumber::AstSetHandler, 34),
            (SyscallNumber::AstMask, 35),
            (SyscallNumber::AstReturn, 36),
            (SyscallNumber::IrqControlGet, 37),
            (SyscallNumber::IrqSetNotification, 38),
            (SyscallNumber::IrqAck, 39),
            (SyscallNumber::IoPortIssue, 40),
            (SyscallNumber::PortIn, 41),
            (SyscallNumber::PortOut, 42),
            (SyscallNumber::ThreadNotifyExit, 43),
            (SyscallNumber::ThreadInfo, 44),
            (SyscallNumber::EndpointStats, 45),
        ];
        assert_eq!(pinned.len(), SyscallNumber::ALL.len(), "a new syscall needs a pinned number");
        for &(call, number) in pinned {
            assert_eq!(u64::from(call), number);
            assert_eq!(SyscallNumber::try_from(number), Ok(call));
        }
    }

    #[test]
    fn error_codes_are_pinned() {
        let pinned: &[(Error, u64)] = &[
            (Error::UnknownSyscall, 1),
            (Error::InvalidArgument, 2),
            (Error::BadAddress, 3),
            (Error::InvalidSlot, 4),
            (Error::EmptySlot, 5),
            (Error::SlotOccupied, 6),
            (Error::WrongType, 7),
            (Error::MissingRights, 8),
            (Error::GrantRequired, 9),
            (Error::MessageTooLong, 10),
            (Error::WouldBlock, 11),
            (Error::PeerGone, 12),
            (Error::OutOfMemory, 13),
            (Error::TableFull, 14),
            (Error::NoReply, 15),
            (Error::AlreadyMapped, 16),
            (Error::NotMapped, 17),
            (Error::InvalidState, 18),
            (Error::AlreadyBound, 19),
            (Error::NotFound, 20),
            (Error::UnknownOperation, 21),
            (Error::Cancelled, 22),
        ];
        assert_eq!(pinned.len(), Error::ALL.len(), "a new error needs a pinned code");
        for &(error, code) in pinned {
            assert_eq!(u64::from(error), code);
            assert_eq!(Error::try_from(code), Ok(error));
        }
        assert_eq!(Error::try_from(0), Err(0), "0 is success, never an error");
    }

    #[test]
    fn fault_kinds_are_the_x86_vectors() {
        let pinned: &[(FaultKind, u64)] = &[
            (FaultKind::DivideError, 0),
            (FaultKind::Debug, 1),
            (FaultKind::Breakpoint, 3),
            (FaultKind::Overflow, 4),
            (FaultKind::BoundRange, 5),
            (FaultKind::InvalidOpcode, 6),
            (FaultKind::DeviceNotAvailable, 7),
            (FaultKind::SegmentNotPresent, 11),
            (FaultKind::StackSegment, 12),
            (FaultKind::GeneralProtection, 13),
            (FaultKind::PageFault, 14),
            (FaultKind::FloatingPoint, 16),
            (FaultKind::AlignmentCheck, 17),
            (FaultKind::SimdFloatingPoint, 19),
        ];
        assert_eq!(pinned.len(), FaultKind::ALL.len());
        for &(kind, vector) in pinned {
            assert_eq!(u64::from(kind), vector);
            assert_eq!(FaultKind::try_from(vector), Ok(kind));
        }
    }

    #[test]
    fn slot_layout_is_pinned() {
        assert_eq!(SLOT_REGISTERS, ["rdi", "rsi", "rdx", "r10", "r8", "r9"]);
        assert_eq!(DEBUG_WRITE_MAX, 4096);
        assert_eq!(SLEEP_MAX_TICKS, 1 << 32);
        assert_eq!(TICK_HZ, 100);
        assert_eq!(USER_END, 0x0000_8000_0000_0000);
    }

    #[test]
    fn encode_then_decode_is_identity() {
        let calls = [
            Syscall::DebugWrite { buf: UserBuffer { addr: 0x1000, len: 12 } },
            Syscall::DebugWrite { buf: UserBuffer { addr: USER_END - 1, len: 1 } },
            Syscall::Yield,
            Syscall::Exit { status: 0 },
            Syscall::Exit { status: u32::MAX },
            Syscall::Sleep { ticks: 0 },
            Syscall::Sleep { ticks: SLEEP_MAX_TICKS },
            Syscall::Send {
                endpoint: Slot::new(5).unwrap(),
                message: Message { info: MessageInfo { label: 9, length: 64, caps: 3 }, words: [1, 2, 3, 4] },
                kind: SendKind::Call,
            },
            Syscall::Recv { endpoint: Slot::new(127).unwrap(), blocking: false },
            Syscall::Reply { message: Message::default() },
            Syscall::ReplyRecv { endpoint: Slot::new(2).unwrap(), message: Message::default() },
            Syscall::CapMint {
                source: Slot::new(1).unwrap().into(),
                dest: Slot::new(2).unwrap().into(),
                rights: None,
                badge: 0,
            },
            Syscall::CapMint {
                source: Slot::new(1).unwrap().into(),
                dest: SlotPath::within(Slot::new(127).unwrap(), Slot::new(0).unwrap()),
                rights: Some(Rights::READ | Rights::GRANT),
                badge: 77,
            },
            Syscall::CapMove {
                source: SlotPath::within(Slot::new(0).unwrap(), Slot::new(127).unwrap()),
                dest: Slot::new(2).unwrap().into(),
            },
            Syscall::Create {
                memory: Slot::new(1).unwrap(),
                kind: ObjectKind::Memory,
                dest: Slot::new(9).unwrap().into(),
                budget: 4096,
            },
            Syscall::ThreadConfigure {
                thread: Slot::new(3).unwrap(),
                cspace: Slot::new(4).unwrap(),
                space: Slot::new(5).unwrap(),
                ipc_buffer: Slot::new(6).unwrap(),
                priority: 255,
            },
            Syscall::ThreadStart { thread: Slot::new(3).unwrap(), ip: 0x40_0000, sp: USER_END, argument: 7 },
            Syscall::ThreadSuspend { thread: Slot::new(3).unwrap() },
            Syscall::ThreadResume { thread: Slot::new(3).unwrap() },
            Syscall::ThreadSetName {
                thread: Slot::new(3).unwrap(),
                name: UserBuffer { addr: 0x1000, len: 24 },
            },
            Syscall::KernelStats,
            Syscall::Map {
                space: Slot::new(126).unwrap(),
                frame: Slot::new(3).unwrap(),
                vaddr: 0x4000_0000,
                rights: Rights::READ | Rights::EXECUTE,
            },
            Syscall::Unmap { frame: Slot::new(3).unwrap() },
            Syscall::ThreadSetFaultHandler {
                thread: Slot::new(127).unwrap(),
                handler: Some(Slot::new(2).unwrap()),
            },
            Syscall::ThreadSetFaultHandler { thread: Slot::new(127).unwrap(), handler: None },
            Syscall::Signal { notification: Slot::new(4).unwrap() },
            Syscall::Wait { notification: Slot::new(4).unwrap(), blocking: true },
            Syscall::Wait { notification: Slot::new(4).unwrap(), blocking: false },
            Syscall::NotificationBind {
                thread: Slot::new(127).unwrap(),
                notification: Slot::new(4).unwrap(),
                mode: BindMode::Ast,
            },
            Syscall::NotificationUnbind { thread: Slot::new(127).unwrap() },
            Syscall::AstSetHandler { thread: Slot::new(127).unwrap(), entry: 0x40_1000, stack: USER_END },
            Syscall::AstMask { masked: true },
            Syscall::AstMask { masked: false },
            Syscall::AstReturn,
            Syscall::IrqControlGet {
                control: Slot::new(124).unwrap(),
                line: 4,
                dest: SlotPath::within(Slot::new(0).unwrap(), Slot::new(9).unwrap()),
            },
            Syscall::IrqSetNotification {
                handler: Slot::new(9).unwrap(),
                notification: Slot::new(4).unwrap(),
            },
            Syscall::IrqAck { handler: Slot::new(9).unwrap() },
            Syscall::IoPortIssue {
                ports: Slot::new(123).unwrap(),
                first: 0x3f8,
                count: 8,
                dest: Slot::new(10).unwrap().into(),
            },
            Syscall::IoPortIssue {
                ports: Slot::new(123).unwrap(),
                first: 0,
                count: 0x1_0000,
                dest: Slot::new(10).unwrap().into(),
            },
            Syscall::PortIn { ports: Slot::new(10).unwrap(), port: 0x3fd, width: 1 },
            Syscall::PortOut { ports: Slot::new(10).unwrap(), port: 0xfffc, width: 4, value: u32::MAX },
            Syscall::ThreadNotifyExit { thread: Slot::new(20).unwrap(), notification: Slot::new(4).unwrap() },
            Syscall::ThreadInfo { thread: Slot::new(127).unwrap() },
            Syscall::EndpointStats { endpoint: Slot::new(2).unwrap() },
        ];
        for call in calls {
            let (number, args) = call.encode();
            assert_eq!(Syscall::decode(number, args), Ok(call));
        }
    }

    #[test]
    fn decode_rejects_bad_arguments() {
        let decode =
            |number: SyscallNumber, a0: u64, a1: u64| Syscall::decode(number.into(), [a0, a1, 0, 0, 0, 0]);
        assert_eq!(Syscall::decode(46, [0; 6]), Err(Error::UnknownSyscall));
        let irq = |line: u64| Syscall::decode(SyscallNumber::IrqControlGet.into(), [124, line, 9, 0, 0, 0]);
        assert!(irq(15).is_ok());
        assert_eq!(irq(16), Err(Error::InvalidArgument));
        let port_in =
            |port: u64, width: u64| Syscall::decode(SyscallNumber::PortIn.into(), [10, port, width, 0, 0, 0]);
        assert!(port_in(0xffff, 1).is_ok() && port_in(0xfffe, 2).is_ok());
        assert_eq!(port_in(0xffff, 2), Err(Error::InvalidArgument), "past the last port");
        assert_eq!(port_in(0x3f8, 3), Err(Error::InvalidArgument));
        assert_eq!(port_in(0x1_0000, 1), Err(Error::InvalidArgument));
        let out = Syscall::decode(SyscallNumber::PortOut.into(), [10, 0x3f8, 1, 1 << 32, 0, 0]);
        assert_eq!(out, Err(Error::InvalidArgument));
        let issue = |first: u64, count: u64| {
            Syscall::decode(SyscallNumber::IoPortIssue.into(), [123, first, count, 10, 0, 0])
        };
        assert_eq!(issue(0x3f8, 0), Err(Error::InvalidArgument), "an empty range");
        assert_eq!(issue(0xfff0, 0x11), Err(Error::InvalidArgument), "past the last port");
        assert_eq!(
            decode(SyscallNumber::NotificationBind, 127, 4),
            Ok(Syscall::NotificationBind {
                thread: Slot::new(127).unwrap(),
                notification: Slot::new(4).unwrap(),
                mode: BindMode::Receive,
            })
        );
        assert_eq!(
            Syscall::decode(SyscallNumber::NotificationBind.into(), [127, 4, 2, 0, 0, 0]),
            Err(Error::InvalidArgument)
        );
        assert_eq!(decode(SyscallNumber::AstMask, 2, 0), Err(Error::InvalidArgument));
        let handler = |entry: u64, stack: u64| {
            Syscall::decode(SyscallNumber::AstSetHandler.into(), [1, entry, stack, 0, 0, 0])
        };
        assert_eq!(handler(USER_END, 0x1000), Err(Error::BadAddress), "entry in the kernel half");
        assert_eq!(handler(0x1000, USER_END + 16), Err(Error::BadAddress), "stack in the kernel half");
        assert_eq!(decode(SyscallNumber::CapDelete, 0x80, 0), Err(Error::InvalidSlot), "slot 128");
        assert_eq!(decode(SyscallNumber::CapDelete, 0x8100, 0), Err(Error::InvalidSlot), "through slot 128");
        assert_eq!(decode(SyscallNumber::CapDelete, 1 << 16, 0), Err(Error::InvalidSlot));
        assert_eq!(
            decode(SyscallNumber::Send, 0x105, 0),
            Err(Error::InvalidSlot),
            "IPC takes own slots only"
        );
        let configure =
            |priority: u64| Syscall::decode(SyscallNumber::ThreadConfigure.into(), [1, 2, 3, 4, priority, 0]);
        assert!(configure(255).is_ok());
        assert_eq!(configure(256), Err(Error::InvalidArgument));
        let start =
            |ip: u64, sp: u64| Syscall::decode(SyscallNumber::ThreadStart.into(), [1, ip, sp, 0, 0, 0]);
        assert_eq!(start(USER_END, 0x1000), Err(Error::BadAddress), "ip in the kernel half");
        assert_eq!(start(0x1000, USER_END + 8), Err(Error::BadAddress), "sp in the kernel half");
        let name = |len: u64| Syscall::decode(SyscallNumber::ThreadSetName.into(), [1, 0x1000, len, 0, 0, 0]);
        assert!(name(THREAD_NAME_MAX).is_ok());
        assert_eq!(name(THREAD_NAME_MAX + 1), Err(Error::InvalidArgument));
        assert_eq!(decode(SyscallNumber::ThreadSetFaultHandler, 127, 128), Err(Error::InvalidSlot));
        let map = |vaddr: u64, rights: Rights| {
            Syscall::decode(SyscallNumber::Map.into(), [126, 3, vaddr, rights.bits(), 0, 0])
        };
        let (r, w, x) = (Rights::READ, Rights::WRITE, Rights::EXECUTE);
        assert!(map(0x1000, r | w).is_ok() && map(0x1000, r | x).is_ok() && map(0x1000, r).is_ok());
        assert_eq!(map(0x1000, r | w | x), Err(Error::InvalidArgument), "never W+X");
        assert_eq!(map(0x1000, w), Err(Error::InvalidArgument), "x86 pages are always readable");
        assert_eq!(map(0x1000, r | Rights::GRANT), Err(Error::InvalidArgument));
        assert_eq!(map(0x1001, r), Err(Error::InvalidArgument));
        assert_eq!(map(0, r), Err(Error::BadAddress));
        assert_eq!(map(USER_END, r), Err(Error::BadAddress), "non-canonical");
        assert_eq!(map(0xffff_8000_0000_0000, r), Err(Error::BadAddress), "kernel half");
        assert_eq!(map(USER_END - PAGE_SIZE, r).map(|_| ()), Ok(()));
        assert_eq!(decode(SyscallNumber::Send, CSPACE_SLOTS, 0), Err(Error::InvalidSlot));
        assert_eq!(decode(SyscallNumber::Call, 2, 65), Err(Error::MessageTooLong));
        assert_eq!(decode(SyscallNumber::Reply, 0, 1 << 9), Err(Error::InvalidArgument));
        assert_eq!(decode(SyscallNumber::CapCopy, 1, CSPACE_SLOTS), Err(Error::InvalidSlot));
        assert_eq!(
            Syscall::decode(SyscallNumber::CapMint.into(), [1, 2, 32, 0, 0, 0]),
            Err(Error::InvalidArgument)
        );
        assert_eq!(decode(SyscallNumber::Create, 1, 99), Err(Error::InvalidArgument));
        assert_eq!(
            Syscall::decode(SyscallNumber::Create.into(), [1, 3, 2, 64, 0, 0]),
            Err(Error::InvalidArgument)
        );
        assert_eq!(Syscall::decode(u64::MAX, [0; 6]), Err(Error::UnknownSyscall));
        assert_eq!(decode(SyscallNumber::DebugWrite, 0x1000, 4097), Err(Error::InvalidArgument));
        assert_eq!(decode(SyscallNumber::DebugWrite, u64::MAX - 2, 8), Err(Error::BadAddress));
        assert_eq!(decode(SyscallNumber::DebugWrite, 0xffff_8000_0000_0000, 8), Err(Error::BadAddress));
        assert_eq!(decode(SyscallNumber::DebugWrite, USER_END - 4, 8), Err(Error::BadAddress));
        assert_eq!(decode(SyscallNumber::Exit, 1 << 32, 0), Err(Error::InvalidArgument));
        assert_eq!(decode(SyscallNumber::Sleep, SLEEP_MAX_TICKS + 1, 0), Err(Error::InvalidArgument));
    }

    #[test]
    fn status_round_trips() {
        assert_eq!(status_to_result(result_to_status(Ok(()))), Ok(()));
        for &error in Error::ALL {
            assert_eq!(status_to_result(result_to_status(Err(error))), Err(Ok(error)));
        }
        assert_eq!(status_to_result(999), Err(Err(999)));
    }
}
