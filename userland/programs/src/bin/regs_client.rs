//! The client of `registers_preserved_across_fastpath`: as many calls to `regs_server` as its
//! argument says, made from assembly with markers in rbx, rbp and r12–r15, each checked after
//! the call together with the answer's words; between calls, now and then, a spin with
//! markers in every register, long enough for timer ticks (and `regs_ticker`, more urgent)
//! to preempt it.
#![no_std]
#![no_main]

mod regs_protocol;

use regs_protocol::{ipc_with_markers, spin_with_markers};
use tryst::abi::{MessageInfo, SyscallNumber};
use tryst::{println, Slot};

tryst::entry!(main);

/// After how many calls a spin comes.
const SPIN_EVERY: u64 = 1000;
/// Spin rounds: two instructions each, about three timer ticks under `-icount shift=0`.
const SPIN_ROUNDS: u64 = 15_000_000;

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
    if bad_calls != 0 {
        return 1;
    }
    println!("regs_client: {calls} calls kept rbx, rbp and r12-r15 and got the right answers");
    println!("regs_client: {spins} spins across {ticks} timer ticks kept every register");
    0
}
