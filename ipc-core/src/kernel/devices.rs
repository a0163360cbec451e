//! Devices for user-space drivers: interrupt lines delivered to notifications
//! (`irq_control_get`, `irq_set_notification`, `irq_ack`, and [`Kernel::interrupt`]) and I/O
//! ports (`io_port_issue`, `port_in`, `port_out`).
//!
//! A line is masked from the moment it fires until its driver acknowledges it, so a driver
//! never sees an interrupt it has not dealt with yet re-raised. Each line has at most one
//! IrqHandler object (its capability may be copied); the line is masked again when the last
//! capability goes. An IoPort capability names a range of ports; `port_in` and `port_out`
//! reach exactly those (never the kernel's own: the PICs, the PIT and the exit device), and
//! `io_port_issue` makes capabilities for sub-ranges.

use crate::abi::{Error, Rights, IRQ_LINES};
use crate::cspace::{Capability, Object, SlotRef};
use crate::machine::Machine;
use crate::objects::NotificationId;

use super::notify::{notification_with, signal_bits};
use super::Kernel;

/// The kernel's state of one interrupt line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqLine {
    /// Capabilities to its IrqHandler (0: nobody holds the line).
    pub caps: u32,
    /// The notification it signals, and the bits.
    pub notification: Option<(NotificationId, u64)>,
}

/// Lines user space cannot take: the timer (0), which is the kernel's, and the cascade (2)
/// between the two PICs.
const KERNEL_LINES: [u8; 2] = [0, 2];

/// Ports no capability reaches, first and last of each range: the two PICs, the PIT, the
/// POST port the PIC set-up writes to pause, and QEMU's exit device. They are the kernel's.
const KERNEL_PORTS: [(u16, u16); 5] = [(0x20, 0x21), (0x40, 0x43), (0x80, 0x80), (0xa0, 0xa1), (0xf4, 0xf7)];

impl Kernel {
    /// `irq_control_get`: the IrqHandler capability for `line`, in the empty slot `dest`,
    /// through the IrqControl capability at `control` (needs Write). A line has one handler:
    /// `AlreadyBound` while another's capability to it exists.
    pub(super) fn irq_control_get(&mut self, control: SlotRef, line: u8, dest: SlotRef) -> Result<(), Error> {
        match self.caps.get(control)? {
            Capability { object: Object::IrqControl, rights, .. } if rights.contains(Rights::WRITE) => {}
            Capability { object: Object::IrqControl, .. } => return Err(Error::MissingRights),
            _ => return Err(Error::WrongType),
        }
        if line >= IRQ_LINES || KERNEL_LINES.contains(&line) {
            return Err(Error::InvalidArgument);
        }
        self.caps.check_empty(dest)?;
        let state = &mut self.irq_lines[usize::from(line)];
        if state.caps > 0 {
            return Err(Error::AlreadyBound);
        }
        *state = IrqLine { caps: 1, notification: None };
        self.caps.insert_original(dest, Capability::original(Object::IrqHandler(line)));
        Ok(())
    }

    /// `irq_set_notification`: the line of the IrqHandler at `handler` (needs Write) signals
    /// the notification at `notification` (needs Write) with that capability's badge (bit 0
    /// if unbadged). The line is unmasked.
    pub(super) fn irq_set_notification<M: Machine>(
        &mut self,
        machine: &mut M,
        handler: SlotRef,
        notification: SlotRef,
    ) -> Result<(), Error> {
        let line = self.irq_line(handler)?;
        let cap = self.caps.get(notification)?;
        let id = notification_with(cap, Rights::WRITE)?;
        self.irq_lines[usize::from(line)].notification = Some((id, signal_bits(cap)));
        machine.unmask_irq(line);
        Ok(())
    }

    /// `irq_ack`: the driver holding the IrqHandler at `handler` (needs Write) has dealt with
    /// the interrupt: the line is unmasked.
    pub(super) fn irq_ack<M: Machine>(&mut self, machine: &mut M, handler: SlotRef) -> Result<(), Error> {
        let line = self.irq_line(handler)?;
        machine.unmask_irq(line);
        Ok(())
    }

    /// Interrupt line `line` fired; the machine has masked it and told the controller it was
    /// taken. Its notification is signalled; the line stays masked until `irq_ack`.
    pub fn interrupt<M: Machine>(&mut self, machine: &mut M, line: u8) {
        if let Some(&IrqLine { notification: Some((id, bits)), .. }) = self.irq_lines.get(usize::from(line)) {
            self.notify(machine, id, bits);
        }
        self.settle(machine);
    }

    /// The line of the IrqHandler capability at `slot`, which needs Write.
    fn irq_line(&self, slot: SlotRef) -> Result<u8, Error> {
        match self.caps.get(slot)? {
            Capability { object: Object::IrqHandler(line), rights, .. } if rights.contains(Rights::WRITE) => {
                Ok(line)
            }
            Capability { object: Object::IrqHandler(_), .. } => Err(Error::MissingRights),
            _ => Err(Error::WrongType),
        }
    }

    /// The last capability to the handler of `line` is gone: the line is masked and free.
    pub(super) fn release_irq_line<M: Machine>(&mut self, machine: &mut M, line: u8) {
        let state = &mut self.irq_lines[usize::from(line)];
        state.caps -= 1;
        if state.caps == 0 {
            state.notification = None;
            machine.mask_irq(line);
        }
    }

    /// A notification is gone: lines that signalled it signal nothing now.
    pub(super) fn forget_irq_notification(&mut self, id: NotificationId) {
        for line in &mut self.irq_lines {
            if line.notification.is_some_and(|(n, _)| n == id) {
                line.notification = None;
            }
        }
    }

    /// `io_port_issue`: a capability to ports `first .. first + count`, derived from the
    /// IoPort capability at `ports`, whose range must hold them, in the empty slot `dest`.
    pub(super) fn io_port_issue(
        &mut self,
        ports: SlotRef,
        first: u16,
        count: u32,
        dest: SlotRef,
    ) -> Result<(), Error> {
        let cap = self.caps.get(ports)?;
        let Object::IoPort { first: from, last: to } = cap.object else { return Err(Error::WrongType) };
        let last = u16::try_from(u32::from(first) + count - 1).map_err(|_| Error::InvalidArgument)?;
        if first < from || last > to {
            return Err(Error::MissingRights);
        }
        self.caps.check_empty(dest)?;
        self.caps.insert_derived(ports, dest, Capability { object: Object::IoPort { first, last }, ..cap });
        Ok(())
    }

    /// The I/O ports `port .. port + width` through the IoPort capability at `ports`, which
    /// must hold all of them and have `rights`; none may be the kernel's.
    fn port_access(&self, ports: SlotRef, port: u16, width: u8, rights: Rights) -> Result<(), Error> {
        let cap = self.caps.get(ports)?;
        let Object::IoPort { first, last } = cap.object else { return Err(Error::WrongType) };
        if !cap.rights.contains(rights) {
            return Err(Error::MissingRights);
        }
        let end = u32::from(port) + u32::from(width) - 1;
        if port < first || end > u32::from(last) {
            return Err(Error::MissingRights);
        }
        let overlaps = |&(from, to): &(u16, u16)| u32::from(port) <= u32::from(to) && end >= u32::from(from);
        if KERNEL_PORTS.iter().any(overlaps) {
            return Err(Error::MissingRights);
        }
        Ok(())
    }

    /// `port_in`: reads `width` bytes from `port` (needs Read).
    pub(super) fn port_in<M: Machine>(
        &self,
        machine: &mut M,
        ports: SlotRef,
        port: u16,
        width: u8,
    ) -> Result<u64, Error> {
        self.port_access(ports, port, width, Rights::READ)?;
        Ok(u64::from(machine.port_in(port, width)))
    }

    /// `port_out`: writes the low `width` bytes of `value` to `port` (needs Write).
    pub(super) fn port_out<M: Machine>(
        &self,
        machine: &mut M,
        ports: SlotRef,
        port: u16,
        width: u8,
        value: u32,
    ) -> Result<(), Error> {
        self.port_access(ports, port, width, Rights::WRITE)?;
        machine.port_out(port, width, value);
        Ok(())
    }

    /// Gives the boot thread's slots `control` an IrqControl capability and `ports` an IoPort
    /// capability to ports `first..=last` (the kernel's own stay out of reach all the same).
    pub fn boot_devices(
        &mut self,
        control: SlotRef,
        ports: SlotRef,
        first: u16,
        last: u16,
    ) -> Result<(), Error> {
        self.caps.check_empty(control)?;
        self.caps.check_empty(ports)?;
        self.caps.insert_original(control, Capability::original(Object::IrqControl));
        self.caps.insert_original(ports, Capability::original(Object::IoPort { first, last }));
        Ok(())
    }
}
