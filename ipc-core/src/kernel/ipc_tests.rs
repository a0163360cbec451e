//! IPC and capability scenarios on the mock machine: each one a small story with an exact
//! expected outcome.

use crate::abi::{
    BootInfo, Error, IpcBuffer, Message, MessageInfo, ObjectKind, Rights, SendKind, Slot, Syscall,
    ThreadRunState, ENDPOINT_COST,
};
use crate::mock::Mock;
use crate::thread::ThreadState;
use crate::{Kernel, ThreadId};

const MEMORY: u64 = BootInfo::MEMORY_SLOT;
const EP: u64 = 2;

fn slot(n: u64) -> Slot {
    Slot::new(n).unwrap()
}

/// Threads (name, priority), a boot Memory capability of `budget` in every thread's slot 1
/// (one object, copied) and one endpoint with every right in every thread's slot 2.
fn world(threads: &[(&str, u8)], budget: u64) -> (Box<Kernel>, Mock, Vec<ThreadId>) {
    let mut kernel = Box::new(Kernel::new());
    let ids: Vec<ThreadId> = threads.iter().map(|&(name, p)| kernel.spawn(name, p).unwrap()).collect();
    let first = |kernel: &Kernel, n| kernel.slot_of(ids[0], slot(n)).unwrap();
    let (memory, endpoint) = (first(&kernel, MEMORY), first(&kernel, EP));
    kernel.boot_memory(memory, budget).unwrap();
    let mut mock = Mock::default();
    kernel.create(&mut mock, memory, ObjectKind::Endpoint, endpoint, 0).unwrap();
    for &id in &ids[1..] {
        for n in [MEMORY, EP] {
            let to = kernel.slot_of(id, slot(n)).unwrap();
            kernel.mint(first(&kernel, n), to, None, 0).unwrap();
        }
    }
    kernel.check_invariants().unwrap();
    (kernel, mock, ids)
}

fn msg(label: u64, words: [u64; 4]) -> Message {
    Message { info: MessageInfo::new(label, 4), words }
}

fn send(kind: SendKind, ep: u64, message: Message) -> Syscall {
    Syscall::Send { endpoint: slot(ep), message, kind }
}

fn recv(ep: u64) -> Syscall {
    Syscall::Recv { endpoint: slot(ep), blocking: true }
}

/// Runs the scheduler and checks who runs.
fn runs(kernel: &mut Kernel, expected: ThreadId) {
    assert_eq!(kernel.schedule(), Some(expected));
}

#[test]
fn call_then_reply_delivers_both_ways() {
    let (mut k, mut m, t) = world(&[("server", 5), ("client", 5)], 4096);
    let (server, client) = (t[0], t[1]);
    runs(&mut k, server);
    m.call(&mut k, recv(EP));
    runs(&mut k, client);
    m.call(&mut k, send(SendKind::Call, EP, msg(7, [1, 2, 3, 4])));
    assert_eq!(m.values[&server.index()], [0, MessageInfo::new(7, 4).encode(), 1, 2, 3, 4]);
    runs(&mut k, server);
    m.call(&mut k, Syscall::Reply { message: msg(8, [5, 6, 7, 8]) });
    assert_eq!(m.results[&server.index()], Ok(0));
    assert_eq!(m.values[&client.index()], [0, MessageInfo::new(8, 4).encode(), 5, 6, 7, 8]);
    m.call(&mut k, Syscall::Reply { message: msg(8, [0; 4]) });
    assert_eq!(m.results[&server.index()], Err(Error::NoReply), "the reply right is one-shot");
    k.check_invariants().unwrap();
}

#[test]
fn senders_are_served_by_priority_then_arrival() {
    let (mut k, mut m, t) = world(&[("a", 3), ("b", 3), ("c", 3), ("server", 1)], 4096);
    for (i, &sender) in t[..3].iter().enumerate() {
        runs(&mut k, sender);
        m.call(&mut k, send(SendKind::Send, EP, msg(i as u64, [0; 4])));
    }
    runs(&mut k, t[3]);
    let mut order = Vec::new();
    for _ in 0..3 {
        m.call(&mut k, recv(EP));
        order.push(Message::from_values(m.values[&t[3].index()]).1.info.label);
        k.schedule();
        while k.current() != Some(t[3]) {
            m.call(&mut k, Syscall::Exit { status: 0 });
            k.schedule();
        }
    }
    assert_eq!(order, [0, 1, 2]);
}

#[test]
fn long_message_and_capability_travel_through_the_buffer() {
    let (mut k, mut m, t) = world(&[("server", 5), ("client", 5)], 4096);
    let (server, client) = (t[0], t[1]);
    m.buffer(server)[IpcBuffer::RECEIVE_SLOTS] = 9;
    runs(&mut k, server);
    m.call(&mut k, recv(EP));
    for i in 4..64 {
        m.buffer(client)[i] = 1000 + i as u64;
    }
    m.buffer(client)[IpcBuffer::SEND_CAPS] = MEMORY;
    runs(&mut k, client);
    let info = MessageInfo { label: 1, length: 64, caps: 1 };
    m.call(&mut k, send(SendKind::Send, EP, Message { info, words: [1, 2, 3, 4] }));
    assert_eq!(m.results[&client.index()], Ok(0));
    assert_eq!(Message::from_values(m.values[&server.index()]).1.info, info);
    assert_eq!(m.buffer(server)[63], 1063);
    runs(&mut k, client);
    m.call(&mut k, Syscall::CapIdentify { slot: slot(9).into() });
    k.check_invariants().unwrap();
    let stats = k.stats();
    assert_eq!(stats.capabilities, 2 + 2 + 2 + 1);
}

#[test]
fn grant_is_needed_to_send_capabilities() {
    let (mut k, mut m, t) = world(&[("client", 5)], 4096);
    runs(&mut k, t[0]);
    m.call(
        &mut k,
        Syscall::CapMint {
            source: slot(EP).into(),
            dest: slot(3).into(),
            rights: Some(Rights::WRITE),
            badge: 0,
        },
    );
    m.buffer(t[0])[IpcBuffer::SEND_CAPS] = MEMORY;
    let info = MessageInfo { label: 1, length: 0, caps: 1 };
    m.call(&mut k, send(SendKind::NonBlocking, 3, Message { info, words: [0; 4] }));
    assert_eq!(m.results[&t[0].index()], Err(Error::GrantRequired));
    m.call(&mut k, send(SendKind::NonBlocking, EP, Message { info, words: [0; 4] }));
    assert_eq!(m.results[&t[0].index()], Err(Error::WouldBlock));
}

#[test]
fn revoke_wakes_a_blocked_receiver_when_the_endpoint_dies() {
    let (mut k, mut m, t) = world(&[("owner", 5), ("waiter", 5)], 4096);
    let (owner, waiter) = (t[0], t[1]);
    runs(&mut k, owner);
    m.call(
        &mut k,
        Syscall::Create {
            memory: slot(MEMORY),
            kind: ObjectKind::Endpoint,
            dest: slot(10).into(),
            budget: 0,
        },
    );
    m.call(
        &mut k,
        Syscall::CapMint {
            source: slot(10).into(),
            dest: slot(11).into(),
            rights: Some(Rights::READ),
            badge: 0,
        },
    );
    m.call(&mut k, Syscall::MemoryInfo { memory: slot(MEMORY) });
    assert_eq!(m.values[&owner.index()][1], 2 * ENDPOINT_COST);
    m.call(&mut k, Syscall::Yield);
    runs(&mut k, waiter);
    // The waiter blocks on the shared endpoint; the owner deletes it.
    m.call(&mut k, recv(EP));
    runs(&mut k, owner);
    m.call(&mut k, Syscall::CapRevoke { slot: slot(10).into() });
    m.call(&mut k, Syscall::CapIdentify { slot: slot(11).into() });
    assert_eq!(m.results[&owner.index()], Err(Error::EmptySlot));
    m.call(&mut k, Syscall::CapDelete { slot: slot(10).into() });
    m.call(&mut k, Syscall::MemoryInfo { memory: slot(MEMORY) });
    assert_eq!(m.values[&owner.index()][1], ENDPOINT_COST);
    // Revoking the original removes the waiter's copy; deleting it then ends the endpoint.
    m.call(&mut k, Syscall::CapRevoke { slot: slot(EP).into() });
    assert!(!m.results.contains_key(&waiter.index()), "still blocked");
    m.call(&mut k, Syscall::CapDelete { slot: slot(EP).into() });
    assert_eq!(m.results[&waiter.index()], Err(Error::PeerGone));
    m.call(&mut k, Syscall::MemoryInfo { memory: slot(MEMORY) });
    assert_eq!(m.values[&owner.index()][1], 0, "every charge refunded");
    k.check_invariants().unwrap();
}

#[test]
fn child_memory_budgets_run_out_and_refund() {
    let (mut k, mut m, t) = world(&[("a", 5)], 4096);
    runs(&mut k, t[0]);
    let budget = 3 * ENDPOINT_COST;
    m.call(
        &mut k,
        Syscall::Create { memory: slot(MEMORY), kind: ObjectKind::Memory, dest: slot(20).into(), budget },
    );
    assert_eq!(m.results[&t[0].index()], Ok(0));
    for n in 21..24 {
        m.call(
            &mut k,
            Syscall::Create { memory: slot(20), kind: ObjectKind::Endpoint, dest: slot(n).into(), budget: 0 },
        );
        assert_eq!(m.results[&t[0].index()], Ok(0));
    }
    m.call(
        &mut k,
        Syscall::Create { memory: slot(20), kind: ObjectKind::Endpoint, dest: slot(24).into(), budget: 0 },
    );
    assert_eq!(m.results[&t[0].index()], Err(Error::OutOfMemory));
    m.call(&mut k, Syscall::CapDelete { slot: slot(21).into() });
    m.call(
        &mut k,
        Syscall::Create { memory: slot(20), kind: ObjectKind::Endpoint, dest: slot(24).into(), budget: 0 },
    );
    assert_eq!(m.results[&t[0].index()], Ok(0));
    // Deleting the Memory capability leaves it alive while objects are charged to it.
    m.call(&mut k, Syscall::CapDelete { slot: slot(20).into() });
    k.check_invariants().unwrap();
    for n in 22..25 {
        m.call(&mut k, Syscall::CapDelete { slot: slot(n).into() });
    }
    m.call(&mut k, Syscall::MemoryInfo { memory: slot(MEMORY) });
    assert_eq!(m.values[&t[0].index()][1], ENDPOINT_COST, "only the boot endpoint is charged");
    assert_eq!(k.stats().memories, 1);
    k.check_invariants().unwrap();
}

#[test]
fn destroying_a_caller_makes_the_reply_fail_and_a_server_death_wakes_its_caller() {
    let (mut k, mut m, t) = world(&[("server", 5), ("client", 5), ("killer", 5)], 4096);
    let (server, client, killer) = (t[0], t[1], t[2]);
    let client_thread = k.slot_of(killer, slot(30)).unwrap();
    k.give_thread_cap(client, client_thread).unwrap();
    runs(&mut k, server);
    m.call(&mut k, recv(EP));
    runs(&mut k, client);
    m.call(&mut k, send(SendKind::Call, EP, msg(1, [0; 4])));
    runs(&mut k, killer);
    m.call(&mut k, Syscall::ThreadDestroy { thread: slot(30) });
    assert_eq!(m.results[&killer.index()], Ok(0));
    assert!(k.thread(client).is_none());
    m.call(&mut k, Syscall::CapIdentify { slot: slot(30).into() });
    assert_eq!(m.results[&killer.index()], Err(Error::EmptySlot), "capabilities to a dead thread go with it");
    m.call(&mut k, Syscall::Exit { status: 0 });
    runs(&mut k, server);
    m.call(&mut k, Syscall::Reply { message: msg(2, [0; 4]) });
    assert_eq!(m.results[&server.index()], Err(Error::PeerGone));
    k.check_invariants().unwrap();
}

#[test]
fn a_server_that_exits_holding_a_reply_right_wakes_its_caller() {
    let (mut k, mut m, t) = world(&[("server", 5), ("client", 5)], 4096);
    let (server, client) = (t[0], t[1]);
    runs(&mut k, server);
    m.call(&mut k, recv(EP));
    runs(&mut k, client);
    m.call(&mut k, send(SendKind::Call, EP, msg(1, [0; 4])));
    runs(&mut k, server);
    m.call(&mut k, Syscall::Exit { status: 0 });
    assert_eq!(m.results[&client.index()], Err(Error::PeerGone));
    runs(&mut k, client);
    k.check_invariants().unwrap();
}

// ---- Faults as messages to a fault handler ------------------------------------------------

const THREAD: u64 = BootInfo::THREAD_SLOT;

/// A page fault on a write at `address`, at instruction `ip`.
fn write_fault(address: u64, ip: u64) -> crate::Fault {
    crate::Fault { kind: crate::abi::FaultKind::PageFault, ip, page: Some((address, crate::Access::Write)) }
}

/// `faulter` names endpoint EP (badged 9, in slot 3) as its fault handler, through a Thread
/// capability to itself.
fn set_handler(k: &mut Kernel, m: &mut Mock, faulter: ThreadId) {
    let at = |k: &Kernel, n| k.slot_of(faulter, slot(n)).unwrap();
    k.give_thread_cap(faulter, at(k, THREAD)).unwrap();
    k.mint(at(k, EP), at(k, 3), Some(Rights::WRITE), 9).unwrap();
    let set = Syscall::ThreadSetFaultHandler { thread: slot(THREAD), handler: Some(slot(3)) };
    m.call(k, set);
    assert_eq!(m.results[&faulter.index()], Ok(0));
}

#[test]
fn a_fault_goes_to_the_handler_and_its_reply_resumes_the_thread_untouched() {
    let (mut k, mut m, t) = world(&[("handler", 5), ("faulter", 4)], 4096);
    let (handler, faulter) = (t[0], t[1]);
    runs(&mut k, handler);
    m.call(&mut k, recv(EP));
    runs(&mut k, faulter);
    set_handler(&mut k, &mut m, faulter);
    m.results.remove(&faulter.index());
    k.fault(&mut m, write_fault(0x5000_0010, 0x40_1234));
    let info = MessageInfo::new(crate::abi::FAULT_LABEL, 4).encode();
    let words = [u64::from(crate::abi::FaultKind::PageFault), 0x5000_0010, 0x40_1234, 2];
    assert_eq!(m.values[&handler.index()], [9, info, words[0], words[1], words[2], words[3]]);
    assert_eq!(k.thread(faulter).unwrap().state, ThreadState::AwaitingReply);
    k.check_invariants().unwrap();
    runs(&mut k, handler);
    m.call(&mut k, Syscall::Reply { message: msg(0, [0; 4]) });
    assert_eq!(m.results[&handler.index()], Ok(0));
    assert!(!m.results.contains_key(&faulter.index()), "the faulting thread's registers are untouched");
    assert_eq!(k.thread(faulter).unwrap().state, ThreadState::Ready);
    assert!(k.thread(faulter).unwrap().fault.is_none());
    assert!(m.console.is_empty(), "nothing was reported");

    // A second fault, while the handler sleeps, queues until the handler receives again.
    runs(&mut k, handler);
    m.call(&mut k, Syscall::Sleep { ticks: 1 });
    runs(&mut k, faulter);
    k.fault(&mut m, write_fault(0x6000_0000, 0x40_2000));
    assert!(matches!(k.thread(faulter).unwrap().state, ThreadState::Sending { .. }));
    k.tick(&mut m);
    runs(&mut k, handler);
    m.call(&mut k, recv(EP));
    assert_eq!(m.values[&handler.index()][3], 0x6000_0000);
    k.check_invariants().unwrap();
}

#[test]
fn a_fault_without_a_usable_handler_stops_the_thread() {
    let (mut k, mut m, t) = world(&[("a", 5), ("b", 5), ("c", 5)], 4096);
    runs(&mut k, t[0]);
    k.fault(&mut m, write_fault(0x10, 0x40_0000));
    assert!(k.thread(t[0]).is_none(), "no handler: stopped");
    assert!(m.console.contains("process 0 (a) stopped: page fault at 0x10 (write, ip 0x400000)"));
    // A handler slot holding a capability that is not a Write endpoint capability counts as
    // no handler.
    runs(&mut k, t[1]);
    let at = |k: &Kernel, n| k.slot_of(t[1], slot(n)).unwrap();
    k.give_thread_cap(t[1], at(&k, THREAD)).unwrap();
    k.mint(at(&k, EP), at(&k, 3), Some(Rights::READ), 0).unwrap();
    m.call(&mut k, Syscall::ThreadSetFaultHandler { thread: slot(THREAD), handler: Some(slot(3)) });
    k.fault(&mut m, write_fault(0x20, 0x40_0000));
    assert!(k.thread(t[1]).is_none(), "a read-only endpoint capability is no handler");
    // Setting a handler needs Write on the Thread capability.
    runs(&mut k, t[2]);
    let at = |k: &Kernel, n| k.slot_of(t[2], slot(n)).unwrap();
    k.give_thread_cap(t[2], at(&k, 9)).unwrap();
    k.mint(at(&k, 9), at(&k, THREAD), Some(Rights::READ), 0).unwrap();
    m.call(&mut k, Syscall::ThreadSetFaultHandler { thread: slot(THREAD), handler: Some(slot(EP)) });
    assert_eq!(m.results[&t[2].index()], Err(Error::MissingRights));
    m.call(&mut k, Syscall::ThreadSetFaultHandler { thread: slot(EP), handler: None });
    assert_eq!(m.results[&t[2].index()], Err(Error::WrongType));
    k.check_invariants().unwrap();
}

#[test]
fn a_thread_whose_handler_dies_mid_fault_is_stopped() {
    let (mut k, mut m, t) = world(&[("handler", 5), ("faulter", 4)], 4096);
    let (handler, faulter) = (t[0], t[1]);
    runs(&mut k, handler);
    m.call(&mut k, recv(EP));
    runs(&mut k, faulter);
    set_handler(&mut k, &mut m, faulter);
    k.fault(&mut m, write_fault(0x7000, 0x40_0000));
    runs(&mut k, handler);
    m.call(&mut k, Syscall::Exit { status: 0 });
    assert!(k.thread(faulter).is_none());
    assert!(m.console.contains(
        "(faulter) stopped: page fault at 0x7000 (write, ip 0x400000) (its fault handler is gone)"
    ));
    k.check_invariants().unwrap();
    assert_eq!(k.stats().threads, 0);
}

#[test]
fn a_chain_of_orphaned_faulting_threads_is_stopped_one_after_another() {
    // b handles a's fault and faults itself while it holds a's reply right; c handles b's.
    let (mut k, mut m, t) = world(&[("c", 5), ("b", 4), ("a", 3)], 4096);
    let (c, b, a) = (t[0], t[1], t[2]);
    runs(&mut k, c);
    m.call(&mut k, Syscall::Sleep { ticks: 1 });
    runs(&mut k, b);
    set_handler(&mut k, &mut m, b);
    m.call(&mut k, recv(EP));
    runs(&mut k, a);
    set_handler(&mut k, &mut m, a);
    k.fault(&mut m, write_fault(0xa000, 0x40_0000));
    runs(&mut k, b);
    assert_eq!(m.values[&b.index()][3], 0xa000, "b received a's fault");
    k.fault(&mut m, write_fault(0xb000, 0x40_0000));
    k.tick(&mut m);
    runs(&mut k, c);
    m.call(&mut k, recv(EP));
    assert_eq!(m.values[&c.index()][3], 0xb000, "c received b's fault");
    // c ends without answering: b is orphaned, and stopping b orphans a.
    m.call(&mut k, Syscall::Exit { status: 0 });
    assert!(k.thread(b).is_none() && k.thread(a).is_none());
    let b_line =
        m.console.find("(b) stopped: page fault at 0xb000 (write, ip 0x400000) (its fault handler is gone)");
    let a_line =
        m.console.find("(a) stopped: page fault at 0xa000 (write, ip 0x400000) (its fault handler is gone)");
    assert!(b_line.is_some() && a_line.is_some() && b_line < a_line, "{}", m.console);
    k.check_invariants().unwrap();
    assert_eq!(k.stats().threads, 0);
}

#[test]
fn endpoints_count_their_traffic_and_threads_report_their_state() {
    let (mut k, mut m, t) = world(&[("server", 5), ("client", 5)], 4096);
    let (server, client) = (t[0], t[1]);
    let stats = |k: &mut Kernel, m: &mut Mock| {
        m.call(k, Syscall::EndpointStats { endpoint: slot(EP) });
        m.values[&k.current().unwrap().index()]
    };
    runs(&mut k, server);
    assert_eq!(stats(&mut k, &mut m), [0; 6]);
    m.call(&mut k, recv(EP));
    runs(&mut k, client);
    m.call(&mut k, send(SendKind::Call, EP, msg(7, [1, 2, 3, 4])));
    runs(&mut k, server);
    m.call(&mut k, Syscall::ReplyRecv { endpoint: slot(EP), message: msg(0, [0; 4]) });
    runs(&mut k, client);
    m.call(&mut k, send(SendKind::Send, EP, msg(9, [0; 4])));
    // messages, calls, replies, caps: one call, its reply, one send.
    assert_eq!(stats(&mut k, &mut m), [2, 1, 1, 0, 0, 0]);
    // A new thread is inactive at priority 0; a thread capability without Read says nothing.
    let create =
        Syscall::Create { memory: slot(MEMORY), kind: ObjectKind::Thread, dest: slot(5).into(), budget: 0 };
    m.call(&mut k, create);
    m.call(&mut k, Syscall::ThreadInfo { thread: slot(5) });
    let number = m.values[&client.index()][0];
    assert_eq!(m.values[&client.index()][1..4], [u64::from(ThreadRunState::Inactive), 0, 0]);
    assert_ne!(number, client.number());
    let mint = Syscall::CapMint {
        source: slot(5).into(),
        dest: slot(6).into(),
        rights: Some(Rights::WRITE),
        badge: 0,
    };
    m.call(&mut k, mint);
    m.call(&mut k, Syscall::ThreadInfo { thread: slot(6) });
    assert_eq!(m.results[&client.index()], Err(Error::MissingRights));
    k.check_invariants().unwrap();
}
