# init: the one process the kernel starts, which builds every other from its ELF image
# (userland/programs/src/bin/init.rs). Sourced by kernel/qemu-tests.sh.

check_init_spawns_from_elf() {
    # The kernel starts init and nothing else; init parses the images and starts the rest.
    expect '^tryst: started init \(process 0\) at priority 255$'
    expect_count '^tryst: started ' 1
    expect '^init: scenario init_spawns_from_elf$'
    expect '^init: started init_check \(process [0-9]+, pid 1\) at priority 3$'
    expect '^init: no boot image called no_such_program$'
    expect '^init: started hello \(process [0-9]+, pid 3\) at priority 2$'
    # It starts the servers every system has after the scenario's processes, all before
    # any of them runs (it has the highest priority).
    in_order '^init: started hello ' '^init: started console .* at priority 250, budget 384 KiB$' \
        '^init: started timer .* at priority 249, budget 384 KiB$' '^init: started names .* at priority 252' \
        '^console: driving COM1' '^init_check: argument: 7, as expected$'
    # init reports the missing image in its status once every process it started has ended,
    # and then stops the servers.
    in_order '^tryst: process [0-9]+ \(init_check\) exited' '^tryst: process [0-9]+ \(hello\) exited' \
        '^timer: stopped after [0-9]+ ticks$' '^console: stopped by init after [0-9]+ writes from 4 clients$' \
        '^tryst: process 0 \(init\) exited with status 1$'
    # The process checks itself from the inside.
    reject 'FAILED'
    expect '^init_check: initialized data from the image: 0x5eed1234abcd0042, as expected$'
    expect '^init_check: zeroed data: 0, as expected$'
    expect '^init_check: [0-9]+ Frames in the pages capability space$'
    for what in code 'initialized data page' 'zeroed data page' 'stack page' 'IPC buffer' 'boot-info page'; do
        expect "^init_check: its $what( page)? is one of its Frames, as expected$"
    done
    expect '^init_check: all [0-9]+ checks passed$'
    exited init_check 0
    exited hello 0
}

SCENARIOS+=(init_spawns_from_elf)
