# Notifications and ASTs between real processes (userland/programs/src/bin/notify*.rs,
# ast_*.rs; scenarios in userland/programs/src/bin/init/scenarios/notify.rs).
# Sourced by kernel/qemu-tests.sh.

check_signal_then_wait() {
    no_failures
    in_order '^notify signaller: signalled 1 times$' '^notify waiter: waiting$' \
        '^notify waiter: woke with bits: Ok\(0x5\), as expected$'
    expect '^notify waiter: then poll finds: Ok\(0x0\), as expected$'
    exited notify 0
}

check_wait_then_signal() {
    no_failures
    # The waiter is woken by the signal and, more urgent, runs before the signaller goes on.
    in_order '^notify waiter: waiting$' '^notify signaller: signalling 1 times$' \
        '^notify waiter: woke with bits: Ok\(0x21\), as expected$' '^notify signaller: signalled 1 times$'
    exited notify 0
}

check_signal_bits_coalesce() {
    no_failures
    expect_count '^notify signaller: signalled 2 times$' 3
    # Six signals before it waits, one wait takes them all, and nothing is left.
    in_order '^notify waiter: waiting$' '^notify waiter: woke with bits: Ok\(0x43\), as expected$' \
        '^notify waiter: then poll finds: Ok\(0x0\), as expected$'
}

check_poll_nonblocking() {
    no_failures
    expect '^notify poll: poll with nothing pending: Ok\(0x0\), as expected$'
    expect '^notify poll: poll returned without waiting for a tick, as expected$'
    expect '^notify poll: poll after an unbadged signal: Ok\(0x1\), as expected$'
    expect '^notify poll: poll after a badged signal: Ok\(0x80\), as expected$'
    expect '^notify poll: signal without Write: got MissingRights, as expected$'
    expect '^notify poll: wait without Read: got MissingRights, as expected$'
    expect '^notify poll: bind it again: got AlreadyBound, as expected$'
    expect '^notify poll: bind a second one to the thread: got AlreadyBound, as expected$'
    expect '^notify poll: bind for ASTs with no handler: got InvalidState, as expected$'
    expect '^notify poll: all [0-9]+ checks passed$'
    exited notify 0
}

check_bound_notification_wakes_recv() {
    no_failures
    in_order '^notify_bound: receiving$' '^notify_bound: a message, label: 7, as expected$' \
        '^notify signaller: signalling 1 times$' '^notify_bound: a signal while receiving, bits: 0x10, as expected$'
    expect '^notify_bound: its badge: 0xc, as expected$'
    expect '^notify_client: the answer: Ok\(\(8, 42\)\), as expected$'
    expect '^notify_bound: a pending signal ends recv at once: Ok\(Signal \{ bits: 2 \}\), as expected$'
    expect '^notify_bound: all [0-9]+ checks passed$'
    exited notify_bound 0
    exited notify_client 0
}

check_ast_interrupts_running_thread() {
    no_failures
    in_order '^ast_compute: computing$' '^notify signaller: signalling 1 times$' \
        '^ast_compute: handler ran with bits 0x4 at round [0-9]+ of 20000 \(blocked call: false' '^ast_compute: computed$'
    expect '^ast_compute: the handler ran in the middle of the computation, as expected$'
    expect '^ast_compute: the result after ast_return: \([0-9]+, [0-9]+, [0-9]+\), as expected$'
    expect '^ast_compute: all [0-9]+ checks passed$'
    exited ast_compute 0
}

check_ast_during_blocked_recv() {
    no_failures
    in_order '^ast_recv: receiving$' '^notify signaller: signalling 1 times$' \
        '^ast_recv: handler ran with bits 0x8 \(blocked call: true\)$' '^notify sender: sending$' '^ast_recv: received$'
    expect '^ast_recv: the recv.s result: Ok\(\(0, 42, 4, \[1, 2, 3, 4\]\)\), as expected$'
    expect '^ast_recv: all [0-9]+ checks passed$'
    exited ast_recv 0
}

check_ast_masked_deferred() {
    no_failures
    expect '^ast_mask: handler runs while masked, three ticks later: 0, as expected$'
    in_order '^ast_mask: handler run 1 with bits 0x3$' '^ast_mask: signalled again from inside the handler$' \
        '^ast_mask: handler run 2 with bits 0x8$' '^ast_mask: unmask \(it was masked\): true, as expected$'
    expect '^ast_mask: handler runs once unmask returned: 2, as expected$'
    expect '^ast_mask: bits of each run: 0x38, as expected$'
    expect '^ast_mask: ast_return outside a handler: got InvalidState, as expected$'
    expect '^ast_mask: all [0-9]+ checks passed$'
    exited ast_mask 0
}

SCENARIOS+=(signal_then_wait wait_then_signal signal_bits_coalesce poll_nonblocking
    bound_notification_wakes_recv ast_interrupts_running_thread ast_during_blocked_recv
    ast_masked_deferred)

# Typed once the client asks: the console server takes it from the UART on IRQ 4 and echoes it.
input_irq_to_user_driver() {
    wait_for_line '^console_client: waiting for a line' && printf 'hello tryst\r'
}

check_irq_to_user_driver() {
    no_failures
    in_order '^console: driving COM1 from user space, input on IRQ 4$' \
        '^console_client: waiting for a line typed on the console$' \
        '^hello tryst$' \
        "^console_client: got the line 'hello tryst' through the console server$" \
        '^console_client: written by the console server$' \
        '^console_client: stop the server \(only init may\): got InvalidArgument, as expected$' \
        '^console: stopped by init after [0-9]+ writes from 3 clients$'
    expect '^console_client: read a port below its range: got MissingRights, as expected$'
    expect '^console_client: write the kernel.s PIC: got MissingRights, as expected$'
    expect '^console_client: acknowledge a line it does not hold: got WrongType, as expected$'
    expect '^console_client: widen its port range: got MissingRights, as expected$'
    expect '^console_client: all [0-9]+ checks passed$'
    exited console 0
    exited console_client 0
}

SCENARIOS+=(irq_to_user_driver)

check_timer_sleep() {
    no_failures
    expect '^timer: the real-time clock ticks at 1024 Hz on IRQ 8$'
    # Each client checks that it did not wake early, by the server's clock and the kernel's.
    expect_count '^timer_client: not early by the timer server.s clock, as expected$' 3
    expect_count '^timer_client: not early by the kernel.s ticks, as expected$' 3
    # Started 30, 10, 20: woken shortest first.
    in_order '^timer_client: slept 10 ms: ' '^timer_client: slept 20 ms: ' '^timer_client: slept 30 ms: '
    awk_check '
        /^timer_client: slept [0-9]+ ms: woke at [0-9]+ ns/ {
            if ($7 <= last) print "woke at " $7 " ns, not after the one before (" last " ns)"; last = $7
        }'
    expect_count '^timer_client: all [0-9]+ checks passed$' 3
    expect '^timer: stopped after [0-9]+ ticks$'
    exited timer 0
}

check_timer_timeouts() {
    no_failures
    expect '^timer_client: the recv ended by the alarm.s signal, as expected$'
    expect '^timer_client: not before 15 ms, as expected$'
    expect '^timer_client: cancel it: Ok\(true\), as expected$'
    expect '^timer_client: the cancelled alarm.s signal: Ok\(0\), as expected$'
    expect '^timer_client: an alarm number out of range: got InvalidArgument, as expected$'
    expect '^timer_client: set an alarm never registered: got InvalidArgument, as expected$'
    expect '^timer_client: an unknown request: got InvalidArgument, as expected$'
    expect '^timer_client: stop the server \(only init may\): got InvalidArgument, as expected$'
    expect '^timer_client: the server still answers, as expected$'
    expect '^timer_client: all [0-9]+ checks passed$'
    exited timer 0
}

SCENARIOS+=(timer_sleep timer_timeouts)
