# Threads made from user space through capabilities (userland/programs/src/bin/thread_control.rs).
# Sourced by kernel/qemu-tests.sh.

check_threads_from_user_space() {
    no_failures
    expect '^thread_control worker: running, counting by 1$'
    expect '^thread_control: start before configuring: got InvalidState, as expected$'
    expect '^thread_control: configure above the caller.s priority: got MissingRights, as expected$'
    expect '^thread_control: configure again: got InvalidState, as expected$'
    expect '^thread_control: start again: got InvalidState, as expected$'
    expect '^thread_control: the worker counts while the controller yields, as expected$'
    expect '^thread_control: what it counts while suspended: 0, as expected$'
    expect '^thread_control: the worker counts again once resumed, as expected$'
    expect '^thread_control: what it counts once destroyed: 0, as expected$'
    # The kernel reports the worker, by the name the controller gave it, destroyed by the
    # controller (process 1, the only process init started).
    expect '^tryst: process [0-9]+ \(thread_control worker\) destroyed by process 1$'
    expect_order '^thread_control: resume it: ok$|^thread_control: the worker counts again' '^tryst: process [0-9]+ \(thread_control worker\) destroyed'
    expect '^thread_control: Memory figures at the end, against the start: Ok\(\([0-9]+, [0-9]+\)\), as expected$'
    expect '^thread_control: all [0-9]+ checks passed$'
    exited thread_control 0
}

check_suspended_caller_call_cancelled() {
    no_failures
    expect '^ipc_suspended_caller: reply to the cancelled call: got PeerGone, as expected$'
    expect '^ipc_suspended_caller: what the first call returned: 22, as expected$'
    expect '^ipc_suspended_caller: what the second call returned: 1020, as expected$'
    exited ipc_suspended_caller 0
}

SCENARIOS+=(threads_from_user_space suspended_caller_call_cancelled)
