//! Leaving QEMU through its isa-debug-exit device, with a code the test runner checks.

use qemu_exit::QEMUExit;

/// QEMU's exit status when the kernel reports success (`(16 << 1) | 1`); anything else,
/// including 0 from a triple fault, is a failure.
pub const SUCCESS_STATUS: u32 = 33;
const DEBUG_EXIT_PORT: u16 = 0xf4;

fn device() -> qemu_exit::X86 {
    // SAFETY: the Makefile attaches isa-debug-exit at port 0xf4 (iosize 4); writing it only
    // ends the virtual machine. SUCCESS_STATUS is odd, as the device requires.
    unsafe { qemu_exit::X86::new(DEBUG_EXIT_PORT, SUCCESS_STATUS) }
}

/// Ends the machine with the success status.
pub fn success() -> ! {
    device().exit_success()
}

/// Ends the machine with a failure status.
pub fn failure() -> ! {
    device().exit_failure()
}
