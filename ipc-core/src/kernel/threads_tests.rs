//! Threads and capability spaces made from user space, on the mock machine: configure and
//! start, the checks that refuse bad configurations, suspend and resume, slot paths into
//! another capability space, and what is freed when (nothing leaks).

use crate::abi::{
    BootInfo, Error, MessageInfo, ObjectKind, Rights, Slot, SlotPath, Syscall, UserBuffer, CSPACE_COST,
    FRAME_COST, PAGE_TABLE_COST, THREAD_COST,
};
use crate::mock::Mock;
use crate::thread::ThreadState;
use crate::{Kernel, ThreadId};

const MEMORY: u64 = BootInfo::MEMORY_SLOT;
const BUDGET: u64 = 1 << 20;
// The parent's slots for the child's objects.
const THREAD: u64 = 2;
const CSPACE: u64 = 3;
const SPACE: u64 = 4;
const BUFFER: u64 = 5;
const ENDPOINT: u64 = 6;
const FREE: u64 = 7;

fn slot(n: u64) -> Slot {
    Slot::new(n).unwrap()
}

/// A boot thread (priority 5, with boot Memory) that has made a thread, a capability space,
/// an address space, a Frame for the IPC buffer and an endpoint, none of them used yet.
fn parent() -> (Box<Kernel>, Mock, ThreadId) {
    let (mut kernel, mut mock) = (Box::new(Kernel::new()), Mock::default());
    let parent = kernel.spawn("parent", 5).unwrap();
    let root = mock.create_space_for_test();
    kernel
        .boot_address_space(parent, root, kernel.slot_of(parent, slot(BootInfo::SPACE_SLOT)).unwrap())
        .unwrap();
    kernel.boot_memory(kernel.slot_of(parent, slot(MEMORY)).unwrap(), BUDGET).unwrap();
    assert_eq!(kernel.schedule(), Some(parent));
    for (kind, dest) in [
        (ObjectKind::Thread, THREAD),
        (ObjectKind::CSpace, CSPACE),
        (ObjectKind::AddressSpace, SPACE),
        (ObjectKind::Frame, BUFFER),
        (ObjectKind::Endpoint, ENDPOINT),
    ] {
        assert_eq!(call(&mut kernel, &mut mock, create(kind, dest)), Ok(0), "{kind:?}");
    }
    (kernel, mock, parent)
}

fn call(kernel: &mut Kernel, mock: &mut Mock, call: Syscall) -> Result<u64, Error> {
    let current = kernel.current().unwrap();
    mock.call(kernel, call);
    kernel.check_invariants().unwrap();
    mock.results[&current.index()]
}

fn create(kind: ObjectKind, dest: u64) -> Syscall {
    Syscall::Create { memory: slot(MEMORY), kind, dest: slot(dest).into(), budget: 0 }
}

fn configure(priority: u8) -> Syscall {
    Syscall::ThreadConfigure {
        thread: slot(THREAD),
        cspace: slot(CSPACE),
        space: slot(SPACE),
        ipc_buffer: slot(BUFFER),
        priority,
    }
}

fn start() -> Syscall {
    Syscall::ThreadStart { thread: slot(THREAD), ip: 0x40_1000, sp: 0x7fff_0000, argument: 9 }
}

/// Slot `n` of the child's capability space, through the parent's CSpace capability.
fn child(n: u64) -> SlotPath {
    SlotPath::within(slot(CSPACE), slot(n))
}

fn used(kernel: &mut Kernel, mock: &mut Mock) -> u64 {
    call(kernel, mock, Syscall::MemoryInfo { memory: slot(MEMORY) }).unwrap();
    mock.values[&kernel.current().unwrap().index()][1]
}

/// Gives the child a copy of the endpoint in its slot 2, then configures and starts it
/// (priority 5, like the parent's); returns it.
fn start_child_with_endpoint(kernel: &mut Kernel, mock: &mut Mock) -> ThreadId {
    let to_child = Syscall::CapMint { source: slot(ENDPOINT).into(), dest: child(2), rights: None, badge: 0 };
    call(kernel, mock, to_child).unwrap();
    call(kernel, mock, configure(5)).unwrap();
    call(kernel, mock, start()).unwrap();
    the_child(kernel)
}

fn the_child(kernel: &Kernel) -> ThreadId {
    let parent = kernel.current().unwrap();
    let at = kernel.slot_of(parent, slot(THREAD)).unwrap();
    match kernel.caps.get(at).unwrap().object {
        crate::cspace::Object::Thread(id) => id,
        other => panic!("slot {THREAD} holds {other:?}"),
    }
}

#[test]
fn objects_are_charged_and_a_started_thread_runs_where_it_was_told() {
    let (mut kernel, mut mock, _) = parent();
    let costs = THREAD_COST + CSPACE_COST + PAGE_TABLE_COST + FRAME_COST + crate::abi::ENDPOINT_COST;
    assert_eq!(used(&mut kernel, &mut mock), costs);
    let child_id = the_child(&kernel);
    assert_eq!(kernel.thread(child_id).unwrap().state, ThreadState::Inactive);
    assert_eq!(call(&mut kernel, &mut mock, configure(5)), Ok(0));
    let (root, page) = mock.thread_spaces[&child_id.index()];
    assert_eq!(root, kernel.space_root(child_id).unwrap());
    assert!(mock.pages.contains(&page), "the IPC buffer is the Frame's page");
    let name = b"child";
    mock.memory.insert(kernel.current().unwrap().index(), (0x1000, name.to_vec()));
    let named = Syscall::ThreadSetName { thread: slot(THREAD), name: UserBuffer { addr: 0x1000, len: 5 } };
    assert_eq!(call(&mut kernel, &mut mock, named), Ok(0));
    assert_eq!(kernel.thread(child_id).unwrap().name.as_str(), "child");
    assert_eq!(call(&mut kernel, &mut mock, start()), Ok(0));
    assert_eq!(mock.entries[&child_id.index()], (0x40_1000, 0x7fff_0000, 9));
    assert_eq!(kernel.thread(child_id).unwrap().state, ThreadState::Ready);
    assert_eq!(call(&mut kernel, &mut mock, Syscall::Yield), Ok(0));
    assert_eq!(kernel.schedule(), Some(child_id), "equal priority: the child's turn");
}

#[test]
fn bad_configurations_are_refused_and_change_nothing() {
    let (mut kernel, mut mock, _) = parent();
    let with = |thread, cspace, space, ipc_buffer| Syscall::ThreadConfigure {
        thread: slot(thread),
        cspace: slot(cspace),
        space: slot(space),
        ipc_buffer: slot(ipc_buffer),
        priority: 1,
    };
    assert_eq!(call(&mut kernel, &mut mock, start()), Err(Error::InvalidState), "not configured");
    assert_eq!(call(&mut kernel, &mut mock, with(THREAD, SPACE, CSPACE, BUFFER)), Err(Error::WrongType));
    assert_eq!(call(&mut kernel, &mut mock, with(THREAD, CSPACE, SPACE, ENDPOINT)), Err(Error::WrongType));
    assert_eq!(call(&mut kernel, &mut mock, with(ENDPOINT, CSPACE, SPACE, BUFFER)), Err(Error::WrongType));
    assert_eq!(call(&mut kernel, &mut mock, with(THREAD, CSPACE, SPACE, FREE)), Err(Error::EmptySlot));
    let read_only = Syscall::CapMint {
        source: slot(BUFFER).into(),
        dest: slot(FREE).into(),
        rights: Some(Rights::READ),
        badge: 0,
    };
    call(&mut kernel, &mut mock, read_only).unwrap();
    assert_eq!(call(&mut kernel, &mut mock, with(THREAD, CSPACE, SPACE, FREE)), Err(Error::MissingRights));
    assert_eq!(call(&mut kernel, &mut mock, configure(6)), Err(Error::MissingRights), "above the caller");
    assert!(mock.thread_spaces.is_empty(), "nothing configured");
    assert_eq!(call(&mut kernel, &mut mock, configure(5)), Ok(0));
    assert_eq!(call(&mut kernel, &mut mock, configure(5)), Err(Error::InvalidState), "configured once");
    assert_eq!(call(&mut kernel, &mut mock, start()), Ok(0));
    assert_eq!(call(&mut kernel, &mut mock, start()), Err(Error::InvalidState), "started once");
}

#[test]
fn slot_paths_fill_and_empty_another_capability_space() {
    let (mut kernel, mut mock, parent) = parent();
    let copy = |source: SlotPath, dest: SlotPath| Syscall::CapMint { source, dest, rights: None, badge: 0 };
    assert_eq!(call(&mut kernel, &mut mock, copy(slot(ENDPOINT).into(), child(2))), Ok(0));
    assert_eq!(call(&mut kernel, &mut mock, Syscall::CapIdentify { slot: child(2) }), Ok(3));
    let moved = Syscall::CapMove { source: child(2), dest: child(9) };
    assert_eq!(call(&mut kernel, &mut mock, moved), Ok(0));
    assert_eq!(call(&mut kernel, &mut mock, Syscall::CapDelete { slot: child(2) }), Err(Error::EmptySlot));
    let through_endpoint = SlotPath::within(slot(ENDPOINT), slot(9));
    assert_eq!(
        call(&mut kernel, &mut mock, Syscall::CapDelete { slot: through_endpoint }),
        Err(Error::WrongType)
    );
    let read_only = Syscall::CapMint {
        source: slot(CSPACE).into(),
        dest: slot(FREE).into(),
        rights: Some(Rights::READ),
        badge: 0,
    };
    call(&mut kernel, &mut mock, read_only).unwrap();
    let through_read_only = SlotPath::within(slot(FREE), slot(9));
    let delete = Syscall::CapDelete { slot: through_read_only };
    assert_eq!(call(&mut kernel, &mut mock, delete), Err(Error::MissingRights));
    let made =
        Syscall::Create { memory: slot(MEMORY), kind: ObjectKind::Endpoint, dest: child(10), budget: 0 };
    assert_eq!(call(&mut kernel, &mut mock, made), Ok(0));
    assert_eq!(kernel.stats().endpoints, 2);
    assert_eq!(call(&mut kernel, &mut mock, Syscall::CapDelete { slot: child(9) }), Ok(0));
    assert_eq!(call(&mut kernel, &mut mock, Syscall::CapDelete { slot: child(10) }), Ok(0));
    assert_eq!(kernel.stats().endpoints, 1, "the endpoint made in the child's space is gone");
    assert!(kernel.thread(parent).is_some());
}

#[test]
fn suspended_threads_do_not_run_and_their_ipc_is_cancelled() {
    let (mut kernel, mut mock, parent) = parent();
    let child_id = start_child_with_endpoint(&mut kernel, &mut mock);
    call(&mut kernel, &mut mock, Syscall::ThreadSuspend { thread: slot(THREAD) }).unwrap();
    call(&mut kernel, &mut mock, Syscall::Yield).unwrap();
    assert_eq!(kernel.schedule(), Some(parent), "the suspended child never runs");
    call(&mut kernel, &mut mock, Syscall::ThreadResume { thread: slot(THREAD) }).unwrap();
    call(&mut kernel, &mut mock, Syscall::Yield).unwrap();
    assert_eq!(kernel.schedule(), Some(child_id));
    // The child waits for a message; suspended meanwhile, it leaves the queue (no message
    // reaches it) and its `recv` returns Cancelled once it is resumed.
    mock.call(&mut kernel, Syscall::Recv { endpoint: slot(2), blocking: true });
    assert_eq!(kernel.schedule(), Some(parent));
    call(&mut kernel, &mut mock, Syscall::ThreadSuspend { thread: slot(THREAD) }).unwrap();
    assert_eq!(kernel.thread(child_id).unwrap().state, ThreadState::Inactive);
    let message = crate::abi::Message { info: MessageInfo::new(7, 1), words: [42, 0, 0, 0] };
    let send = Syscall::Send { endpoint: slot(ENDPOINT), message, kind: crate::abi::SendKind::NonBlocking };
    assert_eq!(call(&mut kernel, &mut mock, send), Err(Error::WouldBlock), "the receiver left");
    call(&mut kernel, &mut mock, Syscall::Yield).unwrap();
    assert_eq!(kernel.schedule(), Some(parent));
    call(&mut kernel, &mut mock, Syscall::ThreadResume { thread: slot(THREAD) }).unwrap();
    call(&mut kernel, &mut mock, Syscall::Yield).unwrap();
    assert_eq!(kernel.schedule(), Some(child_id));
    assert_eq!(mock.results[&child_id.index()], Err(Error::Cancelled));
    // A thread may suspend itself; it comes back with success when resumed.
    mock.call(&mut kernel, Syscall::ThreadSuspend { thread: slot(2) });
    assert_eq!(mock.results[&child_id.index()], Err(Error::WrongType), "slot 2 is an endpoint");
}

/// DESIGN.md decision 6: a caller suspended while its call waits for the reply leaves no
/// trace. The server's reply right answers PeerGone, the caller's call returns Cancelled
/// when it is resumed, and its next call is answered normally (the dead right wakes no one).
#[test]
fn suspended_caller_call_cancelled() {
    let (mut kernel, mut mock, parent) = parent();
    let child_id = start_child_with_endpoint(&mut kernel, &mut mock);
    let message = |label| crate::abi::Message { info: MessageInfo::new(label, 1), words: [label, 0, 0, 0] };
    let call_server = |label| Syscall::Send {
        endpoint: slot(2),
        message: message(label),
        kind: crate::abi::SendKind::Call,
    };
    let receive = Syscall::Recv { endpoint: slot(ENDPOINT), blocking: true };
    // The parent (the server) waits; the child calls and the parent takes the call.
    mock.call(&mut kernel, receive);
    assert_eq!(kernel.schedule(), Some(child_id));
    mock.call(&mut kernel, call_server(1));
    assert_eq!(kernel.schedule(), Some(parent));
    assert_eq!(mock.values[&parent.index()][2], 1, "the server has the call");
    call(&mut kernel, &mut mock, Syscall::ThreadSuspend { thread: slot(THREAD) }).unwrap();
    assert_eq!(kernel.thread(child_id).unwrap().state, ThreadState::Inactive);
    // The right names no thread now, so it can never answer a later call of the child's
    // (to another server, say) by mistake.
    let right = kernel.thread(parent).unwrap().reply_to.map(|r| r.caller);
    assert_eq!(right, Some(ThreadId::NOTHING), "the server's reply right died");
    let reply = |label| Syscall::Reply { message: message(label) };
    assert_eq!(call(&mut kernel, &mut mock, reply(10)), Err(Error::PeerGone), "the call is cancelled");
    call(&mut kernel, &mut mock, Syscall::ThreadResume { thread: slot(THREAD) }).unwrap();
    call(&mut kernel, &mut mock, Syscall::Yield).unwrap();
    assert_eq!(kernel.schedule(), Some(child_id));
    assert_eq!(mock.results[&child_id.index()], Err(Error::Cancelled), "what the caller gets back");
    // A second call, answered.
    mock.call(&mut kernel, call_server(2));
    assert_eq!(kernel.schedule(), Some(parent));
    mock.call(&mut kernel, receive);
    assert_eq!(mock.values[&parent.index()][2], 2, "the server has the second call");
    assert_eq!(call(&mut kernel, &mut mock, reply(20)), Ok(0));
    call(&mut kernel, &mut mock, Syscall::Yield).unwrap();
    assert_eq!(kernel.schedule(), Some(child_id));
    assert_eq!(mock.results[&child_id.index()], Ok(0));
    assert_eq!(mock.values[&child_id.index()][2], 20, "the answer to the second call");
    kernel.check_invariants().unwrap();
}

#[test]
fn a_thread_nothing_can_start_ends_with_its_last_capability() {
    let (mut kernel, mut mock, _) = parent();
    let before = used(&mut kernel, &mut mock);
    assert_eq!(call(&mut kernel, &mut mock, Syscall::CapDelete { slot: slot(THREAD).into() }), Ok(0));
    assert_eq!(kernel.thread_count(), 1, "the never-started thread is gone");
    assert_eq!(used(&mut kernel, &mut mock), before - THREAD_COST);
    // A suspended thread goes the same way.
    call(&mut kernel, &mut mock, create(ObjectKind::Thread, THREAD)).unwrap();
    call(&mut kernel, &mut mock, configure(1)).unwrap();
    call(&mut kernel, &mut mock, start()).unwrap();
    call(&mut kernel, &mut mock, Syscall::ThreadSuspend { thread: slot(THREAD) }).unwrap();
    call(&mut kernel, &mut mock, Syscall::CapDelete { slot: slot(THREAD).into() }).unwrap();
    assert_eq!(kernel.thread_count(), 1);
    assert!(mock.console.contains("destroyed: no capability to it is left"), "{}", mock.console);
}

#[test]
fn a_process_and_everything_it_holds_goes_with_its_thread() {
    let (mut kernel, mut mock, parent) = parent();
    let start_used =
        used(&mut kernel, &mut mock) - (THREAD_COST + CSPACE_COST + PAGE_TABLE_COST + FRAME_COST);
    // The child's pages live in a capability space of their own, which the child's space
    // holds: the parent keeps nothing.
    call(&mut kernel, &mut mock, create(ObjectKind::CSpace, FREE)).unwrap();
    let pages = |n| SlotPath::within(slot(FREE), slot(n));
    let frame = Syscall::Create { memory: slot(MEMORY), kind: ObjectKind::Frame, dest: pages(0), budget: 0 };
    call(&mut kernel, &mut mock, frame).unwrap();
    let map = Syscall::Map {
        space: slot(SPACE),
        frame: slot(BUFFER),
        vaddr: 0x7000,
        rights: Rights::READ | Rights::WRITE,
    };
    call(&mut kernel, &mut mock, map).unwrap();
    call(&mut kernel, &mut mock, configure(5)).unwrap();
    call(&mut kernel, &mut mock, start()).unwrap();
    let moves = [(FREE, 125), (BUFFER, 124), (SPACE, 126), (THREAD, 127), (CSPACE, 0)];
    for (from, to) in moves {
        let moved = Syscall::CapMove { source: slot(from).into(), dest: child(to) };
        assert_eq!(call(&mut kernel, &mut mock, moved), Ok(0), "slot {from}");
    }
    assert_eq!(kernel.stats().cspaces, 3);
    // The parent has no capability to the child any more; the child runs and exits.
    let child_id = kernel.threads.iter().map(|(id, _)| id).find(|&id| id != parent).unwrap();
    call(&mut kernel, &mut mock, Syscall::Yield).unwrap();
    assert_eq!(kernel.schedule(), Some(child_id));
    mock.call(&mut kernel, Syscall::Exit { status: 0 });
    kernel.check_invariants().unwrap();
    assert_eq!(kernel.thread_count(), 1);
    assert_eq!(kernel.stats().cspaces, 1, "the child's space and its pages' space are gone");
    assert_eq!(kernel.stats().frames, 0, "the IPC buffer and the page went with them");
    assert_eq!(kernel.stats().spaces, 1, "only the parent's own");
    assert_eq!(kernel.schedule(), Some(parent));
    assert_eq!(used(&mut kernel, &mut mock), start_used, "every byte refunded");
}

#[test]
fn an_ipc_buffer_outlives_its_capabilities_while_its_thread_lives() {
    let (mut kernel, mut mock, _) = parent();
    call(&mut kernel, &mut mock, configure(5)).unwrap();
    call(&mut kernel, &mut mock, Syscall::CapDelete { slot: slot(BUFFER).into() }).unwrap();
    assert_eq!(kernel.stats().frames, 1, "the thread still uses it");
    let pages = mock.pages.len();
    call(&mut kernel, &mut mock, Syscall::CapDelete { slot: slot(THREAD).into() }).unwrap();
    assert_eq!(kernel.stats().frames, 0);
    assert_eq!(mock.pages.len(), pages - 2, "the page went with the thread, and so did its space's root");
    assert_eq!(kernel.stats().spaces, 1, "the address space went with its last thread");
}

#[test]
fn a_capability_space_no_thread_used_goes_when_only_it_names_itself() {
    let (mut kernel, mut mock, _) = parent();
    let into_itself =
        Syscall::CapMint { source: slot(CSPACE).into(), dest: child(0), rights: None, badge: 0 };
    call(&mut kernel, &mut mock, into_itself).unwrap();
    let frame = Syscall::Create { memory: slot(MEMORY), kind: ObjectKind::Frame, dest: child(1), budget: 0 };
    call(&mut kernel, &mut mock, frame).unwrap();
    assert_eq!((kernel.stats().cspaces, kernel.stats().frames), (2, 2));
    call(&mut kernel, &mut mock, Syscall::CapDelete { slot: slot(CSPACE).into() }).unwrap();
    assert_eq!((kernel.stats().cspaces, kernel.stats().frames), (1, 1), "the space and its frame went");
    // Moving the last outside capability inside has the same effect.
    call(&mut kernel, &mut mock, create(ObjectKind::CSpace, CSPACE)).unwrap();
    let inside = Syscall::CapMove { source: slot(CSPACE).into(), dest: child(0) };
    assert_eq!(call(&mut kernel, &mut mock, inside), Ok(0));
    assert_eq!(kernel.stats().cspaces, 1);
}

/// Revoke stops at a preemption point when an interrupt waits, having deleted a whole batch,
/// and the same call made again goes on from there until the job is done.
#[test]
fn a_preempted_revoke_finishes_when_made_again() {
    let (mut kernel, mut mock, parent) = parent();
    // A chain of copies of the endpoint, each made from the one before: through the
    // parent's free slots, then every slot of the child's space.
    let mut from: SlotPath = slot(ENDPOINT).into();
    let mut links = 0;
    let dests = (20..110).map(|n| slot(n).into()).chain((20..110).map(child));
    for to in dests {
        let copy = Syscall::CapMint { source: from, dest: to, rights: None, badge: 0 };
        assert_eq!(call(&mut kernel, &mut mock, copy), Ok(0));
        (from, links) = (to, links + 1);
    }
    let start = kernel.stats().capabilities;
    let revoke = Syscall::CapRevoke { slot: slot(ENDPOINT).into() };
    mock.interrupt_after = Some(0);
    for round in 1..=3 {
        mock.call(&mut kernel, revoke);
        kernel.check_invariants().unwrap();
        assert_eq!(mock.restarted.len(), round, "stopped at a preemption point, to be made again");
        assert_eq!(mock.restarted[round - 1], parent);
        assert_eq!(kernel.stats().capabilities, start - 32 * round as u64, "one batch a round");
    }
    mock.interrupt_after = None;
    assert_eq!(call(&mut kernel, &mut mock, revoke), Ok(0), "made again, it finishes");
    assert_eq!(mock.restarted.len(), 3);
    assert_eq!(kernel.stats().capabilities, start - links);
    let identify = |n: u64| Syscall::CapIdentify { slot: slot(n).into() };
    assert!(call(&mut kernel, &mut mock, identify(ENDPOINT)).is_ok(), "the revoked capability stays");
    assert_eq!(call(&mut kernel, &mut mock, identify(20)), Err(Error::EmptySlot));
}

/// Reclaiming a Memory object stops at a preemption point when an interrupt waits, and goes
/// on from what is left: made again when a revoke of its capability stopped, at the end of
/// the next entry when its last capability's deletion did.
#[test]
fn a_preempted_memory_reclaim_goes_on_from_what_is_left() {
    let (mut kernel, mut mock, parent) = parent();
    let (child_memory, endpoints) = (8, 20..100);
    let made = Syscall::Create {
        memory: slot(MEMORY),
        kind: ObjectKind::Memory,
        dest: slot(child_memory).into(),
        budget: 80 * crate::abi::ENDPOINT_COST,
    };
    call(&mut kernel, &mut mock, made).unwrap();
    let before = (kernel.stats(), used(&mut kernel, &mut mock));
    let fill = |kernel: &mut Kernel, mock: &mut Mock| {
        for dest in endpoints.clone() {
            let made = Syscall::Create {
                memory: slot(child_memory),
                kind: ObjectKind::Endpoint,
                dest: slot(dest).into(),
                budget: 0,
            };
            assert_eq!(call(kernel, mock, made), Ok(0));
        }
        assert_eq!(kernel.stats().endpoints, before.0.endpoints + 80);
    };

    fill(&mut kernel, &mut mock);
    let revoke = Syscall::CapRevoke { slot: slot(child_memory).into() };
    mock.interrupt_after = Some(0);
    for round in 1..=2 {
        mock.call(&mut kernel, revoke);
        kernel.check_invariants().unwrap();
        assert_eq!(mock.restarted, vec![parent; round], "stopped at a preemption point, to be made again");
        assert_eq!(
            kernel.stats().endpoints,
            before.0.endpoints + 80 - 32 * round as u64,
            "one batch a round"
        );
    }
    mock.interrupt_after = None;
    assert_eq!(call(&mut kernel, &mut mock, revoke), Ok(0), "made again, it finishes");
    assert_eq!((kernel.stats(), used(&mut kernel, &mut mock)), before);

    fill(&mut kernel, &mut mock);
    mock.interrupt_after = Some(0);
    let delete = Syscall::CapDelete { slot: slot(child_memory).into() };
    assert_eq!(call(&mut kernel, &mut mock, delete), Ok(0), "the deletion itself is done");
    assert_eq!(
        kernel.stats().endpoints,
        before.0.endpoints + 80 - 32,
        "the reclamation stopped after a batch"
    );
    mock.interrupt_after = None;
    // The next entry reads what was used before it settles: the figure after is the next's.
    assert_eq!(used(&mut kernel, &mut mock), before.1, "reclaimed, the child is not yet refunded");
    let stats = kernel.stats();
    assert_eq!(stats.endpoints, before.0.endpoints, "the next entry finished it");
    assert_eq!(stats.memories, before.0.memories - 1, "and freed the Memory object");
    let refunded = before.1 - crate::abi::MEMORY_COST - 80 * crate::abi::ENDPOINT_COST;
    assert_eq!(used(&mut kernel, &mut mock), refunded);
}

/// Issue 18: a child Memory object's last capability takes along everything it paid for,
/// however the objects hold each other: a configured, never-started thread whose only
/// capability is in its own capability space, which holds every capability to what the
/// thread uses, the space's own included; a started thread in a space the Memory did not
/// pay for; a capability space and an endpoint the parent names. `check_invariants` (run
/// by `call`) finds whichever the kernel leaves behind.
#[test]
fn a_child_memory_takes_everything_it_paid_for_along() {
    let (mut kernel, mut mock, _) = parent();
    let before = (kernel.stats(), used(&mut kernel, &mut mock));
    let (child_memory, thread, cspace, space, buffer, endpoint) = (8, 9, 10, 11, 12, 13);
    let (started, other_cspace, other_endpoint) = (14, 15, 16);
    let budget = 2 * (THREAD_COST + CSPACE_COST + crate::abi::ENDPOINT_COST) + PAGE_TABLE_COST + FRAME_COST;
    let made = Syscall::Create {
        memory: slot(MEMORY),
        kind: ObjectKind::Memory,
        dest: slot(child_memory).into(),
        budget,
    };
    call(&mut kernel, &mut mock, made).unwrap();
    for (kind, dest) in [
        (ObjectKind::Thread, thread),
        (ObjectKind::CSpace, cspace),
        (ObjectKind::AddressSpace, space),
        (ObjectKind::Frame, buffer),
        (ObjectKind::Endpoint, endpoint),
        (ObjectKind::Thread, started),
        (ObjectKind::CSpace, other_cspace),
        (ObjectKind::Endpoint, other_endpoint),
    ] {
        let made = Syscall::Create { memory: slot(child_memory), kind, dest: slot(dest).into(), budget: 0 };
        assert_eq!(call(&mut kernel, &mut mock, made), Ok(0), "{kind:?}");
    }
    let configure = |thread, cspace, space, ipc_buffer| Syscall::ThreadConfigure {
        thread: slot(thread),
        cspace: slot(cspace),
        space: slot(space),
        ipc_buffer: slot(ipc_buffer),
        priority: 1,
    };
    call(&mut kernel, &mut mock, configure(thread, cspace, space, buffer)).unwrap();
    call(&mut kernel, &mut mock, configure(started, CSPACE, SPACE, BUFFER)).unwrap();
    let start = Syscall::ThreadStart { thread: slot(started), ip: 0x40_1000, sp: 0x7fff_0000, argument: 0 };
    call(&mut kernel, &mut mock, start).unwrap();
    // The space's own capability goes in last: the path to it goes through it.
    for (from, to) in [(thread, 1), (endpoint, 2), (space, 3), (buffer, 4), (cspace, 0)] {
        let inside =
            Syscall::CapMove { source: slot(from).into(), dest: SlotPath::within(slot(cspace), slot(to)) };
        assert_eq!(call(&mut kernel, &mut mock, inside), Ok(0), "slot {from}");
    }
    assert_eq!(kernel.stats().threads, before.0.threads + 2, "the cycle keeps its thread");
    let delete = Syscall::CapDelete { slot: slot(child_memory).into() };
    assert_eq!(call(&mut kernel, &mut mock, delete), Ok(0));
    for gone in [started, other_cspace, other_endpoint] {
        let identify = Syscall::CapIdentify { slot: slot(gone).into() };
        assert_eq!(call(&mut kernel, &mut mock, identify), Err(Error::EmptySlot), "slot {gone}");
    }
    // The started thread used the parent's capability space and address space, which went
    // with it, their last thread; the buffer stays, the parent still names it.
    let (mut stats, used_before) = before;
    (stats.cspaces, stats.spaces, stats.capabilities) =
        (stats.cspaces - 1, stats.spaces - 1, stats.capabilities - 2);
    let before = (stats, used_before - CSPACE_COST - PAGE_TABLE_COST);
    let after = (kernel.stats(), used(&mut kernel, &mut mock));
    assert_eq!(after, before, "everything the child Memory paid for went with it");
}

/// `check_invariants` finds what nothing can reach: a made Memory object's last capability
/// gone without reclaiming what it paid for, and a thread awaiting a reply nobody owes it.
#[test]
fn check_invariants_finds_unreachable_objects() {
    let (mut kernel, mut mock, parent) = parent();
    let made = Syscall::Create {
        memory: slot(MEMORY),
        kind: ObjectKind::Memory,
        dest: slot(8).into(),
        budget: 4096,
    };
    call(&mut kernel, &mut mock, made).unwrap();
    let endpoint =
        Syscall::Create { memory: slot(8), kind: ObjectKind::Endpoint, dest: slot(9).into(), budget: 0 };
    call(&mut kernel, &mut mock, endpoint).unwrap();
    // The never-started child, as if a call of its had been received and the right lost.
    let child = the_child(&kernel);
    kernel.threads.get_mut(child).unwrap().state = ThreadState::AwaitingReply;
    assert_eq!(kernel.check_invariants(), Err("a thread awaits a reply no thread can give"));
    kernel.threads.get_mut(child).unwrap().state = ThreadState::Inactive;
    // The Memory object's capability goes as if reclamation did nothing.
    let at = kernel.slot_of(parent, slot(8)).unwrap();
    let Ok(crate::cspace::Capability { object: crate::cspace::Object::Memory(memory), .. }) =
        kernel.caps.get(at)
    else {
        panic!("slot 8 holds the child Memory object");
    };
    kernel.caps.remove(at);
    kernel.memories.get_mut(memory).unwrap().caps -= 1;
    let found = kernel.check_invariants();
    assert_eq!(found, Err("an object charged to a Memory object with no capability was not reclaimed"));
}
