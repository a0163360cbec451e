//! Shared by `regs_client` and `regs_server` (`registers_preserved_across_fastpath`): an IPC
//! system call made from assembly with marker values in every register the ABI preserves
//! (rbx, rbp, r12–r15; rsp is checked by returning at all), compared after the call; and a
//! spin with markers in every general-purpose register, long enough to be preempted.
// Each program that includes this file uses only part of it.
#![allow(dead_code)]

/// Argument and result slots of [`ipc_with_markers`]: the system call's six argument slots
/// going in, its six value slots coming out, then the OR of every preserved register's
/// difference from its marker (0: all survived).
pub type Slots = [u64; 7];

unsafe extern "C" {
    /// Makes system call `number` with `slots[0..6]` as its arguments and markers
    /// `marker + 0 ..= marker + 5` in rbx, rbp, r12, r13, r14 and r15; returns the status and
    /// writes the value slots and the difference word into `slots`.
    fn regs_ipc_with_markers(number: u64, marker: u64, slots: *mut Slots) -> u64;
    /// Puts `marker + k` in every general-purpose register but rsp, spins `rounds` times
    /// round a loop on a stack counter, and returns the OR of every register's difference
    /// from its marker.
    fn regs_spin_with_markers(rounds: u64, marker: u64) -> u64;
    /// Sets RFLAGS to `flags`, makes the null system call, and returns RFLAGS as it came
    /// back (the caller's own flags restored before it returns).
    fn regs_flags_across_syscall(flags: u64) -> u64;
    /// Sets RFLAGS to `flags`, spins `rounds` times round a `dec`/`jnz` loop (which leaves
    /// CF alone), and returns RFLAGS as they were after it.
    fn regs_flags_across_spin(rounds: u64, flags: u64) -> u64;
}

/// See [`regs_flags_across_syscall`].
pub fn flags_across_syscall(flags: u64) -> u64 {
    // SAFETY: the function restores the caller's RFLAGS (DF clear again) before returning,
    // and touches only its own stack; the null system call changes nothing.
    unsafe { regs_flags_across_syscall(flags) }
}

/// See [`regs_flags_across_spin`].
pub fn flags_across_spin(rounds: u64, flags: u64) -> u64 {
    // SAFETY: as for `flags_across_syscall`; the loop touches no memory.
    unsafe { regs_flags_across_spin(rounds, flags) }
}

/// See [`regs_ipc_with_markers`]: returns the status, the values and the difference word.
pub fn ipc_with_markers(number: u64, marker: u64, args: [u64; 6]) -> (u64, [u64; 6], u64) {
    let mut slots: Slots = [args[0], args[1], args[2], args[3], args[4], args[5], 0];
    // SAFETY: the function saves and restores every callee-saved register it uses, writes
    // only `slots`, and makes one IPC system call, which touches no memory of this process
    // but its IPC buffer.
    let status = unsafe { regs_ipc_with_markers(number, marker, &mut slots) };
    (status, [slots[0], slots[1], slots[2], slots[3], slots[4], slots[5]], slots[6])
}

/// See [`regs_spin_with_markers`].
pub fn spin_with_markers(rounds: u64, marker: u64) -> u64 {
    // SAFETY: the function saves and restores every callee-saved register it uses and
    // touches only its own stack.
    unsafe { regs_spin_with_markers(rounds, marker) }
}

core::arch::global_asm!(
    r#"
    .section .text.regs_ipc_with_markers, "ax"
    .global regs_ipc_with_markers
regs_ipc_with_markers:
    /* rdi = number, rsi = marker, rdx = slots */
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    push rdx
    push rsi
    mov rax, rdi
    mov rbx, rsi
    lea rbp, [rsi + 1]
    lea r12, [rsi + 2]
    lea r13, [rsi + 3]
    lea r14, [rsi + 4]
    lea r15, [rsi + 5]
    mov rcx, rdx
    mov rdi, [rcx]
    mov rsi, [rcx + 8]
    mov rdx, [rcx + 16]
    mov r10, [rcx + 24]
    mov r8, [rcx + 32]
    mov r9, [rcx + 40]
    syscall
    pop rcx                 /* the marker */
    pop r11                 /* slots */
    mov [r11], rdi
    mov [r11 + 8], rsi
    mov [r11 + 16], rdx
    mov [r11 + 24], r10
    mov [r11 + 32], r8
    mov [r11 + 40], r9
    mov rsi, rbx
    xor rsi, rcx
    lea rdi, [rcx + 1]
    xor rdi, rbp
    or rsi, rdi
    lea rdi, [rcx + 2]
    xor rdi, r12
    or rsi, rdi
    lea rdi, [rcx + 3]
    xor rdi, r13
    or rsi, rdi
    lea rdi, [rcx + 4]
    xor rdi, r14
    or rsi, rdi
    lea rdi, [rcx + 5]
    xor rdi, r15
    or rsi, rdi
    mov [r11 + 48], rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret

    .section .text.regs_spin_with_markers, "ax"
    .global regs_spin_with_markers
regs_spin_with_markers:
    /* rdi = rounds, rsi = marker */
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    push rdi                /* the counter, then the difference */
    push rsi                /* the marker */
    mov rax, rsi
    lea rbx, [rsi + 1]
    lea rcx, [rsi + 2]
    lea rdx, [rsi + 3]
    lea rdi, [rsi + 4]
    lea rbp, [rsi + 5]
    lea r8, [rsi + 6]
    lea r9, [rsi + 7]
    lea r10, [rsi + 8]
    lea r11, [rsi + 9]
    lea r12, [rsi + 10]
    lea r13, [rsi + 11]
    lea r14, [rsi + 12]
    lea r15, [rsi + 13]
2:
    dec qword ptr [rsp + 8]
    jnz 2b
    /* [rsp + 8] is 0: OR each register's difference from its marker into it. */
    sub rsi, [rsp]
    or [rsp + 8], rsi
    mov rsi, [rsp]
    sub rax, rsi
    or [rsp + 8], rax
    sub rbx, rsi
    xor rbx, 1
    or [rsp + 8], rbx
    sub rcx, rsi
    xor rcx, 2
    or [rsp + 8], rcx
    sub rdx, rsi
    xor rdx, 3
    or [rsp + 8], rdx
    sub rdi, rsi
    xor rdi, 4
    or [rsp + 8], rdi
    sub rbp, rsi
    xor rbp, 5
    or [rsp + 8], rbp
    sub r8, rsi
    xor r8, 6
    or [rsp + 8], r8
    sub r9, rsi
    xor r9, 7
    or [rsp + 8], r9
    sub r10, rsi
    xor r10, 8
    or [rsp + 8], r10
    sub r11, rsi
    xor r11, 9
    or [rsp + 8], r11
    sub r12, rsi
    xor r12, 10
    or [rsp + 8], r12
    sub r13, rsi
    xor r13, 11
    or [rsp + 8], r13
    sub r14, rsi
    xor r14, 12
    or [rsp + 8], r14
    sub r15, rsi
    xor r15, 13
    or [rsp + 8], r15
    pop rsi
    pop rax
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret

    .section .text.regs_flags_across_syscall, "ax"
    .global regs_flags_across_syscall
regs_flags_across_syscall:
    /* rdi = the flags to set */
    pushfq
    push rdi
    popfq
    mov eax, 0xffff         /* an unknown number: the null system call */
    syscall
    pushfq
    pop rax
    popfq
    ret

    .section .text.regs_flags_across_spin, "ax"
    .global regs_flags_across_spin
regs_flags_across_spin:
    /* rdi = rounds, rsi = the flags to set */
    pushfq
    push rsi
    popfq
2:
    dec rdi
    jnz 2b
    pushfq
    pop rax
    popfq
    ret
"#
);
