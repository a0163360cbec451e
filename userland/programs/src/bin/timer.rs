//! The timer server: time, sleeps and timeouts for its clients (protocol and client side in
//! `tryst::timer`), from a device the kernel does not use: the CMOS real-time clock, whose
//! periodic interrupt (IRQ 8) ticks 1024 times a second. The kernel keeps the PIT for its own
//! scheduling; time for programs comes from here.
//!
//! Each client (told apart by its capability's badge, 1..=MAX_CLIENTS) has `ALARMS` alarms.
//! On every tick the server fires the alarms that are due, earliest first, by signalling the
//! notification each was registered with. The interrupt line signals a notification bound to
//! the server's thread, so ticks reach it while it waits for requests.
//!
//! Boot capabilities: its endpoint (unbadged: the one that may stop it), the IrqHandler for
//! line 8, ports 0x70–0x71.
#![no_std]
#![no_main]

mod caps_common;

use caps_common::{boot_endpoint, slot};
use tryst::abi::BindMode;
use tryst::ipc::{self, Event, MessageExt};
use tryst::timer::{AFTER, ALARMS, AT, CANCEL, NOW, REGISTER, STOP, TICKS_PER_SECOND};
use tryst::{caps, device, notify, println, Error, Message, Slot};

tryst::entry!(main);

/// The most clients: badges 1..=MAX_CLIENTS.
const MAX_CLIENTS: u64 = 16;
/// Where a registered capability lands when it arrives.
const ARRIVALS: u64 = 40;
/// The first of the registered notification capabilities (see `registered_slot`).
const REGISTERED: u64 = 41;

// The CMOS real-time clock's ports and registers.
const CMOS_INDEX: u16 = 0x70;
const CMOS_DATA: u16 = 0x71;
/// Set in an index write: NMIs stay off while a register is being changed.
const NMI_OFF: u8 = 0x80;
const REGISTER_A: u8 = 0x0a;
const REGISTER_B: u8 = 0x0b;
const REGISTER_C: u8 = 0x0c;
/// Register A's rate for 1024 interrupts a second (32768 Hz >> (rate - 1)).
const RATE_1024_HZ: u8 = 6;
/// Register B: periodic interrupts on.
const PERIODIC_ENABLE: u8 = 1 << 6;
/// Register C: a periodic interrupt happened (reading C acknowledges it).
const PERIODIC_FLAG: u8 = 1 << 6;

/// The real-time clock, through the server's port capability.
struct Clock {
    ports: Slot,
}

impl Clock {
    fn read(&self, register: u8) -> Result<u8, Error> {
        device::write_u8(self.ports, CMOS_INDEX, NMI_OFF | register)?;
        device::read_u8(self.ports, CMOS_DATA)
    }

    fn write(&self, register: u8, value: u8) -> Result<(), Error> {
        device::write_u8(self.ports, CMOS_INDEX, NMI_OFF | register)?;
        device::write_u8(self.ports, CMOS_DATA, value)
    }

    /// Periodic interrupts at 1024 Hz.
    fn start(&self) -> Result<(), Error> {
        let a = self.read(REGISTER_A)?;
        self.write(REGISTER_A, (a & 0xf0) | RATE_1024_HZ)?;
        let b = self.read(REGISTER_B)?;
        self.write(REGISTER_B, b | PERIODIC_ENABLE)?;
        self.take_interrupt().map(drop)
    }

    /// Acknowledges the clock's interrupt (the next comes only once this is read); returns
    /// whether it was a periodic one. NMIs are back on afterwards.
    fn take_interrupt(&self) -> Result<bool, Error> {
        let c = self.read(REGISTER_C)?;
        device::write_u8(self.ports, CMOS_INDEX, REGISTER_C)?;
        Ok(c & PERIODIC_FLAG != 0)
    }
}

/// Every client's alarms: the server's time (ns) each goes off at, if set.
struct Alarms {
    deadlines: [[Option<u64>; ALARMS as usize]; MAX_CLIENTS as usize],
    registered: [[bool; ALARMS as usize]; MAX_CLIENTS as usize],
}

/// The server's time after `ticks` ticks, in ns, rounded down (never ahead of real time).
fn time_of(ticks: u64) -> u64 {
    (u128::from(ticks) * 1_000_000_000 / u128::from(TICKS_PER_SECOND)) as u64
}

/// The first instant after tick `ticks` ends, in ns, rounded up: a request that arrived
/// during that tick arrived before it.
fn end_of(ticks: u64) -> u64 {
    (u128::from(ticks + 1) * 1_000_000_000).div_ceil(u128::from(TICKS_PER_SECOND)) as u64
}

fn main(_: u64) -> u32 {
    match serve() {
        Ok(()) => 0,
        Err(error) => {
            println!("timer: FAILED: {error:?}");
            1
        }
    }
}

fn serve() -> Result<(), Error> {
    let (endpoint, irq, ports) = (boot_endpoint(0), boot_endpoint(1), boot_endpoint(2));
    let boot = tryst::boot_info();
    let ticked = slot(boot.first_free_slot);
    caps::create_notification(slot(boot.memory_slot), ticked)?;
    notify::bind(slot(boot.thread_slot), ticked, BindMode::Receive)?;
    let clock = Clock { ports };
    clock.start()?;
    device::irq_set_notification(irq, ticked)?;
    println!("timer: the real-time clock ticks at {TICKS_PER_SECOND} Hz on IRQ 8");
    let mut alarms = Alarms {
        deadlines: [[None; ALARMS as usize]; MAX_CLIENTS as usize],
        registered: [[false; ALARMS as usize]; MAX_CLIENTS as usize],
    };
    let mut ticks = 0u64;
    ipc::set_receive_slots(&[slot(ARRIVALS)]);
    let mut event = ipc::recv_event(endpoint)?;
    loop {
        event = match event {
            Event::Signal { .. } => {
                if clock.take_interrupt()? {
                    ticks += 1;
                }
                device::irq_ack(irq)?;
                alarms.fire_due(time_of(ticks));
                ipc::recv_event(endpoint)?
            }
            Event::Message { badge, message } => {
                if badge == 0 && message.info.label == STOP {
                    println!("timer: stopped after {ticks} ticks");
                    return ipc::reply(Message::short(0, &[]));
                }
                let answer = alarms.handle(badge, &message, ticks);
                if message.info.caps > 0 {
                    // A capability the request did not keep goes, to leave room for the next.
                    let _ = caps::delete(slot(ARRIVALS));
                }
                let answer = answer.unwrap_or_else(|error| Message::short(u64::from(error), &[]));
                ipc::reply_recv_event(endpoint, answer)?
            }
        };
    }
}

impl Alarms {
    /// Answers one client request at tick `ticks`.
    fn handle(&mut self, badge: u64, message: &Message, ticks: u64) -> Result<Message, Error> {
        let now = time_of(ticks);
        if message.info.label == NOW {
            return Ok(Message::short(0, &[now]));
        }
        let (client, alarm) = (client_index(badge)?, ipc::word(message, 0));
        if alarm >= ALARMS {
            return Err(Error::InvalidArgument);
        }
        let (c, a) = (client, alarm as usize);
        let registered = registered_slot(c, a);
        match message.info.label {
            REGISTER => {
                if message.info.caps != 1 {
                    return Err(Error::InvalidArgument);
                }
                if self.registered[c][a] {
                    caps::delete(registered)?;
                }
                caps::move_cap(slot(ARRIVALS), registered)?;
                (self.registered[c][a], self.deadlines[c][a]) = (true, None);
                Ok(Message::short(0, &[]))
            }
            _ if !self.registered[c][a] => Err(Error::InvalidArgument),
            AFTER => {
                let deadline = end_of(ticks).saturating_add(ipc::word(message, 1));
                self.deadlines[c][a] = Some(deadline);
                Ok(Message::short(0, &[deadline]))
            }
            AT => {
                self.deadlines[c][a] = Some(ipc::word(message, 1));
                self.fire_due(now);
                Ok(Message::short(0, &[]))
            }
            CANCEL => Ok(Message::short(0, &[u64::from(self.deadlines[c][a].take().is_some())])),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// Signals every alarm due at `now`, earliest deadline first.
    fn fire_due(&mut self, now: u64) {
        while let Some((c, a, _)) = self.earliest().filter(|&(_, _, deadline)| deadline <= now) {
            self.deadlines[c][a] = None;
            // A client that deleted its notification misses its alarm; the others do not.
            let _ = notify::signal(registered_slot(c, a));
        }
    }

    /// The alarm set to go off first, and its deadline.
    fn earliest(&self) -> Option<(usize, usize, u64)> {
        let set = self.deadlines.iter().enumerate().flat_map(|(c, alarms)| {
            alarms.iter().enumerate().filter_map(move |(a, deadline)| deadline.map(|d| (c, a, d)))
        });
        set.min_by_key(|&(_, _, deadline)| deadline)
    }
}

/// Where the notification capability of client row `client`'s alarm `alarm` is kept.
fn registered_slot(client: usize, alarm: usize) -> Slot {
    slot(REGISTERED + client as u64 * ALARMS + alarm as u64)
}

/// The table row of the client with `badge`.
fn client_index(badge: u64) -> Result<usize, Error> {
    match badge {
        1..=MAX_CLIENTS => Ok(badge as usize - 1),
        _ => Err(Error::InvalidArgument),
    }
}
