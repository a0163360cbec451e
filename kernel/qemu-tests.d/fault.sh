# Faults as messages to a user-space fault handler (userland/programs/src/bin/init/scenarios/mem.rs,
# FAULT_SCENARIOS). Sourced by kernel/qemu-tests.sh (expect, reject, expect_count,
# expect_order, exited are defined there).

check_fault_handler_maps_and_resumes() {
    no_failures
    reject 'stopped: '
    expect '^fault_handler pager: all [0-9]+ checks passed$'
    exited fault_handler 0
    expect_count '^tryst: process [0-9]+ \(fault_handler\) exited' 1
    expect '^tryst: process 2 \(fault_handler\) destroyed by process 1$'
    local address
    for address in 50000008 50001ff0 50003000; do
        expect "^fault_handler pager: fault address and access: Some\\(\\(0x$address, Read\\)\\), as expected$"
        expect "^fault_handler client: value read after the pager mapped the page: 0x5eed0000$address, as expected$"
        # The client resumed only after the pager mapped the page.
        expect_order "^fault_handler pager: fault [0-9] at 0x$address: mapped" "^fault_handler client: value read .*0x5eed0000$address,"
    done
    expect_count '^fault_handler pager: the badge of the faulting client: 77, as expected$' 3
    expect '^fault_handler pager: its kind: Some\(Some\(InvalidOpcode\)\), as expected$'
    expect '^fault_handler pager: the client.s capabilities went with it: true, as expected$'
}

check_fault_replies_counted() {
    no_failures
    expect '^fault_handler pager: endpoint traffic \(messages, calls, replies, caps\): \(5, 5, 4, 2\), as expected$'
    exited fault_handler 0
}

check_fault_without_handler_kills() {
    no_failures
    expect '^tryst: process 1 \(fault_nohandler\) stopped: page fault at 0x50000000 \(read, ip 0x[0-9a-f]+\)$'
    expect '^tryst: process 2 \(fault_nohandler\) stopped: page fault at 0x50000000 \(read, ip 0x[0-9a-f]+\)$'
    expect '^fault_nohandler bystander: threads left: 5, as expected$'
    expect_count '^tryst: process [0-9]+ \(fault_nohandler\) exited with status 0$' 1
    expect_count 'stopped: ' 2
}

SCENARIOS+=(fault_handler_maps_and_resumes fault_replies_counted fault_without_handler_kills)
