//! `fault_handler_maps_and_resumes`: a user-space pager. The client names an endpoint as its
//! fault handler and gives the pager its address space and thread; then it touches pages
//! that are not mapped. Each touch stops it with a page fault that arrives at the pager as a
//! message (kind, address, instruction pointer, access); the pager makes a Frame, writes a
//! value into it through its own mapping, maps a copy in the client's space at the faulting
//! page, and replies: the client resumes at the faulting instruction and reads the value.
//! Finally the client executes `ud2`; the pager receives that fault too and kills the client
//! through its Thread capability. The endpoint's counters then show every fault message and
//! every reply to one (`fault_replies_counted`).
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot, Checks, Hex};
use tryst::abi::FaultKind;
use tryst::fault::{Access, FaultInfo};
use tryst::ipc::{self, MessageExt};
use tryst::memory::{self, PAGE, READ_WRITE};
use tryst::{caps, println, Message, Rights};

tryst::entry!(main);

const PAGER: u64 = 0;
/// The badge of the client's fault-handler capability.
const CLIENT_BADGE: u64 = 77;
/// The pages the client touches, unmapped until the pager maps them.
const TOUCHED: [u64; 3] = [0x5000_0008, 0x5000_1ff0, 0x5000_3000];
/// Where the pager maps the frames it hands out, to fill them.
const PAGER_WINDOW: u64 = 0x6000_0000;

/// The value the pager puts at `address` (and the client expects there).
fn value_for(address: u64) -> u64 {
    address ^ 0x5eed_0000_0000_0000
}

fn main(role: u64) -> u32 {
    if role == PAGER {
        pager()
    } else {
        client()
    }
}

fn pager() -> u32 {
    let mut checks = Checks::new("fault_handler pager");
    let boot = tryst::boot_info();
    let (endpoint, memory, own) = (boot_endpoint(0), slot(boot.memory_slot), slot(boot.space_slot));
    let first = boot.first_free_slot;
    let (client_space, client_thread) = (slot(first), slot(first + 1));
    ipc::set_receive_slots(&[client_space, client_thread]);
    let Some((_, hello)) = checks.ok("receive the client's address space and thread", ipc::recv(endpoint))
    else {
        return checks.finish();
    };
    checks.equal("capabilities received", hello.info.caps, 2);
    checks.ok("answer the client", ipc::reply(Message::short(0, &[])));
    let start = caps::kernel_stats();
    let mut next_slot = first + 2;
    for (n, &address) in TOUCHED.iter().enumerate() {
        let Some((badge, message)) = checks.ok("receive a fault", ipc::recv(endpoint)) else {
            return checks.finish();
        };
        let Some(fault) = FaultInfo::from_message(&message) else {
            checks.equal("a fault message", Some(message.info.label), None);
            return checks.finish();
        };
        checks.equal("the badge of the faulting client", badge, CLIENT_BADGE);
        checks.equal("fault kind", fault.kind, Some(FaultKind::PageFault));
        checks.equal(
            "fault address and access",
            fault.page.map(|(a, access)| (Hex(a), access)),
            Some((Hex(address), Access::Read)),
        );
        let in_code = (0x20_0000..0x100_0000).contains(&fault.ip);
        checks.equal("the faulting instruction is in the client's code", in_code, true);
        let (frame, copy) = (slot(next_slot), slot(next_slot + 1));
        next_slot += 2;
        let page = address & !(PAGE - 1);
        let window = PAGER_WINDOW + n as u64 * PAGE;
        checks.ok("make a frame", caps::create_frame(memory, frame));
        checks.ok("map it here", memory::map(own, frame, window, READ_WRITE));
        // SAFETY: the frame was just mapped read-write at `window`; the word is inside it and
        // 8-byte aligned. Volatile: the client reads it through another mapping.
        unsafe { core::ptr::write_volatile((window + (address - page)) as *mut u64, value_for(address)) };
        checks.ok("copy the frame capability", caps::copy(frame, copy));
        checks.ok("map the copy in the client's space", memory::map(client_space, copy, page, READ_WRITE));
        println!("fault_handler pager: fault {n} at {address:#x}: mapped a frame at {page:#x}, resuming the client");
        checks.ok("resume the client", ipc::reply(Message::short(0, &[])));
    }
    let frames = caps::kernel_stats().frames - start.frames;
    checks.equal("frames made for the client", frames, TOUCHED.len() as u64);
    // The last fault: an invalid opcode, answered by killing the client.
    if let Some((_, message)) = checks.ok("receive the last fault", ipc::recv(endpoint)) {
        let fault = FaultInfo::from_message(&message);
        checks.equal("its kind", fault.map(|f| f.kind), Some(Some(FaultKind::InvalidOpcode)));
        checks.ok("kill the client", caps::destroy_thread(client_thread));
    }
    checks.equal("the client's capabilities went with it", caps::identify(client_space).is_err(), true);
    // The hello call and four faults came in as calls; the hello and three faults were
    // answered (the last fault was not: the client was killed instead).
    if let Some(s) = checks.ok("read the endpoint's traffic", ipc::endpoint_stats(endpoint)) {
        let traffic = (s.messages, s.calls, s.replies, s.caps);
        checks.equal("endpoint traffic (messages, calls, replies, caps)", traffic, (5, 5, 4, 2));
    }
    checks.finish()
}

fn client() -> u32 {
    let mut checks = Checks::new("fault_handler client");
    let boot = tryst::boot_info();
    let endpoint = boot_endpoint(0);
    let handler = slot(boot.first_free_slot);
    let (thread, space) = (slot(boot.thread_slot), slot(boot.space_slot));
    checks.ok("mint a handler capability", caps::mint(endpoint, handler, Rights::WRITE, CLIENT_BADGE));
    checks.ok("name it as the fault handler", caps::set_fault_handler(thread, Some(handler)));
    let hello = Message::short(1, &[]).with_caps(&[space, thread]);
    checks.ok("give the pager the address space and thread", ipc::call(endpoint, hello));
    for &address in &TOUCHED {
        // SAFETY: the address is unmapped; the read faults, the pager maps a page there and
        // the read is retried. No Rust object lives there.
        let value = unsafe { core::ptr::read_volatile(address as *const u64) };
        checks.equal("value read after the pager mapped the page", Hex(value), Hex(value_for(address)));
    }
    println!("fault_handler client: all three pages arrived; executing ud2");
    // SAFETY: ud2 raises #UD; the pager ends this thread, so nothing runs after it.
    unsafe { core::arch::asm!("ud2") };
    println!("fault_handler client: FAILED: resumed after ud2");
    1
}
