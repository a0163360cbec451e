//! The client of `registers_preserved_across_fastpath`: as many calls to `regs_server` as its
//! argument says, made from assembly with markers in rbx, rbp and r12–r15, each checked after
//! the call together with the answer's words; between calls, now and then, a spin with
//! markers in every register, long enough for timer ticks (and `regs_ticker`, more urgent)
//! to preempt it. Last, RFLAGS across the null system call and across a preempted spin: the
//! flags user code owns come back as they were, and the kernel's (NT here) do not.
#![no_std]
#![no_main]

mod regs_protocol;

use regs_protocol::{flags_across_spin, flags_across_syscall, ipc_with_markers, spin_with_markers};
use tryst::abi::{MessageInfo, SyscallNumber};
use tryst::{println, Slot};

tryst::entry!(main);

/// After how many calls a spin comes.
const SPIN_EVERY: u64 = 1000;
/// Spin rounds: two instructions each, about three timer ticks under `-icount shift=0`.
const SPIN_ROUNDS: u64 = 15_000_000;

/// RFLAGS bits: carry, interrupts on, direction, nested task, alignment check; I/O privilege.
const CF: u64 = 1 << 0;
const IF: u64 = 1 << 9;
const DF: u64 = 1 << 10;
const NT: u64 = 1 << 14;
const AC: u64 = 1 << 18;
const IOPL: u64 = 3 << 12;

fn main(calls: u64) -> u32 {
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("endpoint slot");
    let (mut bad_calls, mut spins, mut ticks) = (0, 0, 0);
    for n in 0..calls {
        let marker = 0x5eed_0000_0000_0000 | n << 8;
        let words = [n, !n, n << 32, 0xc0ffee ^ n];
        let info = MessageInfo::new(7, 4).encode();
        let args = [u64::from(endpoint), info, words[0], words[1], words[2], words[3]];
        let (status, values, difference) = ipc_with_markers(SyscallNumber::Call.into(), marker, args);
        let expected =
            [0, MessageInfo::new(8, 4).encode(), words[0] + 1, words[1] + 1, words[2] + 1, words[3] + 1];
        if status != 0 || values != expected || difference != 0 {
            bad_calls += 1;
            if bad_calls <= 3 {
                println!(
                    "regs_client: call {n} FAILED: status {status}, values {values:x?}, register difference {difference:#x}"
                );
            }
        }
        if n % SPIN_EVERY == SPIN_EVERY / 2 {
            let before = tryst::now();
            let difference = spin_with_markers(SPIN_ROUNDS, marker);
            ticks += tryst::now() - before;
            spins += 1;
            if difference != 0 {
                println!("regs_client: spin after call {n} FAILED: register difference {difference:#x}");
                bad_calls += 1;
            }
        }
    }
    // Set CF, DF and AC (the thread's own) and NT (not a user thread's), then look at every
    // flag that decides privilege or that user code owns.
    let set = (1 << 1) | IF | CF | DF | AC | NT;
    let looked_at = CF | IF | DF | NT | AC | IOPL;
    let wanted = CF | IF | DF | AC;
    let before = tryst::now();
    let flags = [flags_across_syscall(set), flags_across_spin(SPIN_ROUNDS, set)];
    let flag_ticks = tryst::now() - before;
    if flags.iter().any(|f| f & looked_at != wanted) || flag_ticks == 0 {
        println!(
            "regs_client: RFLAGS FAILED: {:#x} after the system call, {:#x} after {flag_ticks} ticks",
            flags[0], flags[1]
        );
        bad_calls += 1;
    }
    if bad_calls != 0 {
        return 1;
    }
    println!("regs_client: RFLAGS kept CF, DF and AC, lost NT and kept IF on, across a system call and a preempted spin");
    println!("regs_client: {calls} calls kept rbx, rbp and r12-r15 and got the right answers");
    println!("regs_client: {spins} spins across {ticks} timer ticks kept every register");
    0
}
