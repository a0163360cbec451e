# The user-space system: init from the manifest, the name service, supervised restarts and
# typed interfaces (userland/programs/src/bin/init/scenarios/system.rs).

# Every server of the manifest is started with its priority and budget, registers its name,
# and a client finds each running through init's supervisor interface.
check_init_manifest_starts_servers() {
    no_failures
    for server in 'console.*priority 250' 'timer.*priority 249' 'names.*priority 252' 'kv.*priority 200' \
        'counter.*priority 200'; do
        expect "^init: started $server, budget 384 KiB\$"
    done
    expect '^names: init registered by process 0$'
    expect '^names: kv registered by process [0-9]+$'
    expect '^names: counter registered by process [0-9]+$'
    expect_count '^supervisor_client: [a-z]+: pid [0-9]+, process [0-9]+, state [0-9]+, priority [0-9]+$' 5
    expect '^supervisor_client: all [0-9]+ checks passed$'
    exited supervisor_client 0
}

check_name_lookup_returns_endpoint() {
    no_failures
    expect '^names_client: the badge the server sees: Ok\([0-9]+\), as expected$'
    expect '^names_client: a call through the second: Ok\(2\), as expected$'
    expect '^names_client: all [0-9]+ checks passed$'
    exited names_client 0
}

check_name_unknown_is_error() {
    no_failures
    expect '^names_client: look up nobody: got NotFound, as expected$'
    expect '^names_client: look up kv \(not allowed\): got MissingRights, as expected$'
    expect '^names_client: all [0-9]+ checks passed$'
    exited names_client 0
}

check_name_register_not_allowed() {
    no_failures
    expect '^names_client: register counter: got MissingRights, as expected$'
    expect '^names_client: register mine \(in no rule\): got MissingRights, as expected$'
    expect '^names: scratch registered by process [0-9]+$'
    expect_count '^names: counter registered by' 1
    expect '^names_client: all [0-9]+ checks passed$'
    exited names_client 0
}

check_supervisor_restarts_faulted_server() {
    no_failures
    in_order '^init: started counter \(process [0-9]+, pid [0-9]+\)' \
        '^counter: crashing, as process [0-9]+ asks$' \
        '^tryst: process [0-9]+ \(counter\) stopped: page fault at 0x0 \(read, ' \
        '^init: restarted counter \(process [0-9]+, pid [0-9]+\) at priority 200, budget 384 KiB$' \
        '^names: counter registered by process [0-9]+$' \
        '^counter: serving, total 0$' \
        '^supervisor_client: one restart: 1, as expected$'
    expect_count '^counter: serving, total 0$' 2
    expect '^supervisor_client: all [0-9]+ checks passed$'
    exited supervisor_client 0
}

check_client_sees_peer_gone_then_recovers() {
    no_failures
    in_order '^counter_client: crash it: Err\(PeerGone\), as expected$' \
        '^counter_client: the next call reaches a fresh instance: Ok\(1\), as expected$' \
        '^counter_client: kv was not disturbed: Ok\(7\), as expected$' \
        '^counter_client: and recover again: Ok\(0\), as expected$'
    expect_count '^init: restarted counter' 2
    reject '^init: restarted kv'
    expect '^counter_client: all [0-9]+ checks passed$'
    exited counter_client 0
}

check_restart_leaks_nothing() {
    no_failures
    expect_count '^supervisor_client: kernel objects after a restart: KernelStats .*, as expected$' 3
    expect_count '^supervisor_client: counter.s memory after a restart: Ok\(\([0-9]+, [0-9]+\)\), as expected$' 3
    expect_count '^init: restarted counter' 3
    reject 'left [0-9]+ bytes of its budget in use'
    expect '^supervisor_client: all [0-9]+ checks passed$'
    exited supervisor_client 0
}

check_typed_interface_roundtrip() {
    no_failures
    expect '^counter_client: echo: Ok\(\("tryst", true, 200, -42, 212\)\), as expected$'
    expect '^counter_client: kv get missing: Err\(NotFound\), as expected$'
    expect '^counter_client: all [0-9]+ checks passed$'
    exited counter_client 0
}

check_typed_interface_bad_request_rejected() {
    no_failures
    expect '^counter_client: an unknown operation: got UnknownOperation, as expected$'
    expect '^counter_client: echo with a bool of 2: got InvalidArgument, as expected$'
    expect '^counter_client: and the server goes on: Ok\(1\), as expected$'
    reject '^init: restarted'
    expect '^counter_client: all [0-9]+ checks passed$'
    exited counter_client 0
}

SCENARIOS+=(init_manifest_starts_servers name_lookup_returns_endpoint name_unknown_is_error
    name_register_not_allowed supervisor_restarts_faulted_server client_sees_peer_gone_then_recovers
    restart_leaks_nothing typed_interface_roundtrip typed_interface_bad_request_rejected)
