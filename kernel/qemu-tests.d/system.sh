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
    expect '^names_client: look up into a full slot: got SlotOccupied, as expected$'
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

check_name_service_killed_clients_recover() {
    no_failures
    expect '^init: killing names \(pid [0-9]+\), as process [0-9]+ asks$'
    expect '^supervisor_client: a lookup after the name service ended: Err\(EmptySlot\), as expected$'
    expect '^supervisor_client: the counter looked up before still answers: Ok\(3\), as expected$'
    expect '^init: not starting counter again: the name service it registers with is gone$'
    expect '^supervisor_client: a call through the old connection: Err\(EmptySlot\), as expected$'
    expect '^supervisor_client: all [0-9]+ checks passed$'
    exited supervisor_client 0
}

SCENARIOS+=(name_service_killed_clients_recover init_manifest_starts_servers name_lookup_returns_endpoint name_unknown_is_error
    name_register_not_allowed supervisor_restarts_faulted_server client_sees_peer_gone_then_recovers
    restart_leaks_nothing typed_interface_roundtrip typed_interface_bad_request_rejected)

# --- the shell, typed into the serial console ---------------------------------------------------
# Waits (up to a minute) for the shell's Nth prompt in the log being written, then types LINE.
type_at_prompt() { # N LINE
    local tries=0
    until [ "$(grep -c '^tryst> ' "$log" 2>/dev/null)" -ge "$1" ]; do
        sleep 0.2
        tries=$((tries + 1))
        [ "$tries" -lt 300 ] || return 1
    done
    printf '%s\r' "$2"
}

# pid 1 is the shell; init then starts console, timer, names, kv and counter (pids 2 to 6).
input_shell_ps_lists_servers() {
    type_at_prompt 1 ps && type_at_prompt 2 'kill 6' && type_at_prompt 3 ps && type_at_prompt 4 exit
}

check_shell_ps_lists_servers() {
    no_failures
    expect '^Tryst shell\. Type help for the commands\.$'
    expect '^tryst> ps$'
    expect '^  PID  PROCESS  STATE           PRIO  RESTARTS  NAME$'
    expect '^ +1 +[0-9]+  awaiting reply +1 +0  shell$'  # it is calling init
    expect '^ +2 +[0-9]+  receiving +250 +0  console$'
    expect '^ +3 +[0-9]+  receiving +249 +0  timer$'
    expect '^ +4 +[0-9]+  receiving +252 +0  names$'
    expect '^ +5 +[0-9]+  receiving +200 +0  kv$'
    expect '^ +6 +[0-9]+  receiving +200 +0  counter$'
    # After `kill 6`, init restarts the counter and the second `ps` shows it.
    in_order '^tryst> kill 6$' '^init: killing counter \(pid 6\), as process 1 asks$' \
        '^tryst: process [0-9]+ \(counter\) destroyed by process 0$' '^init: restarted counter' \
        '^shell: killed pid 6$' '^tryst> ps$' '^ +6 +[0-9]+  [a-z]+ +200 +1  counter$'
    expect '^shell: bye$'
    exited shell 0
}

input_shell_ipc_counters() {
    type_at_prompt 1 bench && type_at_prompt 2 ipc && type_at_prompt 3 exit
}

check_shell_ipc_counters() {
    no_failures
    expect '^bench: 1000 typed call/reply round trips to counter: [0-9]+ TSC ticks each$'
    expect '^  SERVER       MESSAGES     CALLS   REPLIES  CAPS$'
    # The counter served the 1000 calls (and replied to each); the name service's lookups
    # and registrations carried capabilities.
    awk_check '
        $1 == "counter" && NF == 5 { seen = 1; if ($3 < 1000 || $4 < 1000) print "counter counters too low: " $0 }
        $1 == "names" && NF == 5 { names = 1; if ($5 < 4) print "names transferred too few capabilities: " $0 }
        END { if (!seen) print "no ipc line for counter"; if (!names) print "no ipc line for names" }'
    expect '^  init +[0-9]+ +[0-9]+ +[0-9]+ +0$'
    exited shell 0
}

input_shell_bad_command() {
    type_at_prompt 1 frobnicate && type_at_prompt 2 kill && type_at_prompt 3 'kill 99' &&
        type_at_prompt 4 'caps x' && type_at_prompt 5 'caps 1' && type_at_prompt 6 'echo still here' &&
        type_at_prompt 7 exit
}

check_shell_bad_command() {
    no_failures
    expect '^shell: unknown command "frobnicate"; type help for the list$'
    expect '^shell: kill needs a PID \(see ps\)$'
    expect '^shell: kill 99: InvalidArgument$'
    expect '^shell: "x" is not a PID \(see ps\)$'
    # The shell's own capabilities: its console, timer and names capabilities among them.
    expect '^ +122  endpoint +-wg-- +0x1$'
    expect '^ +120  endpoint +-wgG- +0x1$'
    expect '^[0-9]+ capabilities$'
    in_order '^tryst> echo still here$' '^still here$' '^shell: bye$'
    exited shell 0
}

SCENARIOS+=(shell_ps_lists_servers shell_ipc_counters shell_bad_command)

# The tutorial's example, exactly as docs/tutorial.md shows its output.
check_tutorial_server_works() {
    no_failures
    in_order '^names: kv registered by process [0-9]+$' '^kv: serving$' \
        '^kv_client: apples = 4, pears = 5$' '^kv_client: 2 keys stored$' \
        '^kv_client: removed pears = 5$' '^kv_client: pears is gone: NotFound$'
    exited kv_client 0
}

SCENARIOS+=(tutorial_server_works)
