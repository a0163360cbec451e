//! The raw machine instructions the library needs: `syscall` and `rdtsc`. The only `unsafe`
//! in the user library.

/// Makes system call `number` with `args` in the argument slots; returns the status slot and
/// the first value slot.
///
/// # Safety
/// The kernel validates everything it is given, so no call can harm the kernel or another
/// process; but a call can end or block this process, and a buffer argument must describe
/// memory that Rust considers initialized when the kernel reads it.
pub unsafe fn syscall(number: u64, args: [u64; 6]) -> (u64, u64) {
    let status: u64;
    let value: u64;
    // SAFETY: `syscall` clobbers rcx and r11 and returns status in rax and val0 in rdi; the
    // other value slots (rsi, rdx, r10, r8, r9) may change too, so all are marked clobbered.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") number => status,
            inlateout("rdi") args[0] => value,
            inlateout("rsi") args[1] => _,
            inlateout("rdx") args[2] => _,
            inlateout("r10") args[3] => _,
            inlateout("r8") args[4] => _,
            inlateout("r9") args[5] => _,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    (status, value)
}

/// Reads the time-stamp counter, serialized so that earlier instructions have finished and
/// later ones have not started. Under QEMU with `-icount shift=0` one tick is one guest
/// instruction.
pub fn timestamp() -> u64 {
    let low: u32;
    let high: u32;
    // SAFETY: lfence and rdtsc only order execution and read the TSC (user mode may: the
    // kernel leaves CR4.TSD clear).
    unsafe {
        core::arch::asm!("lfence", "rdtsc", "lfence", out("eax") low, out("edx") high, options(nomem, nostack));
    }
    (u64::from(high) << 32) | u64::from(low)
}
