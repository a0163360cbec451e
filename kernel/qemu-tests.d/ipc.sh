# QEMU scenarios of synchronous IPC between processes (userland/programs/src/bin/init/scenarios/ipc.rs).
# Sourced by kernel/qemu-tests.sh: helpers expect, reject, expect_count, expect_order, exited,
# awk_check are defined there; each check_NAME adds to `problems`.

# ipc_expect_lines FILTER LINE...: the log lines matching the regex FILTER are exactly the
# LINEs (plain text, not regexes), in this order, and no others.
ipc_expect_lines() {
    local filter=$1 i=0 expected
    shift
    local -a seen
    mapfile -t seen < <(grep -E -- "$filter" "$log")
    for expected in "$@"; do
        if [ "${seen[$i]-}" != "$expected" ]; then
            problems+=("line $((i + 1)) matching '$filter': expected '$expected', saw '${seen[$i]-nothing}'")
            return
        fi
        i=$((i + 1))
    done
    [ ${#seen[@]} -eq $# ] || problems+=("expected $# lines matching '$filter', saw ${#seen[@]}")
}

check_call_reply_roundtrip() {
    expect '^echo_server: served 1000 calls$'
    expect '^echo_client 1: 1000 calls of 4 words answered correctly; server saw badge 0$'
    exited echo_server 0
    exited echo_client 0
}

check_badge_identifies_client() {
    # The server counts by the badge the kernel delivers; every client claims to be badge 11.
    expect '^ipc_badge_server: badge 11 made 10 calls$'
    expect '^ipc_badge_server: badge 22 made 20 calls$'
    expect '^ipc_badge_server: badge 33 made 30 calls$'
    expect_count '^ipc_badge_server: badge [0-9]+ made' 3
    expect '^ipc_badge_server: answered 60 calls from 3 badges$'
    for client in 11:10 22:20 33:30; do
        local badge=${client%:*} calls=${client#*:}
        expect "^ipc_badge_client $badge: $calls calls claiming badge 11, each answered with badge $badge and the server's count for it\$"
    done
    reject 'FAILED'
    exited ipc_badge_server 0
    expect_count '\(ipc_badge_client\) exited with status 0$' 3
}

check_send_recv_blocking_order() {
    # Every sender is blocked in send before the receiver runs; each send returns (the sender
    # preempts the low-priority receiver at once) just after the receiver took its message:
    # by priority (d 7, b 5, then a and c at 3 in the order they queued). Then the receiver
    # blocks first on endpoint 1 and e's send wakes it.
    ipc_expect_lines '^ipc_ordered_' \
        'ipc_ordered_sender d: sending' \
        'ipc_ordered_sender e: sleeping 20 ticks, then sending' \
        'ipc_ordered_sender b: sending' \
        'ipc_ordered_sender a: sending' \
        'ipc_ordered_sender c: sending' \
        'ipc_ordered_receiver: receiving 4 messages on endpoint 0' \
        'ipc_ordered_sender d: sent' \
        'ipc_ordered_receiver: message 1 from d' \
        'ipc_ordered_sender b: sent' \
        'ipc_ordered_receiver: message 2 from b' \
        'ipc_ordered_sender a: sent' \
        'ipc_ordered_receiver: message 3 from a' \
        'ipc_ordered_sender c: sent' \
        'ipc_ordered_receiver: message 4 from c' \
        'ipc_ordered_receiver: order dbac: by priority, first come first served within a priority' \
        'ipc_ordered_receiver: waiting on endpoint 1' \
        'ipc_ordered_sender e: sending' \
        'ipc_ordered_sender e: sent' \
        'ipc_ordered_receiver: message from e on endpoint 1 woke it after it had blocked'
    exited ipc_ordered_receiver 0
    expect_count '\(ipc_ordered_sender\) exited with status 0$' 5
}

check_nb_send_would_block() {
    # The refused nb_send leaves nothing behind (the receiver's nb_recv finds nothing and its
    # recv gets label 2); nb_send to a waiting receiver delivers; nb_recv takes a queued send.
    ipc_expect_lines '^ipc_nb_' \
        'ipc_nb_sender: nb_send with no receiver waiting: Err(WouldBlock), as expected' \
        'ipc_nb_receiver: nb_recv after the refused nb_send: Err(WouldBlock), as expected' \
        'ipc_nb_sender: nb_send to a waiting receiver: Ok(()), as expected' \
        'ipc_nb_sender: sending label 3 with a blocking send (nobody is receiving now)' \
        'ipc_nb_receiver: recv while the sender sleeps: Ok(2), as expected' \
        'ipc_nb_sender: send of label 3 returned once the receiver took it: Ok(()), as expected' \
        'ipc_nb_receiver: nb_recv with the sender queued in send: Ok(3), as expected' \
        'ipc_nb_receiver: nb_recv with nobody queued: Err(WouldBlock), as expected'
    exited ipc_nb_sender 0
    exited ipc_nb_receiver 0
}

check_long_message_64_words() {
    # 301 = the clients' 300 calls and the checker's good one: no refused message got through.
    expect '^echo_server: served 301 calls$'
    for client in 1 2 3; do
        expect "^echo_client $client: 100 calls of 64 words answered correctly; server saw badge $client\$"
    done
    expect_count '^ipc_long_checker: (call|send|nb_send|reply) claiming .*: MessageTooLong, as expected$' 6
    expect '^ipc_long_checker: a 64-word call after the refused ones: all 64 words answered$'
    reject 'FAILED'
    reject '^echo_client [0-9]+: call'
    exited echo_server 0
    expect_count '\(echo_client\) exited with status 0$' 3
    exited ipc_long_checker 0
}

check_server_dies_caller_gets_peer_gone() {
    expect '^ipc_dying_server: holding the call labelled 97 from badge 0; sleeping, then exiting without replying$'
    expect '^ipc_dying_server: holding the call labelled 98 from badge 0; sleeping, then faulting without replying$'
    exited ipc_dying_server 0
    expect '^tryst: process [0-9]+ \(ipc_dying_server\) stopped: page fault at 0x0 \(read, ip 0x[0-9a-f]+\)$'
    expect_order '\(ipc_dying_server\) exited with status 0$' '^ipc_peer_client a: call returned PeerGone, as expected \(its server died\)$'
    expect_order '\(ipc_dying_server\) stopped: page fault' '^ipc_peer_client b: call returned PeerGone, as expected \(its server died\)$'
    # The echo pair on the third endpoint was still at work when both servers died.
    expect '^echo_server: served 50000 calls$'
    expect '^echo_client 7: 50000 calls of 4 words answered correctly; server saw badge 7$'
    expect_order '\(ipc_dying_server\) stopped: page fault' '^echo_server: served 50000 calls$'
    expect_order '\(ipc_dying_server\) exited' '^echo_server: served 50000 calls$'
    reject 'FAILED'
    expect_count '\(ipc_peer_client\) exited with status 0$' 2
    exited echo_server 0
    exited echo_client 0
}

check_caller_dies_reply_fails_cleanly() {
    # Callers 1 and 2 are destroyed (by the killer, through the Thread capabilities they gave
    # it) while the server holds their calls: reply and reply_recv fail with PeerGone, the
    # right is used up, reply_recv does not receive, and the server goes on serving. Caller 3
    # loses its call to a fresh recv; caller 4 is answered.
    ipc_expect_lines '^ipc_reply_|^tryst: process [0-9]+ \(ipc_reply_client\) destroyed' \
        'ipc_reply_server: reply with no call to answer: Err(NoReply), as expected' \
        'ipc_reply_server: reply_recv with no call to answer: Err(NoReply), as expected' \
        'ipc_reply_killer: holding the Thread capability of the caller with badge 1' \
        'ipc_reply_client 1: calling; the killer holds my Thread capability' \
        'ipc_reply_killer: holding the Thread capability of the caller with badge 2' \
        'ipc_reply_client 2: calling; the killer holds my Thread capability' \
        'ipc_reply_server: recv: Ok(1), as expected' \
        'ipc_reply_server: holding the call of badge 1; having its caller destroyed' \
        'tryst: process 3 (ipc_reply_client) destroyed by process 1' \
        'ipc_reply_killer: destroyed the caller with badge 1; its Thread capability went with it' \
        'ipc_reply_server: the killer: Ok(()), as expected' \
        'ipc_reply_server: reply to the destroyed caller: Err(PeerGone), as expected' \
        'ipc_reply_server: reply again: Err(NoReply), as expected' \
        'ipc_reply_server: recv: Ok(2), as expected' \
        'ipc_reply_server: holding the call of badge 2; having its caller destroyed' \
        'tryst: process 4 (ipc_reply_client) destroyed by process 1' \
        'ipc_reply_killer: destroyed the caller with badge 2; its Thread capability went with it' \
        'ipc_reply_server: the killer: Ok(()), as expected' \
        'ipc_reply_server: reply_recv to the destroyed caller: Err(PeerGone), as expected' \
        'ipc_reply_server: nb_recv after it (the queued call is still there): Ok(3), as expected' \
        'ipc_reply_server: holding the call of badge 3; receiving again without answering it' \
        'ipc_reply_server: recv: Ok(4), as expected' \
        'ipc_reply_server: reply to badge 4: Ok(()), as expected' \
        'ipc_reply_server: every check passed' \
        'ipc_reply_client 3: call returned PeerGone, as expected (the server received again)' \
        'ipc_reply_client 4: call answered, as expected'
    exited ipc_reply_killer 0
    exited ipc_reply_server 0
    expect_count '\(ipc_reply_client\) exited with status 0$' 2
}

check_ipc_stress_no_leak() {
    # 3 clients x 34000 calls, alternating between two servers; every 7th call carries a
    # capability (4857 per client: 2429 to server 1, 2428 to server 2).
    expect '^ipc_stress_monitor: at the start: 10 threads, 8 endpoints, 5 memory objects, [0-9]+ capabilities, 19 cspaces; boot memory 256 of [0-9]+ bytes used$'
    awk_check '
        /^ipc_stress_monitor: at the start: / { start = substr($0, length("ipc_stress_monitor: at the start: ") + 1) }
        /^ipc_stress_monitor: at the end: / { end = substr($0, length("ipc_stress_monitor: at the end: ") + 1) }
        END {
            if (start == "" || end == "") print "the monitor did not report its start and end figures"
            else if (start != end) print "kernel figures changed: " start " -> " end
        }'
    expect '^ipc_stress_monitor: kernel objects and boot memory are back to their starting values$'
    for client in 1 2 3; do
        expect "^ipc_stress_client $client: 17000 calls to server 1, 17000 to server 2, 4857 capabilities sent; 0 problems\$"
    done
    expect '^ipc_stress_server 1: calls by badge 1, 2, 3: 17000, 17000, 17000; 7287 capabilities received and deleted; 0 problems$'
    expect '^ipc_stress_server 2: calls by badge 1, 2, 3: 17000, 17000, 17000; 7284 capabilities received and deleted; 0 problems$'
    expect '^ipc_stress_monitor: server 1 counted \[17000, 17000, 17000\] calls in order, as the clients report$'
    expect '^ipc_stress_monitor: server 2 counted \[17000, 17000, 17000\] calls in order, as the clients report$'
    expect '^ipc_stress_monitor: 102000 calls \(204000 messages with the replies\), 14571 capabilities transferred, 0 client problems, in [0-9]+ ticks$'
    reject 'FAILED'
    exited ipc_stress_monitor 0
    expect_count '\(ipc_stress_server\) exited with status 0$' 2
    expect_count '\(ipc_stress_client\) exited with status 0$' 3
}

# The workload runs a second time with fastpath=off; every digest and counter line of the
# two boots must be the same (lines differ only in order, since timer ticks fall elsewhere).
check_fastpath_equivalence() {
    expect '^tryst: IPC fastpath on$'
    reject 'FAILED'
    for server in 0 1; do
        expect_count "^equiv: server $server: badge [0-9]+: 300 messages, digest 0x[0-9a-f]{16}\$" 3
        expect "^equiv: server $server: endpoint counted 900 messages, 720 calls, 720 replies, 0 capabilities\$"
    done
    expect_count '^equiv: client [1-3]: 480 calls answered correctly, 120 sends, digest 0x[0-9a-f]{16}$' 3
    exited equiv_server 0
    local general="$LOGS/fastpath_equivalence[fastpath=off].log" saved_log=$log
    boot_scenario fastpath_equivalence "$general" fastpath=off
    [ "$status" -eq "$SUCCESS_STATUS" ] || problems+=("the boot with fastpath=off exited with $status")
    log=$general
    expect '^tryst: IPC fastpath off \(fastpath=off\)$'
    reject 'FAILED'
    log=$saved_log
    local on off
    on=$(grep '^equiv: ' "$log" | sort)
    off=$(grep '^equiv: ' "$general" | sort)
    [ "$on" = "$off" ] || problems+=("the two boots differ: $(diff <(echo "$on") <(echo "$off") | head -4 | tr '\n' ' ')")
}

check_registers_preserved_across_fastpath() {
    reject 'FAILED'
    expect '^regs_client: 3000 calls kept rbx, rbp and r12-r15 and got the right answers$'
    expect '^regs_server: 3000 calls answered; reply_recv kept rbx, rbp and r12-r15 every time$'
    # Each spin lasts about three ticks, so the ticker (and the timer) preempted it.
    expect '^regs_client: 3 spins across ([3-9]|[1-9][0-9]+) timer ticks kept every register$'
    expect '^regs_client: RFLAGS kept CF, DF and AC, lost NT and kept IF on, across a system call and a preempted spin$'
    exited regs_client 0
    exited regs_server 0
    exited regs_ticker 0
}

SCENARIOS+=(fastpath_equivalence registers_preserved_across_fastpath)
SCENARIOS+=(call_reply_roundtrip badge_identifies_client send_recv_blocking_order nb_send_would_block
    long_message_64_words server_dies_caller_gets_peer_gone caller_dies_reply_fails_cleanly ipc_stress_no_leak)
