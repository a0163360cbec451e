//! I/O-port access on behalf of user-space drivers. ipc-core has checked that the caller's
//! IoPort capability covers every port touched; the kernel's own ports are never in one.

use x86_64::instructions::port::Port;

/// Reads `width` bytes (1, 2 or 4) from `port`.
pub fn read(port: u16, width: u8) -> u32 {
    // SAFETY: the port belongs to a range a user driver was given (see the module comment);
    // reading it affects that device only, never the kernel's memory.
    unsafe {
        match width {
            1 => u32::from(Port::<u8>::new(port).read()),
            2 => u32::from(Port::<u16>::new(port).read()),
            _ => Port::<u32>::new(port).read(),
        }
    }
}

/// Writes the low `width` bytes (1, 2 or 4) of `value` to `port`.
pub fn write(port: u16, width: u8, value: u32) {
    // SAFETY: as for `read`; the port is a user driver's, outside the kernel's devices.
    unsafe {
        match width {
            1 => Port::<u8>::new(port).write(value as u8),
            2 => Port::<u16>::new(port).write(value as u16),
            _ => Port::<u32>::new(port).write(value),
        }
    }
}
