# QEMU scenarios of memory capabilities: Frames, address spaces and map (userland/programs/src/bin/init/scenarios/mem.rs).
# Sourced by kernel/qemu-tests.sh: helpers expect, reject, expect_count, expect_order, exited,
# awk_check are defined there; each check_NAME adds to `problems`.
#
# The mem_* programs print one line per check (userland/programs/src/bin/caps_common/mod.rs):
# `WHO: CASE: got ERROR, as expected`, `WHO: CASE: VALUE, as expected`, `WHO: CASE, as expected`,
# or `WHO: CASE: FAILED, ...` when a check does not hold, then `WHO: all N checks passed`. The
# checks below require the exact lines, no FAILED line, no user panic, every process's exit
# status, and the kernel's exact line for each process that must be stopped by a fault.

# mem_lines WHO LINE...: each "WHO: LINE" is a whole line of the log, compared literally.
mem_lines() {
    local who=$1 line
    shift
    for line in "$@"; do
        grep -Fxq -- "$who: $line" "$log" || problems+=("missing line: $who: $line")
    done
}

# mem_clean PROGRAM EXITED STOPPED: no check failed and no user program panicked; exactly
# EXITED processes running PROGRAM exited (all with status 0) and exactly STOPPED were stopped.
mem_clean() {
    no_failures
    reject 'did not fault'
    expect_count "^tryst: process [0-9]+ \\($1\\) exited with status 0\$" "$2"
    expect_count "^tryst: process [0-9]+ \\($1\\) exited" "$2"
    expect_count "^tryst: process [0-9]+ \\($1\\) stopped" "$3"
}

check_memory_budget_exhausted_frames() {
    expect '^mem_budget: kernel_stats at the end: KernelStats \{ threads: 7, endpoints: 4, memories: 5, capabilities: [0-9]+, cspaces: 13, frames: [0-9]+ \}, as expected$'
    mem_clean mem_budget 1 2
    exited mem_budget 0
    mem_lines mem_budget \
        'the child Memory: budget, used: Ok((20480, 0)), as expected' \
        "the boot Memory is charged MEMORY_COST plus the child's budget: 20544, as expected" \
        'Frames made from the child: 5, as expected' \
        'Frames in kernel_stats: 5, as expected' \
        'the full child Memory: budget, used: Ok((20480, 20480)), as expected' \
        'a sixth Frame: got OutOfMemory, as expected' \
        'the slot of the sixth Frame: got EmptySlot, as expected' \
        'the full child Memory after the refusal: budget, used: Ok((20480, 20480)), as expected' \
        'Frames in kernel_stats after the refusal: 5, as expected' \
        'the words written read back through the read-write mapping, as expected' \
        "the copy's mapping before it is mapped: Ok(None), as expected" \
        "the words written read back through the copy's read-only mapping, as expected" \
        'where the Frame and its copy are mapped: (Ok(Some(0x40000000)), Ok(Some(0x40001000))), as expected' \
        'a new Frame reads as zeros, as expected' \
        'the child Memory after a copy and mappings into the boot address space: budget, used: Ok((20480, 20480)), as expected' \
        'the boot Memory is charged nothing for the mappings (boot page tables are free): 20544, as expected' \
        'Frames in kernel_stats with the copy: 5, as expected' \
        'the child Memory after deleting a Frame: budget, used: Ok((20480, 16384)), as expected' \
        'Frames in kernel_stats after deleting one: 4, as expected' \
        'one more after that: got OutOfMemory, as expected' \
        'the child Memory after deleting a mapped Frame: budget, used: Ok((20480, 16384)), as expected' \
        'Frames in kernel_stats after deleting a mapped one: 4, as expected' \
        "the page where the deleted Frame was is a new Frame's (zeros), as expected" \
        'the child Memory while the copy keeps the page: budget, used: Ok((20480, 16384)), as expected' \
        "the copy's mapping still reads the words written, as expected" \
        "the page where the original was is a new Frame's (zeros), as expected" \
        'the child Memory once the last capability to the page is gone: budget, used: Ok((20480, 12288)), as expected' \
        'Frames in kernel_stats after the copy: 3, as expected' \
        'a Frame made after a written page was freed reads as zeros, as expected' \
        "the third Frame's mapping after unmap: Ok(None), as expected" \
        "the moved capability's mapping: Ok(Some(0x40001000)), as expected" \
        'the child Memory with no Frame left: budget, used: Ok((20480, 0)), as expected' \
        'Frames in kernel_stats with none left: 0, as expected' \
        "the boot Memory's use after deleting the child: 0, as expected" \
        "the new address space's kind: Ok(Some(AddressSpace)), as expected" \
        'the child Memory with an address space: budget, used: Ok((16384, 4096)), as expected' \
        'the child Memory with the address space and a Frame: budget, used: Ok((16384, 8192)), as expected' \
        'map a page needing 3 page tables with 2 affordable: got OutOfMemory, as expected' \
        'the child Memory after the refused map: budget, used: Ok((16384, 8192)), as expected' \
        "the Frame's mapping after the refused map: Ok(None), as expected" \
        'the child Memory after the map: the space and 3 tables: Ok((16384, 16384)), as expected' \
        "the Frame's mapping: Ok(Some(0x40000000)), as expected" \
        'map a page in another 512 GiB region with the budget full: got OutOfMemory, as expected' \
        'the child Memory after the neighbour and the refusal: budget, used: Ok((16384, 16384)), as expected' \
        'the child Memory after deleting the address space: budget, used: Ok((16384, 0)), as expected' \
        'the mappings into the deleted address space: (Ok(None), Ok(None)), as expected' \
        "the boot Memory's figures at the end are those at the start, as expected" \
        'all 89 checks passed'
    # The reader and the writer run after the checker (lower priorities), one after the other,
    # and each is stopped when it touches the page it no longer maps, whatever the TLB held.
    mem_lines 'mem_budget reader' \
        'the words written read back, as expected' \
        'reading 0x40000000 after the delete'
    mem_lines 'mem_budget writer' \
        'the words written read back, as expected' \
        'writing 0x40000000 after the unmap'
    expect '^tryst: process 2 \(mem_budget\) stopped: page fault at 0x40000000 \(read, ip 0x4[0-9a-f]{5}\)$'
    expect '^tryst: process 3 \(mem_budget\) stopped: page fault at 0x40000000 \(write, ip 0x4[0-9a-f]{5}\)$'
    expect_order '^mem_budget: all 89 checks passed$' '^mem_budget reader: reading'
    expect_order '\(mem_budget\) stopped: page fault at 0x40000000 \(read' '^mem_budget writer: writing'
    reject 'TableFull'
}

check_wx_mapping_refused() {
    mem_clean mem_wx 1 2
    # The checker is process 1; the jumper (process 2) and then the scribbler (process 3) are
    # stopped by their faults.
    expect '^tryst: process 1 \(mem_wx\) exited with status 0$'
    mem_lines mem_wx \
        "a new Frame capability's rights: Ok(Rights(READ | WRITE | GRANT | GRANT_REPLY | EXECUTE)), as expected" \
        'map R|W|X: got InvalidArgument, as expected' \
        'map W|X: got InvalidArgument, as expected' \
        'map W alone: got InvalidArgument, as expected' \
        'map X alone: got InvalidArgument, as expected' \
        'map with no rights: got InvalidArgument, as expected' \
        'map R|Grant: got InvalidArgument, as expected' \
        'map R|GrantReply: got InvalidArgument, as expected' \
        'map R with unknown bit 5: got InvalidArgument, as expected' \
        'map R with unknown bit 63: got InvalidArgument, as expected' \
        "the Frame's mapping after the refusals: Ok(None), as expected" \
        'map the copy without Execute R|X: got MissingRights, as expected' \
        'map the read-only copy R|W: got MissingRights, as expected' \
        'map through the address space capability without Write: got MissingRights, as expected' \
        'the mappings of the refused copies: (Ok(None), Ok(None)), as expected' \
        'after the refusals the Memory figures and kernel_stats are unchanged (copies aside), as expected' \
        'where the Frame and its copy are mapped: (Ok(Some(0x40000000)), Ok(Some(0x40002000))), as expected' \
        'the code reads back through the R|X mapping, as expected' \
        'what the code returns, called through the R|X mapping: 42, as expected' \
        "the copy's mapping after rewriting the code: Ok(Some(0x40002000)), as expected" \
        'what the rewritten code returns, called through the R|X mapping: 7, as expected' \
        'at the end the Memory figures and kernel_stats are as at the start, as expected' \
        'all 35 checks passed'
    mem_lines 'mem_wx jumper' 'calling the code in the R|W mapping at 0x40000000'
    # The fetch itself faults: the faulting address is the instruction pointer.
    expect '^tryst: process 2 \(mem_wx\) stopped: page fault at 0x40000000 \(execute, ip 0x40000000\)$'
    expect_order '^mem_wx jumper: calling' '\(mem_wx\) stopped: page fault at 0x40000000'
    # The R|X mapping runs but cannot be written.
    mem_lines 'mem_wx scribbler' \
        'what the code returns, called through the R|X mapping: 42, as expected' \
        'writing into the R|X mapping at 0x40002000'
    expect '^tryst: process 3 \(mem_wx\) stopped: page fault at 0x40002000 \(write, ip 0x4[0-9a-f]{5}\)$'
    expect_order '^mem_wx scribbler: writing' '\(mem_wx\) stopped: page fault at 0x40002000'
}

check_map_kernel_range_refused() {
    mem_clean mem_range 1 0
    mem_lines mem_range \
        'map at the direct-map base: got BadAddress, as expected' \
        'map in the kernel image: got BadAddress, as expected' \
        'map at USER_END (non-canonical): got BadAddress, as expected' \
        'map one page above USER_END: got BadAddress, as expected' \
        'map at the last page of the address space (u64::MAX & !0xfff): got BadAddress, as expected' \
        'map at page 0: got BadAddress, as expected' \
        'map at an unaligned address: got InvalidArgument, as expected' \
        'map at an unaligned kernel address: got InvalidArgument, as expected' \
        'map over the IPC buffer: got AlreadyMapped, as expected' \
        'map over the boot-info page: got AlreadyMapped, as expected' \
        "map over this program's code: got AlreadyMapped, as expected" \
        "map over this program's stack: got AlreadyMapped, as expected" \
        'map over the good mapping: got AlreadyMapped, as expected' \
        'map the mapped good Frame capability again elsewhere: got AlreadyMapped, as expected' \
        'unmap the unmapped spare Frame: got NotMapped, as expected' \
        'map the Memory capability as the Frame: got WrongType, as expected' \
        'map the address space capability as the Frame: got WrongType, as expected' \
        'map into the Memory capability: got WrongType, as expected' \
        'map into a Frame capability: got WrongType, as expected' \
        'map into the Thread capability: got WrongType, as expected' \
        'map into the CSpace capability: got WrongType, as expected' \
        'unmap the Memory capability: got WrongType, as expected' \
        'unmap the address space capability: got WrongType, as expected' \
        'map an empty slot as the Frame: got EmptySlot, as expected' \
        'map into an empty slot: got EmptySlot, as expected' \
        'unmap an empty slot: got EmptySlot, as expected' \
        "the spare Frame's mapping after the refusals: Ok(None), as expected" \
        "the good Frame's mapping after the refusals: Ok(Some(0x40000000)), as expected" \
        'after the refusals the Memory figures and kernel_stats are unchanged, as expected' \
        'the good mapping still reads its pattern, as expected' \
        "the spare Frame's mapping at the lowest page: Ok(Some(0x1000)), as expected" \
        'unmap it again: got NotMapped, as expected' \
        'the word written at the last user address reads back, as expected' \
        "the spare Frame's mapping at the highest page: Ok(Some(0x7ffffffff000)), as expected" \
        'at the end the Memory figures and kernel_stats are as at the start, as expected' \
        'all 43 checks passed'
    exited mem_range 0
}

# A `syscall` ending exactly at the top of user space returns to USER_END, which iretq cannot
# return to: the kernel must stop the thread with a #GP there, not fault itself. (Under TCG,
# QEMU's iretq takes the non-canonical RIP and the fetch faults in user mode, so the outcome is
# the same without the kernel's check; on hardware the iretq itself would fault in ring 0.)
check_syscall_at_top_of_user_space() {
    mem_clean mem_wx 0 1
    expect '^mem_wx topper: making a system call from the last two bytes of user space, at 0x7ffffffffffe$'
    expect '^tryst: process 1 \(mem_wx\) stopped: general protection fault at ip 0x800000000000$'
}

SCENARIOS+=(memory_budget_exhausted_frames wx_mapping_refused map_kernel_range_refused syscall_at_top_of_user_space)
