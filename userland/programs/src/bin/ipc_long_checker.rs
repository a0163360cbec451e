//! Part of `long_message_64_words`, beside `echo_server` and its `echo_client`s: messages whose
//! info word claims more than 64 words must be refused with `MessageTooLong` by `call`,
//! `send`, `nb_send` and `reply`, and reach nobody (the echo server counts its calls exactly,
//! so a stray one would spoil the count). Then one good 64-word call with a pattern of its
//! own must come back with every word answered (each plus one, as `echo_server` does).
#![no_std]
#![no_main]

use tryst::abi::{Error, MessageInfo, SyscallNumber};
use tryst::ipc::{self, word, MessageExt};
use tryst::{caps, println, Message, Slot};

tryst::entry!(main);

/// Makes system call `number` on `endpoint` with the raw info word `info` and no words.
fn raw_call(number: SyscallNumber, endpoint: Slot, info: u64) -> u64 {
    // SAFETY: a deliberately malformed message: the kernel must refuse it while decoding,
    // before it reads or changes anything; no buffer of ours is named.
    unsafe { tryst::raw::syscall(number as u64, [endpoint.into(), info, 0, 0, 0, 0]).0 }
}

/// The one good call: 64 words out, 64 words back, every one checked.
fn good_call(endpoint: Slot, badge: u64) -> Result<(), ()> {
    // A pattern unlike the echo clients': the index in two places, so no word repeats.
    let words: [u64; 64] = core::array::from_fn(|i| 0x5a5a << 48 | (i as u64) << 32 | u64::from(!(i as u32)));
    let answer = ipc::call(endpoint, Message::long(9, &words)).map_err(|error| {
        println!("ipc_long_checker: the good 64-word call failed: {error:?} (FAILED)");
    })?;
    if answer.info.length != 64 || answer.info.label != badge {
        println!(
            "ipc_long_checker: the answer has {} words and badge {}, not 64 and {badge} (FAILED)",
            answer.info.length, answer.info.label
        );
        return Err(());
    }
    for (i, &sent) in words.iter().enumerate() {
        if word(&answer, i) != sent + 1 {
            println!(
                "ipc_long_checker: answer word {i} is {:#x}, not {:#x} (FAILED)",
                word(&answer, i),
                sent + 1
            );
            return Err(());
        }
    }
    Ok(())
}

fn main(_: u64) -> u32 {
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("boot endpoint slot");
    let too_long = [
        ("call claiming 65 words", SyscallNumber::Call, 65),
        ("call claiming 65 words with a label", SyscallNumber::Call, MessageInfo::new(7, 0).encode() | 65),
        ("call claiming 127 words", SyscallNumber::Call, 127),
        ("send claiming 65 words", SyscallNumber::Send, 65),
        ("nb_send claiming 65 words", SyscallNumber::NbSend, 65),
        ("reply claiming 65 words", SyscallNumber::Reply, 65),
    ];
    let mut failures = 0;
    for (what, number, info) in too_long {
        let status = raw_call(number, endpoint, info);
        if status == Error::MessageTooLong as u64 {
            println!("ipc_long_checker: {what}: MessageTooLong, as expected");
        } else {
            println!("ipc_long_checker: {what}: status {status}, expected MessageTooLong (FAILED)");
            failures += 1;
        }
    }
    let badge = caps::identify(endpoint).map_or(0, |info| info.badge);
    if good_call(endpoint, badge).is_ok() {
        println!("ipc_long_checker: a 64-word call after the refused ones: all 64 words answered");
    } else {
        failures += 1;
    }
    if failures == 0 {
        0
    } else {
        1
    }
}
