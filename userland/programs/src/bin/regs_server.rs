//! The server of `registers_preserved_across_fastpath`: answers `regs_client`'s calls with
//! `reply_recv` made from assembly with markers in rbx, rbp and r12–r15, checked after each
//! call, and every answer word one more than the word it answers.
#![no_std]
#![no_main]

mod regs_protocol;

use regs_protocol::ipc_with_markers;
use tryst::abi::{MessageInfo, SyscallNumber};
use tryst::ipc::{self, MessageExt};
use tryst::{println, Message, Slot};

tryst::entry!(main);

fn main(calls: u64) -> u32 {
    let endpoint = Slot::new(tryst::boot_info().endpoints[0]).expect("endpoint slot");
    let (_, mut request) = match ipc::recv(endpoint) {
        Ok(first) => first,
        Err(error) => {
            println!("regs_server: recv FAILED: {error:?}");
            return 1;
        }
    };
    let mut bad = 0;
    for n in 1..calls {
        let w = request.words;
        let answer = [w[0] + 1, w[1] + 1, w[2] + 1, w[3] + 1];
        let info = MessageInfo::new(8, 4).encode();
        let args = [u64::from(endpoint), info, answer[0], answer[1], answer[2], answer[3]];
        let marker = 0x5e4e_0000_0000_0000 | n << 8;
        let (status, values, difference) = ipc_with_markers(SyscallNumber::ReplyRecv.into(), marker, args);
        let (badge, message) = Message::from_values(values);
        if status != 0 || difference != 0 || badge != 0 || message.info != MessageInfo::new(7, 4) {
            bad += 1;
            if bad <= 3 {
                println!("regs_server: reply_recv {n} FAILED: status {status}, difference {difference:#x}, values {values:x?}");
            }
        }
        request = message;
    }
    let w = request.words;
    if let Err(error) = ipc::reply(Message::short(8, &[w[0] + 1, w[1] + 1, w[2] + 1, w[3] + 1])) {
        println!("regs_server: last reply FAILED: {error:?}");
        return 1;
    }
    if bad != 0 {
        return 1;
    }
    println!("regs_server: {calls} calls answered; reply_recv kept rbx, rbp and r12-r15 every time");
    0
}
