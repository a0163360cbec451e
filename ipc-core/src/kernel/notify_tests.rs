//! Notifications and ASTs on the mock machine: signal and wait in both orders, coalescing,
//! poll, rights, bound notifications ending a `recv`, and AST delivery, masking, return and
//! the cancelled system call it makes again.

use crate::abi::{
    BindMode, BootInfo, Error, Message, MessageInfo, ObjectKind, Rights, SendKind, Slot, Syscall,
    SyscallNumber, NOTIFICATION_COST, NOTIFICATION_INFO,
};
use crate::machine::Interrupted;
use crate::mock::Mock;
use crate::thread::{AstHandler, ThreadState};
use crate::{Kernel, ThreadId};

const MEMORY: u64 = BootInfo::MEMORY_SLOT;
const EP: u64 = 2;
const NTFN: u64 = 3;
const SELF: u64 = BootInfo::THREAD_SLOT;
const HANDLER: AstHandler = AstHandler { entry: 0x40_2000, stack: 0x7000_0000 };

fn slot(n: u64) -> Slot {
    Slot::new(n).unwrap()
}

/// Threads (name, priority), each with the same boot Memory in slot 1, one endpoint in slot 2,
/// one notification in slot 3 (every right, unbadged) and a Thread capability to itself.
fn world(threads: &[(&str, u8)]) -> (Box<Kernel>, Mock, Vec<ThreadId>) {
    let mut kernel = Box::new(Kernel::new());
    let ids: Vec<ThreadId> = threads.iter().map(|&(name, p)| kernel.spawn(name, p).unwrap()).collect();
    let first = |kernel: &Kernel, n| kernel.slot_of(ids[0], slot(n)).unwrap();
    kernel.boot_memory(first(&kernel, MEMORY), 1 << 16).unwrap();
    let mut mock = Mock::default();
    for (kind, n) in [(ObjectKind::Endpoint, EP), (ObjectKind::Notification, NTFN)] {
        kernel.create(&mut mock, first(&kernel, MEMORY), kind, first(&kernel, n), 0).unwrap();
    }
    for &id in &ids {
        if id != ids[0] {
            for n in [MEMORY, EP, NTFN] {
                let to = kernel.slot_of(id, slot(n)).unwrap();
                kernel.mint(first(&kernel, n), to, None, 0).unwrap();
            }
        }
        kernel.give_thread_cap(id, kernel.slot_of(id, slot(SELF)).unwrap()).unwrap();
    }
    kernel.check_invariants().unwrap();
    (kernel, mock, ids)
}

/// Makes `call` as the running thread, which must be `who`; returns its result.
fn call(k: &mut Kernel, m: &mut Mock, who: ThreadId, call: Syscall) -> Option<Result<u64, Error>> {
    assert_eq!(k.current(), Some(who), "{call:?} is made by the running thread");
    m.call(k, call);
    k.check_invariants().unwrap();
    m.results.get(&who.index()).copied()
}

fn runs(k: &mut Kernel, expected: ThreadId) {
    assert_eq!(k.schedule(), Some(expected));
}

/// The running thread `from` yields and `to` runs.
fn yield_to(k: &mut Kernel, m: &mut Mock, from: ThreadId, to: ThreadId) {
    call(k, m, from, Syscall::Yield);
    runs(k, to);
}

fn signal(n: u64) -> Syscall {
    Syscall::Signal { notification: slot(n) }
}

fn wait(n: u64) -> Syscall {
    Syscall::Wait { notification: slot(n), blocking: true }
}

fn poll(n: u64) -> Syscall {
    Syscall::Wait { notification: slot(n), blocking: false }
}

fn mint(k: &mut Kernel, who: ThreadId, from: u64, to: u64, rights: Rights, badge: u64) {
    let (from, to) = (k.slot_of(who, slot(from)).unwrap(), k.slot_of(who, slot(to)).unwrap());
    k.mint(from, to, Some(rights), badge).unwrap();
}

#[test]
fn signal_then_wait_returns_at_once_and_clears() {
    let (mut k, mut m, t) = world(&[("a", 5)]);
    runs(&mut k, t[0]);
    mint(&mut k, t[0], NTFN, 10, Rights::WRITE, 0b100);
    assert_eq!(call(&mut k, &mut m, t[0], signal(10)), Some(Ok(0)));
    assert_eq!(call(&mut k, &mut m, t[0], wait(NTFN)), Some(Ok(0b100)));
    assert_eq!(call(&mut k, &mut m, t[0], poll(NTFN)), Some(Ok(0)), "taken: nothing is left");
    assert_eq!(call(&mut k, &mut m, t[0], signal(NTFN)), Some(Ok(0)));
    assert_eq!(call(&mut k, &mut m, t[0], poll(NTFN)), Some(Ok(1)), "an unbadged capability signals bit 0");
}

#[test]
fn wait_blocks_until_a_signal_from_another_thread() {
    let (mut k, mut m, t) = world(&[("waiter", 5), ("signaller", 5)]);
    runs(&mut k, t[0]);
    assert_eq!(call(&mut k, &mut m, t[0], wait(NTFN)), None, "blocked");
    assert!(matches!(k.thread(t[0]).unwrap().state, ThreadState::Waiting { .. }));
    runs(&mut k, t[1]);
    mint(&mut k, t[1], NTFN, 10, Rights::WRITE, 0x40);
    assert_eq!(call(&mut k, &mut m, t[1], signal(10)), Some(Ok(0)), "signal never blocks");
    assert_eq!(m.results[&t[0].index()], Ok(0x40));
    assert_eq!(k.thread(t[0]).unwrap().state, ThreadState::Ready);
}

#[test]
fn signals_coalesce_into_one_word() {
    let (mut k, mut m, t) = world(&[("a", 5)]);
    runs(&mut k, t[0]);
    for (n, badge) in [(10, 0b0001), (11, 0b0010), (12, 0b1000)] {
        mint(&mut k, t[0], NTFN, n, Rights::WRITE, badge);
        call(&mut k, &mut m, t[0], signal(n));
        call(&mut k, &mut m, t[0], signal(n));
    }
    assert_eq!(call(&mut k, &mut m, t[0], wait(NTFN)), Some(Ok(0b1011)));
}

#[test]
fn rights_and_types_are_checked() {
    let (mut k, mut m, t) = world(&[("a", 5)]);
    runs(&mut k, t[0]);
    mint(&mut k, t[0], NTFN, 10, Rights::READ, 0);
    mint(&mut k, t[0], NTFN, 11, Rights::WRITE, 0);
    assert_eq!(call(&mut k, &mut m, t[0], signal(10)), Some(Err(Error::MissingRights)));
    assert_eq!(call(&mut k, &mut m, t[0], wait(11)), Some(Err(Error::MissingRights)));
    assert_eq!(call(&mut k, &mut m, t[0], poll(11)), Some(Err(Error::MissingRights)));
    assert_eq!(call(&mut k, &mut m, t[0], signal(EP)), Some(Err(Error::WrongType)));
    assert_eq!(call(&mut k, &mut m, t[0], wait(20)), Some(Err(Error::EmptySlot)));
    let recv = Syscall::Recv { endpoint: slot(NTFN), blocking: true };
    assert_eq!(call(&mut k, &mut m, t[0], recv), Some(Err(Error::WrongType)));
}

#[test]
fn deleting_the_last_capability_wakes_waiters_and_refunds() {
    let (mut k, mut m, t) = world(&[("waiter", 5), ("owner", 5)]);
    runs(&mut k, t[0]);
    let memory = Syscall::MemoryInfo { memory: slot(MEMORY) };
    let used = |k: &mut Kernel, m: &mut Mock, who| {
        call(k, m, who, memory);
        m.values[&who.index()][1]
    };
    let before = used(&mut k, &mut m, t[0]);
    call(&mut k, &mut m, t[0], wait(NTFN));
    runs(&mut k, t[1]);
    call(&mut k, &mut m, t[1], Syscall::CapDelete { slot: slot(NTFN).into() });
    assert!(matches!(k.thread(t[0]).unwrap().state, ThreadState::Waiting { .. }), "a capability is left");
    let last = k.slot_of(t[0], slot(NTFN)).unwrap();
    k.delete(&mut m, last).unwrap();
    assert_eq!(m.results[&t[0].index()], Err(Error::PeerGone));
    assert_eq!(used(&mut k, &mut m, t[1]), before - NOTIFICATION_COST);
    assert_eq!(k.stats().notifications, 0);
}

#[test]
fn bound_notification_ends_recv_and_is_told_apart() {
    let (mut k, mut m, t) = world(&[("server", 5), ("signaller", 5)]);
    runs(&mut k, t[0]);
    let bind =
        Syscall::NotificationBind { thread: slot(SELF), notification: slot(NTFN), mode: BindMode::Receive };
    assert_eq!(call(&mut k, &mut m, t[0], bind), Some(Ok(0)));
    assert_eq!(call(&mut k, &mut m, t[0], bind), Some(Err(Error::AlreadyBound)));
    let recv = Syscall::Recv { endpoint: slot(EP), blocking: true };
    assert_eq!(call(&mut k, &mut m, t[0], recv), None, "blocked on the endpoint");
    runs(&mut k, t[1]);
    mint(&mut k, t[1], NTFN, 10, Rights::WRITE, 0x7);
    call(&mut k, &mut m, t[1], signal(10));
    assert_eq!(m.values[&t[0].index()], [0x7, NOTIFICATION_INFO, 0, 0, 0, 0]);
    assert_eq!(k.thread(t[0]).unwrap().state, ThreadState::Ready);
    // Bits pending when it receives come back at once, even from nb_recv; a message then
    // still arrives as a message.
    call(&mut k, &mut m, t[1], signal(10));
    let message = Message { info: MessageInfo::new(9, 1), words: [5, 0, 0, 0] };
    let send = Syscall::Send { endpoint: slot(EP), message, kind: SendKind::Send };
    assert_eq!(call(&mut k, &mut m, t[1], send), None, "the server is not receiving");
    runs(&mut k, t[0]);
    let nb_recv = Syscall::Recv { endpoint: slot(EP), blocking: false };
    call(&mut k, &mut m, t[0], nb_recv);
    assert_eq!(m.values[&t[0].index()], [0x7, NOTIFICATION_INFO, 0, 0, 0, 0]);
    call(&mut k, &mut m, t[0], recv);
    assert_eq!(m.values[&t[0].index()][..3], [0, MessageInfo::new(9, 1).encode(), 5]);
    let unbind = Syscall::NotificationUnbind { thread: slot(SELF) };
    assert_eq!(call(&mut k, &mut m, t[0], unbind), Some(Ok(0)));
    assert_eq!(call(&mut k, &mut m, t[0], unbind), Some(Err(Error::InvalidState)));
}

#[test]
fn one_binding_per_thread_and_per_notification() {
    let (mut k, mut m, t) = world(&[("a", 5), ("b", 5)]);
    runs(&mut k, t[0]);
    let ast = Syscall::NotificationBind { thread: slot(SELF), notification: slot(NTFN), mode: BindMode::Ast };
    assert_eq!(call(&mut k, &mut m, t[0], ast), Some(Err(Error::InvalidState)), "no handler yet");
    let receive =
        Syscall::NotificationBind { thread: slot(SELF), notification: slot(NTFN), mode: BindMode::Receive };
    assert_eq!(call(&mut k, &mut m, t[0], receive), Some(Ok(0)));
    yield_to(&mut k, &mut m, t[0], t[1]);
    assert_eq!(call(&mut k, &mut m, t[1], receive), Some(Err(Error::AlreadyBound)), "bound to a already");
    let create = Syscall::Create {
        memory: slot(MEMORY),
        kind: ObjectKind::Notification,
        dest: slot(20).into(),
        budget: 0,
    };
    call(&mut k, &mut m, t[1], create);
    mint(&mut k, t[1], 20, 21, Rights::WRITE, 0);
    let write_only =
        Syscall::NotificationBind { thread: slot(SELF), notification: slot(21), mode: BindMode::Receive };
    assert_eq!(call(&mut k, &mut m, t[1], write_only), Some(Err(Error::MissingRights)), "binding receives");
}

/// Thread 0 with an AST handler and its notification bound in AST mode, running.
fn ast_world() -> (Box<Kernel>, Mock, Vec<ThreadId>) {
    let (mut k, mut m, t) = world(&[("target", 5), ("signaller", 5)]);
    runs(&mut k, t[0]);
    let handler = Syscall::AstSetHandler { thread: slot(SELF), entry: HANDLER.entry, stack: HANDLER.stack };
    assert_eq!(call(&mut k, &mut m, t[0], handler), Some(Ok(0)));
    let bind =
        Syscall::NotificationBind { thread: slot(SELF), notification: slot(NTFN), mode: BindMode::Ast };
    assert_eq!(call(&mut k, &mut m, t[0], bind), Some(Ok(0)));
    (k, m, t)
}

#[test]
fn ast_cancels_a_blocked_recv_to_make_it_again() {
    let (mut k, mut m, t) = ast_world();
    let recv = Syscall::Recv { endpoint: slot(EP), blocking: true };
    assert_eq!(call(&mut k, &mut m, t[0], recv), None);
    runs(&mut k, t[1]);
    mint(&mut k, t[1], NTFN, 10, Rights::WRITE, 0x30);
    call(&mut k, &mut m, t[1], signal(10));
    let again = Interrupted::Blocked { number: SyscallNumber::Recv, arg0: None };
    assert_eq!(m.asts, [(t[0], HANDLER, 0x30, again)]);
    assert_eq!(k.thread(t[0]).unwrap().state, ThreadState::Ready, "out of the endpoint's queue");
    // A second signal while the handler runs waits for ast_return.
    mint(&mut k, t[1], NTFN, 11, Rights::WRITE, 0x01);
    call(&mut k, &mut m, t[1], signal(11));
    assert_eq!(m.asts.len(), 1, "ASTs do not nest");
    yield_to(&mut k, &mut m, t[1], t[0]);
    assert_eq!(call(&mut k, &mut m, t[0], Syscall::AstReturn), None, "no result: the context is restored");
    assert_eq!(m.ast_returns, [t[0]]);
    assert_eq!(m.asts[1], (t[0], HANDLER, 0x01, Interrupted::Running), "the pending one at once");
    assert_eq!(call(&mut k, &mut m, t[0], Syscall::AstReturn), None);
    assert_eq!(
        call(&mut k, &mut m, t[0], Syscall::AstReturn),
        Some(Err(Error::InvalidState)),
        "not in a handler"
    );
}

#[test]
fn ast_to_a_ready_thread_and_to_a_sleeper() {
    let (mut k, mut m, t) = ast_world();
    yield_to(&mut k, &mut m, t[0], t[1]);
    call(&mut k, &mut m, t[1], signal(NTFN));
    assert_eq!(m.asts, [(t[0], HANDLER, 1, Interrupted::Running)], "ready: its context as it is");
    yield_to(&mut k, &mut m, t[1], t[0]);
    call(&mut k, &mut m, t[0], Syscall::AstReturn);
    assert_eq!(call(&mut k, &mut m, t[0], Syscall::Sleep { ticks: 10 }), None);
    k.tick(&mut m);
    k.tick(&mut m);
    runs(&mut k, t[1]);
    call(&mut k, &mut m, t[1], signal(NTFN));
    let again = Interrupted::Blocked { number: SyscallNumber::Sleep, arg0: Some(8) };
    assert_eq!(m.asts[1], (t[0], HANDLER, 1, again), "it sleeps what is left of its time");
}

#[test]
fn masked_asts_stay_pending_until_unmasked() {
    let (mut k, mut m, t) = ast_world();
    assert_eq!(call(&mut k, &mut m, t[0], Syscall::AstMask { masked: true }), Some(Ok(0)));
    call(&mut k, &mut m, t[0], signal(NTFN));
    let recv = Syscall::Recv { endpoint: slot(EP), blocking: true };
    call(&mut k, &mut m, t[0], recv);
    runs(&mut k, t[1]);
    call(&mut k, &mut m, t[1], signal(NTFN));
    assert!(m.asts.is_empty(), "masked: nothing delivered, the recv still blocks");
    assert!(matches!(k.thread(t[0]).unwrap().state, ThreadState::Receiving { .. }));
    let message = Message { info: MessageInfo::new(1, 0), words: [0; 4] };
    call(&mut k, &mut m, t[1], Syscall::Send { endpoint: slot(EP), message, kind: SendKind::Send });
    yield_to(&mut k, &mut m, t[1], t[0]);
    assert_eq!(call(&mut k, &mut m, t[0], Syscall::AstMask { masked: false }), Some(Ok(1)), "it was masked");
    assert_eq!(m.asts, [(t[0], HANDLER, 1, Interrupted::Running)], "delivered as the call returns");
}

#[test]
fn a_thread_awaiting_a_reply_takes_its_ast_when_the_reply_comes() {
    let (mut k, mut m, t) = world(&[("client", 5), ("server", 5)]);
    runs(&mut k, t[0]);
    let handler = Syscall::AstSetHandler { thread: slot(SELF), entry: HANDLER.entry, stack: HANDLER.stack };
    call(&mut k, &mut m, t[0], handler);
    let bind =
        Syscall::NotificationBind { thread: slot(SELF), notification: slot(NTFN), mode: BindMode::Ast };
    call(&mut k, &mut m, t[0], bind);
    let message = Message { info: MessageInfo::new(1, 0), words: [0; 4] };
    call(&mut k, &mut m, t[0], Syscall::Send { endpoint: slot(EP), message, kind: SendKind::Call });
    runs(&mut k, t[1]);
    call(&mut k, &mut m, t[1], Syscall::Recv { endpoint: slot(EP), blocking: true });
    assert_eq!(k.thread(t[0]).unwrap().state, ThreadState::AwaitingReply);
    call(&mut k, &mut m, t[1], signal(NTFN));
    assert!(m.asts.is_empty(), "its call was taken: it cannot be made again");
    call(&mut k, &mut m, t[1], Syscall::Reply { message });
    assert_eq!(m.asts, [(t[0], HANDLER, 1, Interrupted::Running)], "with the reply in its context");
}

#[test]
fn a_thread_destroyed_while_bound_and_waiting_leaves_nothing_behind() {
    let (mut k, mut m, t) = world(&[("a", 5), ("b", 5)]);
    runs(&mut k, t[0]);
    let bind =
        Syscall::NotificationBind { thread: slot(SELF), notification: slot(NTFN), mode: BindMode::Receive };
    call(&mut k, &mut m, t[0], bind);
    call(&mut k, &mut m, t[0], wait(NTFN));
    runs(&mut k, t[1]);
    let other = k.slot_of(t[0], slot(SELF)).unwrap();
    let mine = k.slot_of(t[1], slot(31)).unwrap();
    k.mint(other, mine, None, 0).unwrap();
    call(&mut k, &mut m, t[1], Syscall::ThreadDestroy { thread: slot(31) });
    assert!(k.thread(t[0]).is_none());
    let rebind =
        Syscall::NotificationBind { thread: slot(SELF), notification: slot(NTFN), mode: BindMode::Receive };
    assert_eq!(call(&mut k, &mut m, t[1], rebind), Some(Ok(0)), "the notification is free again");
}

#[test]
fn exit_notification_tells_the_parent_however_the_child_ends() {
    let (mut k, mut m, t) = world(&[("parent", 5), ("exits", 3), ("destroyed", 3)]);
    runs(&mut k, t[0]);
    for (child, at, badge) in [(t[1], 20, 0b01), (t[2], 21, 0b10)] {
        k.give_thread_cap(child, k.slot_of(t[0], slot(at)).unwrap()).unwrap();
        mint(&mut k, t[0], NTFN, at + 10, Rights::WRITE, badge);
        let notify = Syscall::ThreadNotifyExit { thread: slot(at), notification: slot(at + 10) };
        assert_eq!(call(&mut k, &mut m, t[0], notify), Some(Ok(0)));
    }
    let no_rights = Syscall::ThreadNotifyExit { thread: slot(20), notification: slot(NTFN + 100) };
    assert_eq!(call(&mut k, &mut m, t[0], no_rights), Some(Err(Error::EmptySlot)));
    mint(&mut k, t[0], NTFN, 40, Rights::READ, 0);
    let read_only = Syscall::ThreadNotifyExit { thread: slot(20), notification: slot(40) };
    assert_eq!(call(&mut k, &mut m, t[0], read_only), Some(Err(Error::MissingRights)));
    let not_a_thread = Syscall::ThreadNotifyExit { thread: slot(EP), notification: slot(NTFN) };
    assert_eq!(call(&mut k, &mut m, t[0], not_a_thread), Some(Err(Error::WrongType)));

    assert_eq!(call(&mut k, &mut m, t[0], wait(NTFN)), None, "blocked until a child ends");
    runs(&mut k, t[1]);
    call(&mut k, &mut m, t[1], Syscall::Exit { status: 0 });
    assert_eq!(m.results[&t[0].index()], Ok(0b01), "the exit signalled with its capability's badge");
    runs(&mut k, t[0]);
    assert_eq!(call(&mut k, &mut m, t[0], Syscall::ThreadDestroy { thread: slot(21) }), Some(Ok(0)));
    assert_eq!(call(&mut k, &mut m, t[0], poll(NTFN)), Some(Ok(0b10)), "destroying it signals too");
}

#[test]
fn an_exit_notification_deleted_first_is_not_signalled() {
    let (mut k, mut m, t) = world(&[("parent", 5), ("child", 5)]);
    runs(&mut k, t[0]);
    k.give_thread_cap(t[1], k.slot_of(t[0], slot(20)).unwrap()).unwrap();
    let notify = Syscall::ThreadNotifyExit { thread: slot(20), notification: slot(NTFN) };
    assert_eq!(call(&mut k, &mut m, t[0], notify), Some(Ok(0)));
    // Every capability to the notification goes: it is destroyed before the child ends.
    assert_eq!(call(&mut k, &mut m, t[0], Syscall::CapDelete { slot: slot(NTFN).into() }), Some(Ok(0)));
    yield_to(&mut k, &mut m, t[0], t[1]);
    assert_eq!(call(&mut k, &mut m, t[1], Syscall::CapDelete { slot: slot(NTFN).into() }), Some(Ok(0)));
    assert_eq!(k.stats().notifications, 0);
    call(&mut k, &mut m, t[1], Syscall::Exit { status: 0 });
    assert!(k.thread(t[1]).is_none());
    k.check_invariants().unwrap();
}
