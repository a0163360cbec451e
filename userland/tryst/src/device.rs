//! Devices for user-space drivers: interrupt lines delivered to notifications, and I/O ports.
//!
//! init holds the IrqControl capability (slot [`BootInfo::IRQ_CONTROL_SLOT`]) and an IoPort
//! capability to every port ([`BootInfo::IO_PORTS_SLOT`]; the kernel's own — the PICs, the
//! PIT, the exit device — stay out of any capability's reach), and hands drivers exactly what
//! they need. A driver sets
//! the notification its line signals, waits on it, deals with the device, and acknowledges
//! the line: it stays masked from the moment it fires until then.
//!
//! [`BootInfo::IRQ_CONTROL_SLOT`]: tryst_abi::BootInfo::IRQ_CONTROL_SLOT
//! [`BootInfo::IO_PORTS_SLOT`]: tryst_abi::BootInfo::IO_PORTS_SLOT

use tryst_abi::{SlotPath, Syscall};

use crate::{call, Error, Slot};

/// Puts the IrqHandler capability for interrupt `line` in `dest`, through the IrqControl
/// capability in `control`. [`Error::AlreadyBound`] while another handler for the line exists.
pub fn irq_handler(control: Slot, line: u8, dest: impl Into<SlotPath>) -> Result<(), Error> {
    call(Syscall::IrqControlGet { control, line, dest: dest.into() }).map(drop)
}

/// The line of the IrqHandler in `handler` signals the notification in `notification` (with
/// that capability's badge) from now on; the line is unmasked.
pub fn irq_set_notification(handler: Slot, notification: Slot) -> Result<(), Error> {
    call(Syscall::IrqSetNotification { handler, notification }).map(drop)
}

/// Acknowledges the interrupt of the IrqHandler in `handler`: the line is unmasked.
pub fn irq_ack(handler: Slot) -> Result<(), Error> {
    call(Syscall::IrqAck { handler }).map(drop)
}

/// An IoPort capability to ports `first .. first + count` in `dest`, derived from the one in
/// `ports`, whose range must hold them ([`Error::MissingRights`] otherwise).
pub fn io_ports(ports: Slot, first: u16, count: u32, dest: impl Into<SlotPath>) -> Result<(), Error> {
    call(Syscall::IoPortIssue { ports, first, count, dest: dest.into() }).map(drop)
}

/// Reads the byte at I/O port `port` through the IoPort capability in `ports` (needs Read).
pub fn read_u8(ports: Slot, port: u16) -> Result<u8, Error> {
    call(Syscall::PortIn { ports, port, width: 1 }).map(|v| v[0] as u8)
}

/// Writes `value` to I/O port `port` through the IoPort capability in `ports` (needs Write).
pub fn write_u8(ports: Slot, port: u16, value: u8) -> Result<(), Error> {
    call(Syscall::PortOut { ports, port, width: 1, value: value.into() }).map(drop)
}
