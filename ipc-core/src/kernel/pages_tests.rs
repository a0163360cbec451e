//! Frames, address spaces, `map` and `unmap` on the mock machine: sharing, revocation,
//! accounting, and what thread death does to mappings.

use crate::abi::{BootInfo, Error, ObjectKind, Rights, Slot, Syscall, FRAME_COST, PAGE_TABLE_COST};
use crate::mock::Mock;
use crate::{Kernel, ThreadId};

const MEMORY: u64 = BootInfo::MEMORY_SLOT;
const SPACE: u64 = BootInfo::SPACE_SLOT;
const FRAME: u64 = 2;
const BUDGET: u64 = 1 << 20;
const RW: Rights = Rights::READ.union(Rights::WRITE);

fn slot(n: u64) -> Slot {
    Slot::new(n).unwrap()
}

/// Two equal-priority threads, each in its own boot address space, sharing one boot Memory
/// object. Thread 0 runs.
fn world() -> (Box<Kernel>, Mock, [ThreadId; 2]) {
    let (mut kernel, mut mock) = (Box::new(Kernel::new()), Mock::default());
    let ids = [kernel.spawn("a", 1).unwrap(), kernel.spawn("b", 1).unwrap()];
    for (n, &id) in ids.iter().enumerate() {
        let root = mock.create_space_for_test();
        kernel.boot_address_space(id, root, kernel.slot_of(id, slot(SPACE)).unwrap()).unwrap();
        let memory = kernel.slot_of(id, slot(MEMORY)).unwrap();
        if n == 0 {
            kernel.boot_memory(memory, BUDGET).unwrap();
        } else {
            kernel.mint(kernel.slot_of(ids[0], slot(MEMORY)).unwrap(), memory, None, 0).unwrap();
        }
    }
    assert_eq!(kernel.schedule(), Some(ids[0]));
    kernel.check_invariants().unwrap();
    (kernel, mock, ids)
}

fn root(kernel: &Kernel, thread: ThreadId) -> u64 {
    kernel.space_root(thread).unwrap()
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

fn map(frame: u64, vaddr: u64, rights: Rights) -> Syscall {
    Syscall::Map { space: slot(SPACE), frame: slot(frame), vaddr, rights }
}

fn used(kernel: &mut Kernel, mock: &mut Mock) -> u64 {
    call(kernel, mock, Syscall::MemoryInfo { memory: slot(MEMORY) }).unwrap();
    let current = kernel.current().unwrap();
    mock.values[&current.index()][1]
}

#[test]
fn a_frame_is_charged_zeroed_page_and_freed_with_its_last_capability() {
    let (mut kernel, mut mock, _) = world();
    assert_eq!(call(&mut kernel, &mut mock, create(ObjectKind::Frame, FRAME)), Ok(0));
    assert_eq!(used(&mut kernel, &mut mock), FRAME_COST);
    assert_eq!(mock.pages.len(), 3, "two boot roots and the frame");
    call(
        &mut kernel,
        &mut mock,
        Syscall::CapMint { source: slot(FRAME).into(), dest: slot(3).into(), rights: None, badge: 0 },
    )
    .unwrap();
    call(&mut kernel, &mut mock, Syscall::CapDelete { slot: slot(FRAME).into() }).unwrap();
    assert_eq!(mock.pages.len(), 3, "a copy keeps the page");
    call(&mut kernel, &mut mock, Syscall::CapDelete { slot: slot(3).into() }).unwrap();
    assert_eq!(mock.pages.len(), 2);
    assert_eq!(used(&mut kernel, &mut mock), 0);
    assert_eq!(kernel.stats().frames, 0);
}

#[test]
fn map_checks_rights_and_refuses_double_mappings() {
    let (mut kernel, mut mock, [a, _]) = world();
    call(&mut kernel, &mut mock, create(ObjectKind::Frame, FRAME)).unwrap();
    let read_only = Syscall::CapMint {
        source: slot(FRAME).into(),
        dest: slot(3).into(),
        rights: Some(Rights::READ),
        badge: 0,
    };
    call(&mut kernel, &mut mock, read_only).unwrap();
    assert_eq!(call(&mut kernel, &mut mock, map(3, 0x4000, RW)), Err(Error::MissingRights));
    let exec = Rights::READ | Rights::EXECUTE;
    assert_eq!(call(&mut kernel, &mut mock, map(3, 0x4000, exec)), Err(Error::MissingRights));
    assert_eq!(call(&mut kernel, &mut mock, map(3, 0x4000, Rights::READ)), Ok(0));
    assert_eq!(call(&mut kernel, &mut mock, map(3, 0x5000, Rights::READ)), Err(Error::AlreadyMapped));
    assert_eq!(call(&mut kernel, &mut mock, map(FRAME, 0x4000, RW)), Err(Error::AlreadyMapped), "taken");
    let wrong = Syscall::Map { space: slot(FRAME), frame: slot(FRAME), vaddr: 0x6000, rights: RW };
    assert_eq!(call(&mut kernel, &mut mock, wrong), Err(Error::WrongType));
    assert_eq!(call(&mut kernel, &mut mock, map(FRAME, 0x6000, RW)), Ok(0));
    let space = &mock.spaces[&root(&kernel, a)];
    assert_eq!(space.mapped[&0x4000].1, Rights::READ);
    assert_eq!(space.mapped[&0x6000].1, RW);
    assert_eq!(space.mapped[&0x4000].0, space.mapped[&0x6000].0, "one page, two mappings");

    call(&mut kernel, &mut mock, Syscall::CapIdentify { slot: slot(3).into() }).unwrap();
    assert_eq!(mock.values[&a.index()][3..5], [1, 0x4000]);
    assert_eq!(call(&mut kernel, &mut mock, Syscall::Unmap { frame: slot(3) }), Ok(0));
    assert_eq!(call(&mut kernel, &mut mock, Syscall::Unmap { frame: slot(3) }), Err(Error::NotMapped));
    assert!(!mock.spaces[&root(&kernel, a)].mapped.contains_key(&0x4000));
    assert_eq!(call(&mut kernel, &mut mock, map(3, 0x5000, Rights::READ)), Ok(0), "mappable again");
}

#[test]
fn revoke_unmaps_every_mapping_in_every_space() {
    let (mut kernel, mut mock, [a, b]) = world();
    call(&mut kernel, &mut mock, create(ObjectKind::Frame, FRAME)).unwrap();
    call(&mut kernel, &mut mock, map(FRAME, 0x4000, RW)).unwrap();
    // a shares a read-only copy with b, which copies it once more and maps both copies.
    let in_b = |kernel: &Kernel, n| kernel.slot_of(b, slot(n)).unwrap();
    let in_a = kernel.slot_of(a, slot(FRAME)).unwrap();
    kernel.mint(in_a, in_b(&kernel, 5), Some(Rights::READ), 0).unwrap();
    kernel.mint(in_b(&kernel, 5), in_b(&kernel, 6), None, 0).unwrap();
    call(&mut kernel, &mut mock, Syscall::Yield).unwrap();
    assert_eq!(kernel.schedule(), Some(b));
    let map_b =
        |frame, vaddr| Syscall::Map { space: slot(SPACE), frame: slot(frame), vaddr, rights: Rights::READ };
    assert_eq!(call(&mut kernel, &mut mock, map_b(5, 0x8000)), Ok(0));
    assert_eq!(call(&mut kernel, &mut mock, map_b(6, 0x9000)), Ok(0));
    assert_eq!(mock.spaces[&root(&kernel, b)].mapped.len(), 2);
    call(&mut kernel, &mut mock, Syscall::Yield).unwrap();
    assert_eq!(kernel.schedule(), Some(a));

    assert_eq!(call(&mut kernel, &mut mock, Syscall::CapRevoke { slot: slot(FRAME).into() }), Ok(0));
    assert!(mock.spaces[&root(&kernel, b)].mapped.is_empty(), "b's mappings are gone");
    assert!(mock.spaces[&root(&kernel, a)].mapped.is_empty(), "and so is a's own");
    assert!(kernel.caps.get(in_b(&kernel, 5)).is_err() && kernel.caps.get(in_b(&kernel, 6)).is_err());
    assert_eq!(kernel.stats().frames, 1, "the frame itself stays with a's capability");
    assert_eq!(call(&mut kernel, &mut mock, map(FRAME, 0x4000, RW)), Ok(0), "and can be mapped again");
}

#[test]
fn a_dying_process_takes_its_mappings_and_space_but_not_shared_frames() {
    let (mut kernel, mut mock, [a, b]) = world();
    call(&mut kernel, &mut mock, create(ObjectKind::Frame, FRAME)).unwrap();
    call(&mut kernel, &mut mock, map(FRAME, 0x4000, RW)).unwrap();
    let a_frame = kernel.slot_of(a, slot(FRAME)).unwrap();
    kernel.mint(a_frame, kernel.slot_of(b, slot(FRAME)).unwrap(), None, 0).unwrap();
    // b maps its copy into a's space too, through a copy of a's space capability.
    let a_space = kernel.slot_of(a, slot(SPACE)).unwrap();
    kernel.mint(a_space, kernel.slot_of(b, slot(9)).unwrap(), None, 0).unwrap();
    call(&mut kernel, &mut mock, Syscall::Yield).unwrap();
    assert_eq!(kernel.schedule(), Some(b));
    call(&mut kernel, &mut mock, map(FRAME, 0x7000, RW)).unwrap();
    let into_a = Syscall::Map { space: slot(9), frame: slot(FRAME), vaddr: 0x7000, rights: RW };
    assert_eq!(call(&mut kernel, &mut mock, into_a), Err(Error::AlreadyMapped), "the capability maps once");
    kernel
        .mint(kernel.slot_of(b, slot(FRAME)).unwrap(), kernel.slot_of(b, slot(3)).unwrap(), None, 0)
        .unwrap();
    let into_a = Syscall::Map { space: slot(9), frame: slot(3), vaddr: 0x7000, rights: RW };
    assert_eq!(call(&mut kernel, &mut mock, into_a), Ok(0));
    let (root_a, root_b) = (root(&kernel, a), root(&kernel, b));

    mock.call(&mut kernel, Syscall::Exit { status: 0 });
    kernel.check_invariants().unwrap();
    assert!(!mock.spaces.contains_key(&root_b), "b's space is destroyed");
    assert_eq!(
        mock.spaces[&root_a].mapped.keys().copied().collect::<Vec<_>>(),
        [0x4000],
        "b's mapping into a went"
    );
    assert_eq!(kernel.stats().frames, 1);

    // a dies too: its space goes, and with its last capability the frame.
    assert_eq!(kernel.schedule(), Some(a));
    mock.call(&mut kernel, Syscall::Exit { status: 0 });
    kernel.check_invariants().unwrap();
    let stats = kernel.stats();
    assert_eq!((stats.frames, stats.spaces, stats.capabilities, stats.memories), (0, 0, 0, 0));
    assert!(mock.spaces.is_empty() && mock.pages.is_empty());
}

#[test]
fn page_tables_are_charged_to_the_space_and_exhaustion_changes_nothing() {
    let (mut kernel, mut mock, [a, _]) = world();
    // A Memory object with room for the space, one frame and two page tables.
    let budget = PAGE_TABLE_COST + FRAME_COST + 2 * PAGE_TABLE_COST;
    let child =
        Syscall::Create { memory: slot(MEMORY), kind: ObjectKind::Memory, dest: slot(10).into(), budget };
    call(&mut kernel, &mut mock, child).unwrap();
    let from_child =
        |kind, dest| Syscall::Create { memory: slot(10), kind, dest: slot(dest).into(), budget: 0 };
    call(&mut kernel, &mut mock, from_child(ObjectKind::AddressSpace, 11)).unwrap();
    call(&mut kernel, &mut mock, from_child(ObjectKind::Frame, 12)).unwrap();
    let into_new = Syscall::Map { space: slot(11), frame: slot(12), vaddr: 0x4000, rights: RW };
    let pages = mock.pages.len();
    assert_eq!(call(&mut kernel, &mut mock, into_new), Err(Error::OutOfMemory), "needs three tables");
    assert_eq!(mock.pages.len(), pages);
    call(&mut kernel, &mut mock, Syscall::CapIdentify { slot: slot(12).into() }).unwrap();
    assert_eq!(mock.values[&a.index()][3], 0, "not mapped");

    // With room for the third table it works, and all of it comes back when the space goes.
    let info = |kernel: &mut Kernel, mock: &mut Mock| {
        call(kernel, mock, Syscall::MemoryInfo { memory: slot(10) }).unwrap();
        mock.values[&a.index()][1]
    };
    // The child Memory's last capability goes: the space and the frame charged to it go too.
    call(&mut kernel, &mut mock, Syscall::CapDelete { slot: slot(10).into() }).unwrap();
    for reclaimed in [11, 12] {
        let identify = Syscall::CapIdentify { slot: slot(reclaimed).into() };
        assert_eq!(call(&mut kernel, &mut mock, identify), Err(Error::EmptySlot), "slot {reclaimed}");
    }
    assert_eq!(kernel.stats().memories, 1, "the child Memory went, and all it paid for");
    let budget = budget + PAGE_TABLE_COST;
    let child =
        Syscall::Create { memory: slot(MEMORY), kind: ObjectKind::Memory, dest: slot(10).into(), budget };
    call(&mut kernel, &mut mock, child).unwrap();
    call(&mut kernel, &mut mock, from_child(ObjectKind::AddressSpace, 11)).unwrap();
    call(&mut kernel, &mut mock, from_child(ObjectKind::Frame, 12)).unwrap();
    assert_eq!(call(&mut kernel, &mut mock, into_new), Ok(0));
    assert_eq!(info(&mut kernel, &mut mock), budget, "every byte in use");
    call(&mut kernel, &mut mock, Syscall::CapDelete { slot: slot(11).into() }).unwrap();
    assert_eq!(info(&mut kernel, &mut mock), FRAME_COST, "space and tables refunded");
    call(&mut kernel, &mut mock, Syscall::CapIdentify { slot: slot(12).into() }).unwrap();
    assert_eq!(mock.values[&a.index()][3], 0, "the mapping into the dead space is forgotten");
    assert_eq!(call(&mut kernel, &mut mock, Syscall::Unmap { frame: slot(12) }), Err(Error::NotMapped));
}

#[test]
fn physical_memory_exhaustion_is_out_of_memory() {
    let (mut kernel, mut mock, _) = world();
    mock.pages_left = Some(1);
    assert_eq!(call(&mut kernel, &mut mock, create(ObjectKind::Frame, FRAME)), Ok(0));
    assert_eq!(call(&mut kernel, &mut mock, create(ObjectKind::Frame, 3)), Err(Error::OutOfMemory));
    assert_eq!(call(&mut kernel, &mut mock, create(ObjectKind::AddressSpace, 3)), Err(Error::OutOfMemory));
    assert_eq!(used(&mut kernel, &mut mock), FRAME_COST, "the failures charged nothing");
}
