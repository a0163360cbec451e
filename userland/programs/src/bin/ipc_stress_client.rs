//! A client of `ipc_stress_no_leak`: makes `argument & 0xffff_ffff` calls, alternating between
//! the two stress servers (its first two endpoints, where its badge names it), each carrying
//! its next sequence number for that server. Every `CAP_EVERY`th call also carries a
//! capability, in turn a new endpoint, a Write-only copy of its capability to that server, and
//! a new Memory object; it deletes its own copy once the call is answered, so every object it
//! makes dies. It checks every answer, then reports to the monitor (third endpoint: its
//! number `argument >> 32`, calls per server, capabilities sent, problems) and waits for the
//! monitor's word to exit (fourth endpoint), so that all processes still exist when the monitor
//! takes its final count of kernel objects.
#![no_std]
#![no_main]

use tryst::caps;
use tryst::ipc::{self, MessageExt};
use tryst::{println, Error, Message, Rights, Slot};

mod ipc_stress_protocol;
use ipc_stress_protocol::{GIFT_BUDGET, GOOD, PLAIN, WITH_ENDPOINT, WITH_MEMORY, WITH_MINTED};

tryst::entry!(main);

/// How often a call carries a capability: odd, so that both servers get some.
const CAP_EVERY: u64 = 7;
/// Problems printed in full; after this many the client stops calling.
const SHOWN: u64 = 5;

/// This client's own slots and badge.
struct Client {
    badge: u64,
    /// The empty slot where the capability a call carries is made.
    gift: Slot,
    memory: Slot,
}

impl Client {
    /// Makes the capability a `label` call to `server` carries, in the gift slot.
    fn make_gift(&self, label: u64, server: Slot) -> Result<(), Error> {
        match label {
            WITH_ENDPOINT => caps::create_endpoint(self.memory, self.gift),
            WITH_MINTED => caps::mint(server, self.gift, Rights::WRITE, 0),
            _ => caps::create_memory(self.memory, self.gift, GIFT_BUDGET),
        }
    }

    /// One call to `server` with sequence number `sequence`; checks the answer.
    fn call(&self, server: Slot, label: u64, sequence: u64) -> Result<(), Error> {
        let mut request = Message::short(label, &[sequence]);
        if label != PLAIN {
            self.make_gift(label, server)?;
            request = request.with_caps(&[self.gift]);
        }
        let answer = ipc::call(server, request);
        if label != PLAIN {
            caps::delete(self.gift)?;
        }
        let answer = answer?;
        let expected = [sequence, self.badge, u64::from(label != PLAIN)];
        if answer.info.label != GOOD || answer.words[..3] != expected {
            println!(
                "ipc_stress_client {}: call {sequence} answered {} {:?}, expected {GOOD} {expected:?} (FAILED)",
                self.badge,
                answer.info.label,
                &answer.words[..3]
            );
            return Err(Error::InvalidArgument);
        }
        Ok(())
    }
}

/// The label of call `n`: every `CAP_EVERY`th carries a capability, of each kind in turn.
fn label_of(n: u64) -> u64 {
    if n % CAP_EVERY == CAP_EVERY - 1 {
        [WITH_ENDPOINT, WITH_MINTED, WITH_MEMORY][(n / CAP_EVERY % 3) as usize]
    } else {
        PLAIN
    }
}

fn main(argument: u64) -> u32 {
    let calls = argument & 0xffff_ffff;
    let me = argument >> 32;
    let info = tryst::boot_info();
    let endpoint = |n: usize| Slot::new(info.endpoints[n]).expect("boot endpoint slot");
    let servers = [endpoint(0), endpoint(1)];
    let (monitor, release) = (endpoint(2), endpoint(3));
    let client = Client {
        badge: caps::identify(servers[0]).map_or(0, |cap| cap.badge),
        gift: Slot::new(info.first_free_slot).expect("a free slot"),
        memory: Slot::new(info.memory_slot).expect("boot memory slot"),
    };

    let mut sent = [0u64; 2];
    let (mut gifts, mut problems) = (0u64, 0u64);
    for n in 0..calls {
        let (which, label) = ((n % 2) as usize, label_of(n));
        match client.call(servers[which], label, sent[which]) {
            Ok(()) => {
                sent[which] += 1;
                gifts += u64::from(label != PLAIN);
            }
            Err(error) => {
                println!("ipc_stress_client {me}: call {n} ({label}) failed: {error:?} (FAILED)");
                problems += 1;
                if problems >= SHOWN {
                    break;
                }
            }
        }
    }
    println!(
        "ipc_stress_client {me}: {} calls to server 1, {} to server 2, {gifts} capabilities sent; {problems} problems",
        sent[0], sent[1]
    );
    let report = Message::short(me, &[sent[0], sent[1], gifts, problems]);
    if let Err(error) = ipc::send(monitor, report) {
        println!("ipc_stress_client {me}: reporting failed: {error:?} (FAILED)");
        return 1;
    }
    if let Err(error) = ipc::recv(release) {
        println!("ipc_stress_client {me}: waiting for the monitor failed: {error:?} (FAILED)");
        return 1;
    }
    u32::from(problems != 0)
}
