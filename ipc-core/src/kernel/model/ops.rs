//! The operations of the model test: system calls (and CPU faults) as generated, with slots
//! named by what they should hold, and how each becomes the raw call the kernel sees.

use proptest::collection::vec;
use proptest::prelude::*;

use super::{BAD_SLOT, BOOT_BUDGET, ENTRY, MEMORY_SLOT, SHARED_SLOT, THREAD_SET_COST, USED_SLOTS};
use crate::abi::{
    Error, FaultKind, IpcBuffer, Message, MessageInfo, ObjectKind, Rights, SendKind, Slot, SlotPath, Syscall,
    SyscallNumber, ARG_SLOTS, ENDPOINT_COST, REGISTER_WORDS,
};
use crate::fault::{Access, Fault};

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// One system call, made by whichever thread the kernel runs at that step (or, for `Fault`,
/// a CPU fault that thread takes). Generated ops name slots by [`Pick`]; just before the call
/// each pick becomes a slot number (`Op<u64>`). `DestroyThread` is `thread_destroy`;
/// `CopyInto` copies or moves a capability into slot `dest` of the capability space the
/// CSpace capability at `cspace` names. Mapping Frames is not generated: unit tests
/// (`pages_tests.rs`) cover it.
#[derive(Clone, Debug)]
pub(super) enum Op<S = u64> {
    Create { kind: ObjectKind, memory: S, dest: S, budget: u64 },
    Copy { source: S, dest: S },
    Mint { source: S, dest: S, rights: Rights, badge: u64 },
    Move { source: S, dest: S },
    CopyInto { source: S, cspace: S, dest: u64, moving: bool },
    Delete { slot: S },
    Revoke { slot: S },
    Identify { slot: S },
    MemoryInfo { slot: S },
    KernelStats,
    Send { kind: SendKind, endpoint: S, message: Msg, buffer: Buffer<S> },
    Recv { endpoint: S, blocking: bool, buffer: Buffer<S> },
    Reply { message: Msg, buffer: Buffer<S> },
    ReplyRecv { endpoint: S, message: Msg, buffer: Buffer<S> },
    Configure { thread: S, cspace: S, space: S, buffer: S, priority: u8 },
    Start { thread: S },
    Suspend { thread: S },
    Resume { thread: S },
    SetFaultHandler { thread: S, handler: Option<u64> },
    Fault(Fault),
    DestroyThread { slot: S },
    Yield,
    Exit,
    Malformed(Malformed),
}

impl<S: Copy> Op<S> {
    /// The same op with every slot `s` replaced by `f(s)`, in field order.
    pub(super) fn map<T>(&self, mut f: impl FnMut(S) -> T) -> Op<T> {
        match *self {
            Op::Create { kind, memory, dest, budget } => {
                Op::Create { kind, memory: f(memory), dest: f(dest), budget }
            }
            Op::Copy { source, dest } => Op::Copy { source: f(source), dest: f(dest) },
            Op::Mint { source, dest, rights, badge } => {
                Op::Mint { source: f(source), dest: f(dest), rights, badge }
            }
            Op::Move { source, dest } => Op::Move { source: f(source), dest: f(dest) },
            Op::CopyInto { source, cspace, dest, moving } => {
                Op::CopyInto { source: f(source), cspace: f(cspace), dest, moving }
            }
            Op::Delete { slot } => Op::Delete { slot: f(slot) },
            Op::Revoke { slot } => Op::Revoke { slot: f(slot) },
            Op::Identify { slot } => Op::Identify { slot: f(slot) },
            Op::MemoryInfo { slot } => Op::MemoryInfo { slot: f(slot) },
            Op::KernelStats => Op::KernelStats,
            Op::Send { kind, endpoint, message, buffer } => {
                Op::Send { kind, endpoint: f(endpoint), message, buffer: buffer.map(f) }
            }
            Op::Recv { endpoint, blocking, buffer } => {
                Op::Recv { endpoint: f(endpoint), blocking, buffer: buffer.map(f) }
            }
            Op::Reply { message, buffer } => Op::Reply { message, buffer: buffer.map(f) },
            Op::ReplyRecv { endpoint, message, buffer } => {
                Op::ReplyRecv { endpoint: f(endpoint), message, buffer: buffer.map(f) }
            }
            Op::Configure { thread, cspace, space, buffer, priority } => Op::Configure {
                thread: f(thread),
                cspace: f(cspace),
                space: f(space),
                buffer: f(buffer),
                priority,
            },
            Op::Start { thread } => Op::Start { thread: f(thread) },
            Op::Suspend { thread } => Op::Suspend { thread: f(thread) },
            Op::Resume { thread } => Op::Resume { thread: f(thread) },
            Op::SetFaultHandler { thread, handler } => Op::SetFaultHandler { thread: f(thread), handler },
            Op::Fault(fault) => Op::Fault(fault),
            Op::DestroyThread { slot } => Op::DestroyThread { slot: f(slot) },
            Op::Yield => Op::Yield,
            Op::Exit => Op::Exit,
            Op::Malformed(malformed) => Op::Malformed(malformed),
        }
    }
}

/// A slot as a generated op names it, found among the calling thread's slots `0..USED_SLOTS`
/// when the op runs: most operations then find what they need, and the ones that fail were
/// meant to. Counting goes round; when nothing fits, the pick is slot `n % USED_SLOTS`.
#[derive(Clone, Copy, Debug)]
pub(super) enum Pick {
    /// The `n`-th slot that holds a capability.
    Full(u8),
    /// The `n`-th empty slot.
    Empty(u8),
    /// The `n`-th slot that holds a capability to this kind of object.
    Holding(ObjectKind, u8),
    /// The slot holding the newest capability to this kind of object (the one just made).
    Newest(ObjectKind),
    /// This slot number, whatever the slot holds (in a buffer, it may be out of range).
    Number(u64),
}

/// A message as an op describes it. Its words are derived from the label, so every delivered
/// word says which message it came from.
#[derive(Clone, Copy, Debug)]
pub(super) struct Msg {
    label: u64,
    length: u8,
    caps: u8,
}

impl Msg {
    fn word(self, i: usize) -> u64 {
        self.label * 100 + i as u64
    }

    pub(super) fn message(self) -> Message {
        let info = MessageInfo { label: self.label, length: self.length, caps: self.caps };
        Message { info, words: [0, 1, 2, 3].map(|i| self.word(i)) }
    }
}

/// What an IPC op writes into the caller's IPC buffer first: raw slot numbers (some out of
/// range) of the capabilities to send and of the slots where received ones should land.
#[derive(Clone, Copy, Debug)]
pub(super) struct Buffer<S = u64> {
    send_caps: [S; 3],
    receive_slots: [S; 3],
}

impl<S: Copy> Buffer<S> {
    fn map<T>(&self, mut f: impl FnMut(S) -> T) -> Buffer<T> {
        Buffer { send_caps: self.send_caps.map(&mut f), receive_slots: self.receive_slots.map(&mut f) }
    }
}

/// A raw system call the decoder must reject, and with what.
#[derive(Clone, Copy, Debug)]
pub(super) enum Malformed {
    SlotOutOfRange,
    UnknownNumber,
    BudgetForEndpoint,
    UnknownRights,
    MessageTooLong,
}

impl Malformed {
    fn raw(self) -> (u64, [u64; ARG_SLOTS]) {
        match self {
            Malformed::SlotOutOfRange => (SyscallNumber::CapDelete.into(), [BAD_SLOT, 0, 0, 0, 0, 0]),
            Malformed::UnknownNumber => (1000, [0; ARG_SLOTS]),
            Malformed::BudgetForEndpoint => {
                (SyscallNumber::Create.into(), [MEMORY_SLOT, ObjectKind::Endpoint.into(), 7, 64, 0, 0])
            }
            Malformed::UnknownRights => (SyscallNumber::CapMint.into(), [SHARED_SLOT, 7, 1 << 5, 0, 0, 0]),
            Malformed::MessageTooLong => (SyscallNumber::Send.into(), [SHARED_SLOT, 65, 0, 0, 0, 0]),
        }
    }

    pub(super) fn error(self) -> Error {
        match self {
            Malformed::SlotOutOfRange => Error::InvalidSlot,
            Malformed::UnknownNumber => Error::UnknownSyscall,
            Malformed::BudgetForEndpoint | Malformed::UnknownRights => Error::InvalidArgument,
            Malformed::MessageTooLong => Error::MessageTooLong,
        }
    }
}

/// The number and arguments of the system call `op` makes (`Fault` makes none).
pub(super) fn encode(op: &Op) -> (u64, [u64; ARG_SLOTS]) {
    let s = |n: u64| Slot::new(n).expect("ops name slots below USED_SLOTS");
    let call = match *op {
        Op::Create { kind, memory, dest, budget } => {
            Syscall::Create { memory: s(memory), kind, dest: s(dest).into(), budget }
        }
        Op::Copy { source, dest } => {
            Syscall::CapMint { source: s(source).into(), dest: s(dest).into(), rights: None, badge: 0 }
        }
        Op::Mint { source, dest, rights, badge } => {
            Syscall::CapMint { source: s(source).into(), dest: s(dest).into(), rights: Some(rights), badge }
        }
        Op::Move { source, dest } => Syscall::CapMove { source: s(source).into(), dest: s(dest).into() },
        Op::CopyInto { source, cspace, dest, moving } => {
            let (source, dest) = (s(source).into(), SlotPath::within(s(cspace), s(dest)));
            match moving {
                true => Syscall::CapMove { source, dest },
                false => Syscall::CapMint { source, dest, rights: None, badge: 0 },
            }
        }
        Op::Delete { slot } => Syscall::CapDelete { slot: s(slot).into() },
        Op::Revoke { slot } => Syscall::CapRevoke { slot: s(slot).into() },
        Op::Identify { slot } => Syscall::CapIdentify { slot: s(slot).into() },
        Op::MemoryInfo { slot } => Syscall::MemoryInfo { memory: s(slot) },
        Op::KernelStats => Syscall::KernelStats,
        Op::Send { kind, endpoint, message, .. } => {
            Syscall::Send { endpoint: s(endpoint), message: message.message(), kind }
        }
        Op::Recv { endpoint, blocking, .. } => Syscall::Recv { endpoint: s(endpoint), blocking },
        Op::Reply { message, .. } => Syscall::Reply { message: message.message() },
        Op::ReplyRecv { endpoint, message, .. } => {
            Syscall::ReplyRecv { endpoint: s(endpoint), message: message.message() }
        }
        Op::Configure { thread, cspace, space, buffer, priority } => Syscall::ThreadConfigure {
            thread: s(thread),
            cspace: s(cspace),
            space: s(space),
            ipc_buffer: s(buffer),
            priority,
        },
        Op::Start { thread } => {
            Syscall::ThreadStart { thread: s(thread), ip: ENTRY.0, sp: ENTRY.1, argument: 0 }
        }
        Op::Suspend { thread } => Syscall::ThreadSuspend { thread: s(thread) },
        Op::Resume { thread } => Syscall::ThreadResume { thread: s(thread) },
        Op::SetFaultHandler { thread, handler } => {
            Syscall::ThreadSetFaultHandler { thread: s(thread), handler: handler.map(s) }
        }
        Op::Fault(_) => unreachable!("a fault is no system call"),
        Op::DestroyThread { slot } => Syscall::ThreadDestroy { thread: s(slot) },
        Op::Yield => Syscall::Yield,
        Op::Exit => Syscall::Exit { status: 0 },
        Op::Malformed(malformed) => return malformed.raw(),
    };
    call.encode()
}

/// What `op` writes into the caller's IPC buffer before the call: (word index, value) pairs.
pub(super) fn buffer_writes(op: &Op) -> Vec<(usize, u64)> {
    let (message, buffer) = match *op {
        Op::Send { message, buffer, .. }
        | Op::Reply { message, buffer }
        | Op::ReplyRecv { message, buffer, .. } => (Some(message), buffer),
        Op::Recv { buffer, .. } => (None, buffer),
        _ => return Vec::new(),
    };
    let mut writes = Vec::new();
    if let Some(message) = message {
        writes.extend((REGISTER_WORDS..usize::from(message.length)).map(|i| (i, message.word(i))));
    }
    for i in 0..3 {
        writes.push((IpcBuffer::SEND_CAPS + i, buffer.send_caps[i]));
        writes.push((IpcBuffer::RECEIVE_SLOTS + i, buffer.receive_slots[i]));
    }
    writes
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

// Picks come from a plain (choice, number) pair rather than nested unions: the unoptimized
// test profile spends much of its time building and copying union value trees.

/// `wanted(n)` eight times out of `9 + others.len()`; otherwise each of `others`, or any slot
/// whatever it holds, equally often.
fn pick(wanted: fn(u8) -> Pick, others: &'static [fn(u8) -> Pick]) -> impl Strategy<Value = Pick> {
    let choices = 8 + others.len() as u8 + 1;
    (0..choices, any::<u8>()).prop_map(move |(choice, n)| match choice {
        0..=7 => wanted(n),
        c if usize::from(c - 8) < others.len() => others[usize::from(c - 8)](n),
        _ => Pick::Number(u64::from(n) % USED_SLOTS),
    })
}

/// A slot that should hold a capability.
fn full() -> impl Strategy<Value = Pick> {
    pick(Pick::Full, &[])
}

/// A slot that should be empty.
fn empty() -> impl Strategy<Value = Pick> {
    pick(Pick::Empty, &[])
}

/// Slots that should hold a capability to a Memory object, an endpoint, a thread, a
/// capability space, an address space or a Frame; now and then any full slot (wrong type)
/// or any slot.
fn memory() -> impl Strategy<Value = Pick> {
    pick(|n| Pick::Holding(ObjectKind::Memory, n), &[Pick::Full])
}

fn endpoint() -> impl Strategy<Value = Pick> {
    pick(|n| Pick::Holding(ObjectKind::Endpoint, n), &[Pick::Full])
}

fn thread() -> impl Strategy<Value = Pick> {
    pick(|n| Pick::Holding(ObjectKind::Thread, n), &[Pick::Full])
}

fn cspace() -> impl Strategy<Value = Pick> {
    pick(|n| Pick::Holding(ObjectKind::CSpace, n), &[Pick::Full])
}

fn address_space() -> impl Strategy<Value = Pick> {
    pick(|n| Pick::Holding(ObjectKind::AddressSpace, n), &[Pick::Full])
}

fn frame() -> impl Strategy<Value = Pick> {
    pick(|n| Pick::Holding(ObjectKind::Frame, n), &[Pick::Full])
}

fn out_of_range(_: u8) -> Pick {
    Pick::Number(BAD_SLOT)
}

/// Capabilities to send from full slots, to land in empty ones; now and then a slot number out
/// of range, or a receive slot that is already taken.
fn buffer() -> impl Strategy<Value = Buffer<Pick>> {
    let send = || pick(Pick::Full, &[out_of_range]);
    let receive = || pick(Pick::Empty, &[Pick::Full, out_of_range]);
    let (sends, receives) = (proptest::array::uniform3(send()), proptest::array::uniform3(receive()));
    (sends, receives).prop_map(|(send_caps, receive_slots)| Buffer { send_caps, receive_slots })
}

fn msg() -> impl Strategy<Value = Msg> {
    let caps = prop_oneof![5 => Just(0u8), 2 => 1..=3u8];
    (0..1000u64, 0..=6u8, caps).prop_map(|(label, length, caps)| Msg { label, length, caps })
}

fn rights() -> impl Strategy<Value = Rights> {
    (0..16u64).prop_map(Rights::from_bits_truncate)
}

/// Badges 1..=3 are also the initial badges, so minted ones share them.
fn badge() -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(0u64), 2 => 1..=3u64]
}

/// Child Memory budgets: too small for a thread, just enough for one (with what it needs to
/// run), more than the boot budget, and more than any.
fn budget() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(ENDPOINT_COST),
        Just(3 * ENDPOINT_COST),
        Just(THREAD_SET_COST),
        Just(2 * BOOT_BUDGET),
        Just(u64::MAX - 8)
    ]
}

/// A priority for `thread_configure`: at most the caller's, mostly (priorities are 1..=3).
fn priority() -> impl Strategy<Value = u8> {
    prop_oneof![4 => 0..=2u8, 1 => 3..=4u8]
}

fn fault() -> impl Strategy<Value = Fault> {
    let page = (0..4u64, prop::bool::ANY)
        .prop_map(|(page, write)| Some((0x1000 * page, if write { Access::Write } else { Access::Read })));
    let kind = prop_oneof![Just(FaultKind::PageFault), Just(FaultKind::GeneralProtection)];
    (kind, 0..0x1000u64, page).prop_map(|(kind, ip, page)| Fault {
        kind,
        ip: 0x40_0000 + ip,
        page: page.filter(|_| kind == FaultKind::PageFault),
    })
}

fn create() -> impl Strategy<Value = Op<Pick>> {
    let kind = prop_oneof![
        4 => Just(ObjectKind::Endpoint),
        1 => Just(ObjectKind::Thread),
        1 => Just(ObjectKind::CSpace),
        1 => Just(ObjectKind::AddressSpace),
        1 => Just(ObjectKind::Frame),
    ];
    prop_oneof![
        4 => (kind, memory(), empty()).prop_map(|(kind, memory, dest)| Op::Create { kind, memory, dest, budget: 0 }),
        1 => (memory(), empty(), budget())
            .prop_map(|(memory, dest, budget)| Op::Create { kind: ObjectKind::Memory, memory, dest, budget }),
    ]
}

fn cap_op() -> impl Strategy<Value = Op<Pick>> {
    prop_oneof![
        3 => create(),
        3 => (full(), empty()).prop_map(|(source, dest)| Op::Copy { source, dest }),
        3 => (full(), empty(), rights(), badge())
            .prop_map(|(source, dest, rights, badge)| Op::Mint { source, dest, rights, badge }),
        1 => (full(), empty()).prop_map(|(source, dest)| Op::Move { source, dest }),
        1 => (full(), cspace(), 0..USED_SLOTS, prop::bool::ANY)
            .prop_map(|(source, cspace, dest, moving)| Op::CopyInto { source, cspace, dest, moving }),
        3 => full().prop_map(|slot| Op::Delete { slot }),
        3 => full().prop_map(|slot| Op::Revoke { slot }),
        1 => full().prop_map(|slot| Op::Identify { slot }),
        1 => memory().prop_map(|slot| Op::MemoryInfo { slot }),
    ]
}

fn ipc_op() -> impl Strategy<Value = Op<Pick>> {
    let kind =
        prop_oneof![2 => Just(SendKind::Send), 1 => Just(SendKind::NonBlocking), 3 => Just(SendKind::Call)];
    prop_oneof![
        5 => (kind, endpoint(), msg(), buffer())
            .prop_map(|(kind, endpoint, message, buffer)| Op::Send { kind, endpoint, message, buffer }),
        4 => (endpoint(), prop::bool::weighted(0.75), buffer())
            .prop_map(|(endpoint, blocking, buffer)| Op::Recv { endpoint, blocking, buffer }),
        4 => (msg(), buffer()).prop_map(|(message, buffer)| Op::Reply { message, buffer }),
        4 => (endpoint(), msg(), buffer())
            .prop_map(|(endpoint, message, buffer)| Op::ReplyRecv { endpoint, message, buffer }),
    ]
}

fn thread_op() -> impl Strategy<Value = Op<Pick>> {
    let handler = prop::option::weighted(0.8, 0..USED_SLOTS);
    prop_oneof![
        1 => (thread(), cspace(), address_space(), frame(), priority()).prop_map(
            |(thread, cspace, space, buffer, priority)| Op::Configure { thread, cspace, space, buffer, priority }
        ),
        1 => thread().prop_map(|thread| Op::Start { thread }),
        2 => thread().prop_map(|thread| Op::Suspend { thread }),
        2 => thread().prop_map(|thread| Op::Resume { thread }),
        1 => (thread(), handler).prop_map(|(thread, handler)| Op::SetFaultHandler { thread, handler }),
        2 => fault().prop_map(Op::Fault),
    ]
}

fn other_op() -> impl Strategy<Value = Op<Pick>> {
    let malformed = prop_oneof![
        Just(Malformed::SlotOutOfRange),
        Just(Malformed::UnknownNumber),
        Just(Malformed::BudgetForEndpoint),
        Just(Malformed::UnknownRights),
        Just(Malformed::MessageTooLong),
    ];
    prop_oneof![
        3 => Just(Op::Yield),
        1 => Just(Op::Exit),
        1 => Just(Op::KernelStats),
        1 => thread().prop_map(|slot| Op::DestroyThread { slot }),
        1 => malformed.prop_map(Op::Malformed),
    ]
}

fn op() -> impl Strategy<Value = Op<Pick>> {
    // Boxed: nested unions otherwise make value trees of kilobytes, which the unoptimized
    // test profile spends much of its time copying.
    prop_oneof![
        10 => cap_op().boxed(),
        12 => ipc_op().boxed(),
        3 => thread_op().boxed(),
        2 => other_op().boxed()
    ]
}

/// The calls that make a thread and start it, which random ops seldom line up: a thread, a
/// capability space, an address space and a Frame from one Memory object, the thread
/// configured with them (or with the caller's own capability space), given a capability
/// (an endpoint it may take as its fault handler, its own Thread capability, the Memory
/// object…) in its space's slot 1, and started.
fn thread_script() -> impl Strategy<Value = Vec<Op<Pick>>> {
    let newest = Pick::Newest;
    let own_cspace = prop_oneof![3 => Just(newest(ObjectKind::CSpace)), 1 => Just(Pick::Number(0))];
    let given = prop_oneof![
        2 => Just(newest(ObjectKind::Thread)),
        2 => endpoint(),
        1 => memory(),
        1 => Just(newest(ObjectKind::CSpace)),
    ];
    let handler = prop::option::weighted(0.7, Just(1u64));
    (memory(), own_cspace, priority(), given, handler, prop::bool::weighted(0.8)).prop_map(
        move |(memory, cspace, priority, given, handler, start)| {
            let create = |kind| Op::Create { kind, memory, dest: Pick::Empty(0), budget: 0 };
            let thread = newest(ObjectKind::Thread);
            let mut ops = vec![
                create(ObjectKind::Thread),
                create(ObjectKind::CSpace),
                create(ObjectKind::AddressSpace),
                create(ObjectKind::Frame),
                Op::Configure {
                    thread,
                    cspace,
                    space: newest(ObjectKind::AddressSpace),
                    buffer: newest(ObjectKind::Frame),
                    priority,
                },
                Op::CopyInto { source: given, cspace, dest: 1, moving: false },
                Op::SetFaultHandler { thread, handler },
            ];
            if start {
                ops.push(Op::Start { thread });
            }
            ops
        },
    )
}

/// Single ops, now and then the run of ops that starts a thread.
pub(super) fn ops() -> impl Strategy<Value = Vec<Op<Pick>>> {
    let chunk = prop_oneof![20 => op().prop_map(|op| vec![op]), 1 => thread_script()];
    vec(chunk, 4..=19).prop_map(|chunks| chunks.into_iter().flatten().collect())
}
