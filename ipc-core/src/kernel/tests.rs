//! Whole-kernel scenarios on a mock machine: scheduling, sleeping, faults and system calls,
//! deterministic and in milliseconds.

use super::*;
use crate::abi::Error;
use crate::abi::{FaultKind, SyscallNumber, UserBuffer};
use crate::fault::Access;
use crate::mock::Mock;

fn call(kernel: &mut Kernel, mock: &mut Mock, call: Syscall) {
    mock.call(kernel, call);
}

/// Runs `ticks` timer ticks and returns the thread that ran in each.
fn run_ticks(kernel: &mut Kernel, mock: &mut Mock, ticks: usize) -> Vec<Option<ThreadId>> {
    (0..ticks)
        .map(|_| {
            let running = kernel.schedule();
            kernel.tick(mock);
            running
        })
        .collect()
}

#[test]
fn equal_priorities_share_the_cpu_round_robin() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let a = kernel.spawn("a", 5).unwrap();
    let b = kernel.spawn("b", 5).unwrap();
    let c = kernel.spawn("c", 5).unwrap();
    let ran = run_ticks(&mut kernel, &mut mock, 12);
    let slice = TIME_SLICE_TICKS as usize;
    for (tick, running) in ran.iter().enumerate() {
        let expected = [a, b, c][(tick / slice) % 3];
        assert_eq!(*running, Some(expected), "tick {tick}");
    }
}

#[test]
fn a_higher_priority_thread_runs_alone_until_it_blocks() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let low = kernel.spawn("low", 1).unwrap();
    let high = kernel.spawn("high", 9).unwrap();
    assert_eq!(run_ticks(&mut kernel, &mut mock, 5), vec![Some(high); 5]);
    call(&mut kernel, &mut mock, Syscall::Sleep { ticks: 3 });
    assert_eq!(kernel.schedule(), Some(low));
    // low runs only while high sleeps; high preempts it at the tick it wakes.
    kernel.tick(&mut mock);
    assert_eq!(kernel.schedule(), Some(low));
    kernel.tick(&mut mock);
    assert_eq!(kernel.schedule(), Some(low));
    kernel.tick(&mut mock);
    assert_eq!(kernel.schedule(), Some(high), "woken at its deadline, preempting low");
    assert_eq!(mock.results[&high.index()], Ok(kernel.now()));
}

#[test]
fn a_preempted_thread_keeps_its_place_and_slice() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let first = kernel.spawn("first", 2).unwrap();
    let second = kernel.spawn("second", 2).unwrap();
    let urgent = kernel.spawn("urgent", 7).unwrap();
    assert_eq!(kernel.schedule(), Some(urgent));
    call(&mut kernel, &mut mock, Syscall::Sleep { ticks: 1 });
    assert_eq!(kernel.schedule(), Some(first));
    kernel.tick(&mut mock); // urgent wakes; first has used one tick of its slice
    assert_eq!(kernel.schedule(), Some(urgent));
    call(&mut kernel, &mut mock, Syscall::Exit { status: 0 });
    assert_eq!(kernel.schedule(), Some(first), "first resumes ahead of second");
    kernel.tick(&mut mock);
    assert_eq!(kernel.schedule(), Some(second), "first had one tick left, not a fresh slice");
}

#[test]
fn yield_passes_to_an_equal_peer_and_returns_success() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let a = kernel.spawn("a", 3).unwrap();
    let b = kernel.spawn("b", 3).unwrap();
    assert_eq!(kernel.schedule(), Some(a));
    call(&mut kernel, &mut mock, Syscall::Yield);
    assert_eq!(mock.results[&a.index()], Ok(0));
    assert_eq!(kernel.schedule(), Some(b));
    call(&mut kernel, &mut mock, Syscall::Yield);
    assert_eq!(kernel.schedule(), Some(a));
}

#[test]
fn yield_alone_keeps_running() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let a = kernel.spawn("a", 3).unwrap();
    assert_eq!(kernel.schedule(), Some(a));
    call(&mut kernel, &mut mock, Syscall::Yield);
    assert_eq!(kernel.schedule(), Some(a));
}

#[test]
fn sleepers_wake_in_deadline_order_and_never_early() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let long = kernel.spawn("long", 4).unwrap();
    let short = kernel.spawn("short", 4).unwrap();
    assert_eq!(kernel.schedule(), Some(long));
    call(&mut kernel, &mut mock, Syscall::Sleep { ticks: 5 });
    assert_eq!(kernel.schedule(), Some(short));
    call(&mut kernel, &mut mock, Syscall::Sleep { ticks: 2 });
    assert_eq!(kernel.schedule(), None, "idle");
    let mut woke = Vec::new();
    for _ in 0..6 {
        kernel.tick(&mut mock);
        while let Some(thread) = kernel.schedule() {
            woke.push((thread, kernel.now()));
            call(&mut kernel, &mut mock, Syscall::Exit { status: 0 });
        }
    }
    assert_eq!(woke, vec![(short, 2), (long, 5)]);
}

#[test]
fn sleep_zero_reads_the_clock_without_blocking() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let a = kernel.spawn("a", 1).unwrap();
    kernel.schedule();
    kernel.tick(&mut mock);
    call(&mut kernel, &mut mock, Syscall::Sleep { ticks: 0 });
    assert_eq!(mock.results[&a.index()], Ok(1));
    assert_eq!(kernel.current(), Some(a));
}

#[test]
fn exit_reports_status_and_releases_the_thread() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let a = kernel.spawn("exit_status", 1).unwrap();
    kernel.schedule();
    call(&mut kernel, &mut mock, Syscall::Exit { status: 42 });
    assert_eq!(mock.console, format!("tryst: process {} (exit_status) exited with status 42\n", a.number()));
    assert_eq!(mock.released, vec![a]);
    assert_eq!(kernel.thread_count(), 0);
    assert_eq!(kernel.schedule(), None);
}

#[test]
fn a_fault_stops_only_the_faulting_thread() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let bad = kernel.spawn("null_deref", 1).unwrap();
    let good = kernel.spawn("sibling", 1).unwrap();
    assert_eq!(kernel.schedule(), Some(bad));
    let fault = Fault { kind: FaultKind::PageFault, ip: 0x40_1000, page: Some((0, Access::Read)) };
    kernel.fault(&mut mock, fault);
    assert_eq!(
        mock.console,
        format!(
            "tryst: process {} (null_deref) stopped: page fault at 0x0 (read, ip 0x401000)\n",
            bad.number()
        )
    );
    assert!(kernel.thread(bad).is_none());
    assert_eq!(kernel.schedule(), Some(good));
}

#[test]
fn debug_write_copies_then_writes() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let a = kernel.spawn("writer", 1).unwrap();
    mock.memory.insert(a.index(), (0x1000, b"hello, world".to_vec()));
    kernel.schedule();
    call(&mut kernel, &mut mock, Syscall::DebugWrite { buf: UserBuffer { addr: 0x1007, len: 5 } });
    assert_eq!(mock.console, "world");
    assert_eq!(mock.results[&a.index()], Ok(5));
}

#[test]
fn a_failing_debug_write_writes_nothing() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let a = kernel.spawn("writer", 1).unwrap();
    mock.memory.insert(a.index(), (0x1000, b"hello".to_vec()));
    kernel.schedule();
    // Starts mapped, runs off the end of the mapping.
    call(&mut kernel, &mut mock, Syscall::DebugWrite { buf: UserBuffer { addr: 0x1002, len: 10 } });
    assert_eq!(mock.results[&a.index()], Err(Error::BadAddress));
    assert_eq!(mock.console, "");
    assert_eq!(kernel.current(), Some(a), "an error is not a fault");
}

#[test]
fn malformed_calls_return_errors_and_change_nothing() {
    let (mut kernel, mut mock) = (Kernel::new(), Mock::default());
    let a = kernel.spawn("fuzzer", 1).unwrap();
    kernel.schedule();
    let cases: [(u64, [u64; 6], Error); 5] = [
        (99, [0; 6], Error::UnknownSyscall),
        (SyscallNumber::DebugWrite.into(), [0x1000, 1 << 20, 0, 0, 0, 0], Error::InvalidArgument),
        (SyscallNumber::DebugWrite.into(), [0xffff_ffff_8000_0000, 8, 0, 0, 0, 0], Error::BadAddress),
        (SyscallNumber::Exit.into(), [1 << 40, 0, 0, 0, 0, 0], Error::InvalidArgument),
        (SyscallNumber::Sleep.into(), [u64::MAX, 0, 0, 0, 0, 0], Error::InvalidArgument),
    ];
    for (number, args, error) in cases {
        mock.raw(&mut kernel, number, args);
        assert_eq!(mock.results[&a.index()], Err(error), "syscall {number} {args:?}");
        assert_eq!(kernel.current(), Some(a));
        assert_eq!(kernel.thread_count(), 1);
    }
    assert_eq!(mock.console, "");
}

#[test]
fn the_thread_table_fills_without_panicking() {
    let mut kernel = Kernel::new();
    for _ in 0..crate::MAX_THREADS {
        kernel.spawn("t", 1).unwrap();
    }
    assert_eq!(kernel.spawn("extra", 1), Err(SpawnError::TooManyThreads));
}
