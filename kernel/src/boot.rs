//! The way in: the PVH ELF note QEMU's `-kernel` looks for, the 32-bit entry it jumps to, and
//! the switch to 64-bit mode in the higher half.
//!
//! QEMU enters `pvh_start` in 32-bit protected mode with paging off and `ebx` holding the
//! physical address of the `hvm_start_info` structure. The boot page tables below map the
//! first 4 GiB three times: identity (for the instructions that turn paging on), at the
//! direct-map base `PHYS_OFFSET`, and the first 1 GiB at `KERNEL_VMA` where the kernel is
//! linked. `kernel_entry` replaces them with the kernel's real tables at once.

// The boot code runs before Rust does: it is assembly by necessity, and it runs exactly once,
// from QEMU's PVH entry, with nothing else on the machine.
core::arch::global_asm!(
    r#"
    .section .note.Xen, "a", @note
    .balign 4
    .long 4                         /* name size: "Xen\0" */
    .long 4                         /* descriptor size */
    .long 18                        /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .long pvh_start
    .balign 4

    .section .boot.text, "ax", @progbits
    .code32
    .global pvh_start
pvh_start:
    cli
    cld
    movl %ebx, %edi                 /* start_info, the first argument of kernel_entry */

    movl %cr4, %eax
    orl $(1 << 5), %eax             /* PAE */
    movl %eax, %cr4

    movl $boot_pml4, %eax
    movl %eax, %cr3

    movl $0xC0000080, %ecx          /* EFER */
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax   /* LME | NXE */
    wrmsr

    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax  /* PG | WP | PE */
    movl %eax, %cr0

    lgdt boot_gdt_pointer
    ljmp $0x08, $boot_long_mode

    .code64
boot_long_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $kernel_stack_top, %rsp
    movabsq $kernel_entry, %rax
    callq *%rax
    ud2

    .section .boot.data, "aw", @progbits
    .balign 4096
boot_pml4:
    .quad boot_pdpt_low + 3         /* identity: [0, 4 GiB) */
    .fill 255, 8, 0
    .quad boot_pdpt_low + 3         /* PHYS_OFFSET: [0, 4 GiB) */
    .fill 254, 8, 0
    .quad boot_pdpt_high + 3        /* KERNEL_VMA: the top 2 GiB */
boot_pdpt_low:
    .quad boot_pd + 3
    .quad boot_pd + 0x1000 + 3
    .quad boot_pd + 0x2000 + 3
    .quad boot_pd + 0x3000 + 3
    .fill 508, 8, 0
boot_pdpt_high:
    .fill 510, 8, 0
    .quad boot_pd + 3               /* 0xffffffff80000000 -> physical 0 */
    .quad 0
boot_pd:                            /* 2048 entries of 2 MiB: present, writable, large */
    .set boot_page, 0
    .rept 2048
    .quad (boot_page << 21) | 0x83
    .set boot_page, boot_page + 1
    .endr

boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 64-bit code */
    .quad 0x00cf92000000ffff        /* data */
boot_gdt_end:
boot_gdt_pointer:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .section .bss.kernel_stack, "aw", @nobits
    .balign 4096
    .global kernel_stack_bottom
kernel_stack_bottom:
    .skip 65536
    .global kernel_stack_top
kernel_stack_top:
    "#,
    options(att_syntax)
);
