//! Interrupt lines and I/O ports on the mock machine: one handler per line, delivery to a
//! notification, acknowledgement, and port ranges.

use crate::abi::{BootInfo, Error, ObjectKind, Rights, Slot, Syscall};
use crate::mock::Mock;
use crate::{Kernel, ThreadId};

const MEMORY: u64 = BootInfo::MEMORY_SLOT;
const CONTROL: u64 = BootInfo::IRQ_CONTROL_SLOT;
const PORTS: u64 = BootInfo::IO_PORTS_SLOT;
const NTFN: u64 = 3;
const HANDLER: u64 = 4;
const COM1: u64 = 5;

fn slot(n: u64) -> Slot {
    Slot::new(n).unwrap()
}

/// One driver thread with boot Memory, IrqControl, ports 0x100..=0xffff and a notification.
fn driver() -> (Box<Kernel>, Mock, ThreadId) {
    let (mut k, mut m) = (Box::new(Kernel::new()), Mock::default());
    let t = k.spawn("driver", 5).unwrap();
    let at = |k: &Kernel, n| k.slot_of(t, slot(n)).unwrap();
    k.boot_memory(at(&k, MEMORY), 1 << 16).unwrap();
    k.boot_devices(at(&k, CONTROL), at(&k, PORTS), 0, 0xffff).unwrap();
    k.create(&mut m, at(&k, MEMORY), ObjectKind::Notification, at(&k, NTFN), 0).unwrap();
    assert_eq!(k.schedule(), Some(t));
    (k, m, t)
}

fn call(k: &mut Kernel, m: &mut Mock, t: ThreadId, call: Syscall) -> Result<u64, Error> {
    m.call(k, call);
    k.check_invariants().unwrap();
    m.results[&t.index()]
}

fn get(line: u8, dest: u64) -> Syscall {
    Syscall::IrqControlGet { control: slot(CONTROL), line, dest: slot(dest).into() }
}

#[test]
fn a_line_has_one_handler_and_the_kernels_lines_are_refused() {
    let (mut k, mut m, t) = driver();
    assert_eq!(call(&mut k, &mut m, t, get(4, HANDLER)), Ok(0));
    assert_eq!(call(&mut k, &mut m, t, get(4, 20)), Err(Error::AlreadyBound), "a second handler");
    assert_eq!(call(&mut k, &mut m, t, get(0, 20)), Err(Error::InvalidArgument), "the timer");
    assert_eq!(call(&mut k, &mut m, t, get(2, 20)), Err(Error::InvalidArgument), "the cascade");
    assert_eq!(call(&mut k, &mut m, t, get(3, NTFN)), Err(Error::SlotOccupied));
    let not_control = Syscall::IrqControlGet { control: slot(NTFN), line: 3, dest: slot(20).into() };
    assert_eq!(call(&mut k, &mut m, t, not_control), Err(Error::WrongType));
    let create = Syscall::Create {
        memory: slot(MEMORY),
        kind: ObjectKind::IrqHandler,
        dest: slot(20).into(),
        budget: 0,
    };
    assert_eq!(call(&mut k, &mut m, t, create), Err(Error::InvalidArgument), "not made from memory");
    // The last capability gone, the line is masked and free again.
    call(&mut k, &mut m, t, Syscall::IrqSetNotification { handler: slot(HANDLER), notification: slot(NTFN) })
        .unwrap();
    assert!(m.unmasked.contains(&4));
    call(&mut k, &mut m, t, Syscall::CapDelete { slot: slot(HANDLER).into() }).unwrap();
    assert!(!m.unmasked.contains(&4));
    assert_eq!(call(&mut k, &mut m, t, get(4, HANDLER)), Ok(0));
}

#[test]
fn an_interrupt_signals_and_the_ack_unmasks() {
    let (mut k, mut m, t) = driver();
    call(&mut k, &mut m, t, get(4, HANDLER)).unwrap();
    let ack = Syscall::IrqAck { handler: slot(HANDLER) };
    assert_eq!(call(&mut k, &mut m, t, ack), Ok(0));
    let signaller = k.slot_of(t, slot(10)).unwrap();
    k.mint(k.slot_of(t, slot(NTFN)).unwrap(), signaller, Some(Rights::WRITE), 0x10).unwrap();
    let set = Syscall::IrqSetNotification { handler: slot(HANDLER), notification: slot(10) };
    assert_eq!(call(&mut k, &mut m, t, set), Ok(0));
    m.call(&mut k, Syscall::Wait { notification: slot(NTFN), blocking: true });
    assert_eq!(k.current(), None, "waiting for the interrupt");
    m.unmasked.remove(&4); // as the kernel crate does when the line fires
    k.interrupt(&mut m, 4);
    assert_eq!(m.results[&t.index()], Ok(0x10), "woken with the handler notification's badge");
    assert!(!m.unmasked.contains(&4), "masked until acknowledged");
    assert_eq!(k.schedule(), Some(t));
    call(&mut k, &mut m, t, ack).unwrap();
    assert!(m.unmasked.contains(&4));
    k.interrupt(&mut m, 7);
    let wrong = Syscall::IrqAck { handler: slot(NTFN) };
    assert_eq!(
        call(&mut k, &mut m, t, wrong),
        Err(Error::WrongType),
        "acknowledging a line it does not hold"
    );
}

#[test]
fn port_capabilities_reach_exactly_their_range() {
    let (mut k, mut m, t) = driver();
    let issue = |first: u16, count: u32, dest: u64| Syscall::IoPortIssue {
        ports: slot(PORTS),
        first,
        count,
        dest: slot(dest).into(),
    };
    assert_eq!(call(&mut k, &mut m, t, issue(0x3f8, 8, COM1)), Ok(0));
    assert_eq!(call(&mut k, &mut m, t, issue(0x70, 2, 20)), Ok(0), "the CMOS clock is for drivers");
    let port_in = |port: u16, width: u8| Syscall::PortIn { ports: slot(COM1), port, width };
    assert_eq!(call(&mut k, &mut m, t, port_in(0x3fd, 1)), Ok(0x3fd * 2));
    assert_eq!(call(&mut k, &mut m, t, port_in(0x3ff, 1)), Ok(0x3ff * 2));
    assert_eq!(call(&mut k, &mut m, t, port_in(0x3fe, 4)), Err(Error::MissingRights), "runs past the range");
    assert_eq!(call(&mut k, &mut m, t, port_in(0x3f7, 1)), Err(Error::MissingRights));
    assert_eq!(call(&mut k, &mut m, t, port_in(0x2f8, 1)), Err(Error::MissingRights), "COM2");
    let narrower = Syscall::IoPortIssue { ports: slot(COM1), first: 0x3f8, count: 9, dest: slot(21).into() };
    assert_eq!(call(&mut k, &mut m, t, narrower), Err(Error::MissingRights), "only sub-ranges");
    let read_only = k.slot_of(t, slot(22)).unwrap();
    k.mint(k.slot_of(t, slot(COM1)).unwrap(), read_only, Some(Rights::READ), 0).unwrap();
    let out = |ports: u64| Syscall::PortOut { ports: slot(ports), port: 0x3f8, width: 1, value: b'x'.into() };
    assert_eq!(call(&mut k, &mut m, t, out(22)), Err(Error::MissingRights));
    assert_eq!(call(&mut k, &mut m, t, out(COM1)), Ok(0));
    assert_eq!(m.port_log.last(), Some(&(0x3f8, 1, Some(u32::from(b'x')))));
    // Revoking the parent takes the derived range away.
    call(&mut k, &mut m, t, Syscall::CapRevoke { slot: slot(PORTS).into() }).unwrap();
    assert_eq!(call(&mut k, &mut m, t, out(COM1)), Err(Error::EmptySlot));
}

#[test]
fn the_kernels_ports_are_out_of_every_capabilitys_reach() {
    let (mut k, mut m, t) = driver();
    let port_in = |port: u16, width: u8| Syscall::PortIn { ports: slot(PORTS), port, width };
    for (port, what) in
        [(0x20, "first PIC"), (0xa1, "second PIC"), (0x43, "PIT"), (0x80, "POST"), (0xf4, "exit")]
    {
        assert_eq!(call(&mut k, &mut m, t, port_in(port, 1)), Err(Error::MissingRights), "{what}");
    }
    assert_eq!(
        call(&mut k, &mut m, t, port_in(0x3e, 4)),
        Err(Error::MissingRights),
        "a wide read into the PIT"
    );
    assert_eq!(call(&mut k, &mut m, t, port_in(0x3c, 4)), Ok(0x3c * 2), "just below the PIT");
    assert_eq!(call(&mut k, &mut m, t, port_in(0x70, 1)), Ok(0x70 * 2), "the CMOS clock");
    let write_pic = Syscall::PortOut { ports: slot(PORTS), port: 0x21, width: 1, value: 0 };
    assert_eq!(call(&mut k, &mut m, t, write_pic), Err(Error::MissingRights));
    assert!(m.port_log.iter().all(|&(port, ..)| port == 0x3c || port == 0x70), "{:?}", m.port_log);
}
