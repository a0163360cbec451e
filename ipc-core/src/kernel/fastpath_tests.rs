//! The fastpath against the general path: the same random kernels and system-call sequences
//! run with the fastpath on and off must end in the same state after every step (every
//! thread, queue, counter, capability, result and register), and each precondition failing
//! on its own must send `call` and `reply_recv` down the general path.

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::RngAlgorithm;

use super::fastpath::FASTPATH_TAKEN;
use super::Kernel;
use crate::abi::{
    BindMode, BootInfo, Error, IpcBuffer, Message, MessageInfo, ObjectKind, Rights, SendKind, Slot, Syscall,
};
use crate::mock::Mock;
use crate::thread::{AstHandler, ThreadId, ThreadState};

const MEMORY: u64 = BootInfo::MEMORY_SLOT;
/// An endpoint every thread holds with every right (thread 0 the original).
const SHARED: u64 = 2;
/// A second endpoint: thread 0 holds the original, thread `i` a copy badged `i` with the
/// rights the case chose for it.
const BADGED: u64 = 3;
/// A Thread capability to the thread itself, and one to the next thread.
const MYSELF: u64 = 4;
const NEXT_THREAD: u64 = 5;
/// The thread's own notification (bound to it as the case chose), and the next thread's.
const OWN_NOTIFICATION: u64 = 6;
const NEXT_NOTIFICATION: u64 = 7;
/// Where capabilities sent to the thread land.
const LANDING: u64 = 8;
const HANDLER: AstHandler = AstHandler { entry: 0x40_2000, stack: 0x7000_0000 };

fn slot(n: u64) -> Slot {
    Slot::new(n).expect("a valid slot number")
}

/// How a generated thread starts.
#[derive(Clone, Copy, Debug)]
struct ThreadSpec {
    priority: u8,
    /// Rights of its badged endpoint copy.
    badged_rights: Rights,
    /// How its own notification is bound to it (`None`: not bound).
    binding: Option<BindMode>,
}

#[derive(Clone, Copy, Debug)]
struct Msg {
    label: u64,
    length: u8,
    caps: u8,
}

impl Msg {
    fn message(self) -> Message {
        let words = core::array::from_fn(|i| self.label * 10 + i as u64);
        Message { info: MessageInfo { label: self.label, length: self.length, caps: self.caps }, words }
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Call { endpoint: u64, msg: Msg },
    ReplyRecv { endpoint: u64, msg: Msg },
    Recv { endpoint: u64, blocking: bool },
    Send { endpoint: u64, msg: Msg, blocking: bool },
    Reply { msg: Msg },
    Signal { slot: u64 },
    Suspend,
    Resume,
    Delete { slot: u64 },
    Revoke { slot: u64 },
    AstMask { masked: bool },
    AstReturn,
    Yield,
    Tick,
}

impl Op {
    fn syscall(self) -> Option<Syscall> {
        Some(match self {
            Op::Call { endpoint, msg } => {
                Syscall::Send { endpoint: slot(endpoint), message: msg.message(), kind: SendKind::Call }
            }
            Op::ReplyRecv { endpoint, msg } => {
                Syscall::ReplyRecv { endpoint: slot(endpoint), message: msg.message() }
            }
            Op::Recv { endpoint, blocking } => Syscall::Recv { endpoint: slot(endpoint), blocking },
            Op::Send { endpoint, msg, blocking } => Syscall::Send {
                endpoint: slot(endpoint),
                message: msg.message(),
                kind: if blocking { SendKind::Send } else { SendKind::NonBlocking },
            },
            Op::Reply { msg } => Syscall::Reply { message: msg.message() },
            Op::Signal { slot: n } => Syscall::Signal { notification: slot(n) },
            Op::Suspend => Syscall::ThreadSuspend { thread: slot(NEXT_THREAD) },
            Op::Resume => Syscall::ThreadResume { thread: slot(NEXT_THREAD) },
            Op::Delete { slot: n } => Syscall::CapDelete { slot: slot(n).into() },
            Op::Revoke { slot: n } => Syscall::CapRevoke { slot: slot(n).into() },
            Op::AstMask { masked } => Syscall::AstMask { masked },
            Op::AstReturn => Syscall::AstReturn,
            Op::Yield => Syscall::Yield,
            Op::Tick => return None,
        })
    }
}

/// One kernel and its machine, built from the specs.
struct World {
    kernel: Box<Kernel>,
    mock: Mock,
    ids: Vec<ThreadId>,
}

impl World {
    fn new(specs: &[ThreadSpec], fastpath: bool) -> World {
        let mut kernel = Box::new(Kernel::new());
        kernel.set_fastpath(fastpath);
        let ids: Vec<ThreadId> = specs
            .iter()
            .enumerate()
            .map(|(i, s)| kernel.spawn(&format!("t{i}"), s.priority).unwrap())
            .collect();
        let at = |kernel: &Kernel, t: usize, n: u64| kernel.slot_of(ids[t], slot(n)).unwrap();
        let mut mock = Mock::default();
        kernel.boot_memory(at(&kernel, 0, MEMORY), 1 << 20).unwrap();
        for n in [SHARED, BADGED] {
            kernel
                .create(&mut mock, at(&kernel, 0, MEMORY), ObjectKind::Endpoint, at(&kernel, 0, n), 0)
                .unwrap();
        }
        for t in 0..ids.len() {
            if t > 0 {
                for (n, rights, badge) in
                    [(MEMORY, None, 0), (SHARED, None, 0), (BADGED, Some(specs[t].badged_rights), t as u64)]
                {
                    kernel.mint(at(&kernel, 0, n), at(&kernel, t, n), rights, badge).unwrap();
                }
            }
            let memory = at(&kernel, t, MEMORY);
            kernel
                .create(&mut mock, memory, ObjectKind::Notification, at(&kernel, t, OWN_NOTIFICATION), 0)
                .unwrap();
            kernel.give_thread_cap(ids[t], at(&kernel, t, MYSELF)).unwrap();
            kernel.give_thread_cap(ids[(t + 1) % ids.len()], at(&kernel, t, NEXT_THREAD)).unwrap();
        }
        for t in 0..ids.len() {
            let next = (t + 1) % ids.len();
            kernel
                .mint(at(&kernel, next, OWN_NOTIFICATION), at(&kernel, t, NEXT_NOTIFICATION), None, 0)
                .unwrap();
            if let Some(mode) = specs[t].binding {
                let myself = at(&kernel, t, MYSELF);
                kernel.set_ast_handler(myself, HANDLER).unwrap();
                kernel.bind(&mut mock, myself, at(&kernel, t, OWN_NOTIFICATION), mode).unwrap();
            }
            let buffer = mock.buffer(ids[t]);
            buffer[IpcBuffer::SEND_CAPS] = SHARED;
            buffer[IpcBuffer::RECEIVE_SLOTS] = LANDING;
            for (i, word) in buffer[..IpcBuffer::SEND_CAPS].iter_mut().enumerate() {
                *word = (t * 1000 + i) as u64;
            }
        }
        kernel.check_invariants().unwrap();
        World { kernel, mock, ids }
    }

    /// The current thread makes `op` (or a timer tick happens); then the scheduler chooses.
    fn step(&mut self, op: Op) -> Option<ThreadId> {
        match op.syscall() {
            Some(call) => {
                self.mock.call(&mut self.kernel, call);
            }
            None => self.kernel.tick(&mut self.mock),
        }
        self.kernel.schedule()
    }

    /// Everything either path could change, in a form two worlds can be compared by.
    fn snapshot(&self) -> String {
        let k = &self.kernel;
        let mut out = format!("current {:?}, ast_due {:#x}\n", k.current, k.ast_due);
        for (id, t) in k.threads.iter() {
            out += &format!("{id:?} {t:?}\n");
            for n in 0..=LANDING {
                out += &format!("  slot {n}: {:?}\n", k.caps.get(k.slot_of(id, slot(n)).unwrap()));
            }
        }
        let mut ready = k.ready.clone();
        out += &format!("ready {:?}\n", core::iter::from_fn(|| ready.pop_highest()).collect::<Vec<_>>());
        for (id, e) in k.endpoints.iter() {
            let senders: Vec<u16> = e.senders.iter(&k.waiting).collect();
            let receivers: Vec<u16> = e.receivers.iter(&k.waiting).collect();
            out += &format!("{id:?} {e:?} senders {senders:?} receivers {receivers:?}\n");
        }
        for (id, n) in k.notifications.iter() {
            out += &format!("{id:?} {n:?} waiters {:?}\n", n.waiters.iter(&k.waiting).collect::<Vec<_>>());
        }
        for (id, m) in k.memories.iter() {
            out += &format!("{id:?} {m:?}\n");
        }
        let m = &self.mock;
        out += &format!("results {:?}\n", m.results.iter().collect::<BTreeMap<_, _>>());
        out += &format!("values {:?}\n", m.values.iter().collect::<BTreeMap<_, _>>());
        out += &format!("buffers {:?}\n", m.ipc.iter().collect::<BTreeMap<_, _>>());
        out += &format!("asts {:?} returns {:?}\n", m.asts, m.ast_returns);
        out
    }
}

fn msg() -> impl Strategy<Value = Msg> {
    // Mostly register-only messages, so that the fastpath's other preconditions decide.
    let length = prop_oneof![8 => 0u8..=4, 1 => 5u8..=7];
    let caps = prop_oneof![8 => Just(0u8), 1 => Just(1u8)];
    (0u64..6, length, caps).prop_map(|(label, length, caps)| Msg { label, length, caps })
}

fn endpoint() -> impl Strategy<Value = u64> {
    prop_oneof![12 => Just(SHARED), 6 => Just(BADGED), 1 => Just(OWN_NOTIFICATION), 1 => Just(LANDING)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (endpoint(), msg()).prop_map(|(endpoint, msg)| Op::Call { endpoint, msg }),
        10 => (endpoint(), msg()).prop_map(|(endpoint, msg)| Op::ReplyRecv { endpoint, msg }),
        6 => (endpoint(), prop_oneof![4 => Just(true), 1 => Just(false)])
            .prop_map(|(endpoint, blocking)| Op::Recv { endpoint, blocking }),
        2 => (endpoint(), msg(), any::<bool>())
            .prop_map(|(endpoint, msg, blocking)| Op::Send { endpoint, msg, blocking }),
        2 => msg().prop_map(|msg| Op::Reply { msg }),
        2 => prop_oneof![Just(OWN_NOTIFICATION), Just(NEXT_NOTIFICATION)].prop_map(|slot| Op::Signal { slot }),
        1 => Just(Op::Suspend),
        2 => Just(Op::Resume),
        1 => prop_oneof![Just(BADGED), Just(SHARED), Just(LANDING)].prop_map(|slot| Op::Delete { slot }),
        1 => Just(Op::Revoke { slot: BADGED }),
        1 => any::<bool>().prop_map(|masked| Op::AstMask { masked }),
        1 => Just(Op::AstReturn),
        1 => Just(Op::Yield),
        2 => Just(Op::Tick),
    ]
}

fn thread_spec() -> impl Strategy<Value = ThreadSpec> {
    let rights = prop_oneof![
        4 => Just(Rights::of(ObjectKind::Endpoint)),
        1 => Just(Rights::of(ObjectKind::Endpoint) - Rights::WRITE),
        1 => Just(Rights::of(ObjectKind::Endpoint) - Rights::READ),
        1 => Just(Rights::of(ObjectKind::Endpoint) - Rights::GRANT_REPLY),
        1 => Just(Rights::of(ObjectKind::Endpoint) - Rights::GRANT),
    ];
    let binding =
        prop_oneof![4 => Just(None), 1 => Just(Some(BindMode::Receive)), 1 => Just(Some(BindMode::Ast))];
    (1u8..=3, rights, binding).prop_map(|(priority, badged_rights, binding)| ThreadSpec {
        priority,
        badged_rights,
        binding,
    })
}

/// Runs `ops` in a world with the fastpath and in one without; returns how many system calls
/// took the fastpath, or where the two worlds first differ.
fn run_both(specs: &[ThreadSpec], ops: &[Op]) -> Result<u64, String> {
    let (mut fast, mut general) = (World::new(specs, true), World::new(specs, false));
    let (mut a, mut b) = (fast.kernel.schedule(), general.kernel.schedule());
    let taken_before = FASTPATH_TAKEN.with(|n| n.get());
    for (step, &op) in ops.iter().enumerate() {
        if a.is_none() && b.is_none() {
            break;
        }
        (a, b) = (fast.step(op), general.step(op));
        let (x, y) = (fast.snapshot(), general.snapshot());
        if a != b || x != y {
            let diff: Vec<String> = x
                .lines()
                .zip(y.lines())
                .filter(|(p, q)| p != q)
                .map(|(p, q)| format!("fastpath: {p}\ngeneral:  {q}"))
                .collect();
            return Err(format!("step {step} ({op:?}): next {a:?} / {b:?}\n{}", diff.join("\n")));
        }
        fast.kernel.check_invariants().map_err(|e| format!("step {step}: {e}"))?;
    }
    Ok(FASTPATH_TAKEN.with(|n| n.get()) - taken_before)
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::with_cases(10_000)
    })]

    /// Random kernels and call/reply_recv sequences end in identical states, registers,
    /// results and counters through both paths.
    #[test]
    fn fastpath_matches_general_path(specs in vec(thread_spec(), 2..=4), ops in vec(op(), 4..=30)) {
        run_both(&specs, &ops).map_err(TestCaseError::fail)?;
    }
}

/// Enough of the generated cases reach the fastpath for the comparison to mean something.
#[test]
fn generated_cases_take_the_fastpath() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut taken = 0;
    for _ in 0..300 {
        let ops = vec(op(), 4..=30).new_tree(&mut runner).unwrap().current();
        taken += run_both(&[spec(1), spec(2), spec(3)], &ops).unwrap();
    }
    assert!(taken >= 100, "only {taken} fastpath calls in 300 cases");
}

// ---------------------------------------------------------------------------------------------
// fastpath_falls_back: each precondition failing on its own
// ---------------------------------------------------------------------------------------------

/// A server (priority 2) waiting in `recv` on SHARED, and a client (priority 1) on the CPU:
/// the client's call qualifies for the fastpath unless the test spoils one precondition.
fn server_waiting(specs: [ThreadSpec; 2]) -> World {
    let mut world = World::new(&specs, true);
    // Thread 1 (the server) is more urgent: it runs first.
    assert_eq!(world.kernel.schedule(), Some(world.ids[1]));
    world.mock.call(&mut world.kernel, Syscall::Recv { endpoint: slot(SHARED), blocking: true });
    assert_eq!(world.kernel.schedule(), Some(world.ids[0]));
    world
}

fn spec(priority: u8) -> ThreadSpec {
    ThreadSpec { priority, badged_rights: Rights::of(ObjectKind::Endpoint), binding: None }
}

fn register_msg(length: u8) -> Msg {
    Msg { label: 9, length, caps: 0 }
}

/// Makes `op` in `world` and says whether it took the fastpath.
fn took_fastpath(world: &mut World, op: Op) -> bool {
    let before = FASTPATH_TAKEN.with(|n| n.get());
    world.step(op);
    FASTPATH_TAKEN.with(|n| n.get()) > before
}

#[test]
fn fastpath_falls_back() {
    let call = |msg| Op::Call { endpoint: SHARED, msg };

    // The baseline: everything holds, the call takes the fastpath and the server runs.
    let mut w = server_waiting([spec(1), spec(2)]);
    assert!(took_fastpath(&mut w, call(register_msg(4))));
    assert_eq!(w.kernel.current, Some(w.ids[1]));
    assert_eq!(w.mock.values[&w.ids[1].index()][1], MessageInfo::new(9, 4).encode());
    // ... and the answer comes back on the fastpath too.
    assert!(took_fastpath(&mut w, Op::ReplyRecv { endpoint: SHARED, msg: register_msg(2) }));
    assert_eq!(w.kernel.current, Some(w.ids[0]));
    assert_eq!(w.mock.values[&w.ids[0].index()][..3], [0, MessageInfo::new(9, 2).encode(), 90]);

    // Capabilities in the message: the general path transfers one.
    let mut w = server_waiting([spec(1), spec(2)]);
    assert!(!took_fastpath(&mut w, call(Msg { label: 9, length: 0, caps: 1 })));
    assert_eq!(w.mock.values[&w.ids[1].index()][1], MessageInfo { label: 9, length: 0, caps: 1 }.encode());

    // Five or more words: the general path copies the fifth through the IPC buffer.
    let mut w = server_waiting([spec(1), spec(2)]);
    assert!(!took_fastpath(&mut w, call(register_msg(5))));
    assert_eq!(w.mock.buffer(w.ids[1])[4], 4, "word 4 of the client's buffer arrived");

    // No partner waiting: the caller queues.
    let mut w = World::new(&[spec(2), spec(1)], true);
    assert_eq!(w.kernel.schedule(), Some(w.ids[0]));
    assert!(!took_fastpath(&mut w, call(register_msg(1))));
    assert!(matches!(w.kernel.threads.get(w.ids[0]).unwrap().state, ThreadState::Sending { .. }));

    // A partner less urgent than a ready thread: the general path queues it, and the ready
    // thread runs. Thread 1 (3) and thread 2 (2) wait on their notifications while thread 0
    // (1) waits in `recv`; then both notifications are signalled.
    let mut w = World::new(&[spec(1), spec(3), spec(2)], true);
    let wait = Syscall::Wait { notification: slot(OWN_NOTIFICATION), blocking: true };
    for t in [1, 2] {
        assert_eq!(w.kernel.schedule(), Some(w.ids[t]));
        w.mock.call(&mut w.kernel, wait);
    }
    assert_eq!(w.kernel.schedule(), Some(w.ids[0]));
    w.mock.call(&mut w.kernel, Syscall::Recv { endpoint: slot(SHARED), blocking: true });
    assert_eq!(w.kernel.schedule(), None);
    for t in [2, 1] {
        let at = w.kernel.slot_of(w.ids[t], slot(OWN_NOTIFICATION)).unwrap();
        let crate::cspace::Object::Notification(id) = w.kernel.caps.get(at).unwrap().object else { panic!() };
        w.kernel.notify(&mut w.mock, id, 1);
    }
    assert_eq!(w.kernel.schedule(), Some(w.ids[1]));
    let before = FASTPATH_TAKEN.with(|n| n.get());
    assert_eq!(w.step(call(register_msg(1))), Some(w.ids[2]), "the ready thread runs before the server");
    assert_eq!(FASTPATH_TAKEN.with(|n| n.get()), before);
    assert_eq!(w.kernel.threads.get(w.ids[0]).unwrap().state, ThreadState::Ready);

    // A pending bound notification on the server: reply_recv returns the signal instead.
    let mut server = spec(2);
    server.binding = Some(BindMode::Receive);
    let mut w = server_waiting([spec(1), server]);
    assert!(took_fastpath(&mut w, call(register_msg(1))));
    w.mock.call(&mut w.kernel, Syscall::Signal { notification: slot(OWN_NOTIFICATION) });
    assert!(!took_fastpath(&mut w, Op::ReplyRecv { endpoint: SHARED, msg: register_msg(1) }));
    assert_eq!(w.mock.values[&w.ids[1].index()][1], crate::abi::NOTIFICATION_INFO);

    // An AST due: a server bound in AST mode goes through the general path.
    let mut server = spec(2);
    server.binding = Some(BindMode::Ast);
    let mut w = server_waiting([spec(1), server]);
    assert!(!took_fastpath(&mut w, call(register_msg(1))));
    assert_eq!(w.kernel.current, Some(w.ids[1]));

    // Missing rights: the client's badged copy lacks Write. Thread 0 (the server, 2) holds
    // the original and waits on it; thread 1 (the client, 1) calls through its copy.
    let mut client = spec(1);
    client.badged_rights = Rights::of(ObjectKind::Endpoint) - Rights::WRITE;
    let mut w = World::new(&[spec(2), client], true);
    assert_eq!(w.kernel.schedule(), Some(w.ids[0]));
    w.mock.call(&mut w.kernel, Syscall::Recv { endpoint: slot(BADGED), blocking: true });
    assert_eq!(w.kernel.schedule(), Some(w.ids[1]));
    assert!(!took_fastpath(&mut w, Op::Call { endpoint: BADGED, msg: register_msg(1) }));
    assert_eq!(w.mock.results[&w.ids[1].index()], Err(Error::MissingRights));

    // With Write the same call takes the fastpath, and the server sees the badge.
    let mut w = World::new(&[spec(2), spec(1)], true);
    assert_eq!(w.kernel.schedule(), Some(w.ids[0]));
    w.mock.call(&mut w.kernel, Syscall::Recv { endpoint: slot(BADGED), blocking: true });
    assert_eq!(w.kernel.schedule(), Some(w.ids[1]));
    assert!(took_fastpath(&mut w, Op::Call { endpoint: BADGED, msg: register_msg(1) }));
    assert_eq!(w.mock.values[&w.ids[0].index()][0], 1, "badge 1");

    // A badged capability whose badge was revoked: the client's slot is empty.
    let mut w = World::new(&[spec(2), spec(1)], true);
    assert_eq!(w.kernel.schedule(), Some(w.ids[0]));
    w.mock.call(&mut w.kernel, Syscall::Recv { endpoint: slot(BADGED), blocking: true });
    assert_eq!(w.kernel.schedule(), Some(w.ids[1]));
    let original = w.kernel.slot_of(w.ids[0], slot(BADGED)).unwrap();
    w.kernel.revoke(&mut w.mock, original).unwrap();
    assert!(!took_fastpath(&mut w, Op::Call { endpoint: BADGED, msg: register_msg(1) }));
    assert_eq!(w.mock.results[&w.ids[1].index()], Err(Error::EmptySlot));
}
