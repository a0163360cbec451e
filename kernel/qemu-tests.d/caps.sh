# QEMU scenarios of capabilities and kernel objects (userland/programs/src/bin/init/scenarios/caps.rs).
# Sourced by kernel/qemu-tests.sh: helpers expect, reject, expect_count, expect_order, exited,
# awk_check are defined there; each check_NAME adds to `problems`.
#
# The caps_* programs print one line per check (userland/programs/src/bin/caps_common/mod.rs):
# `WHO: CASE: got ERROR, as expected`, `WHO: CASE: VALUE, as expected`, or `WHO: CASE: FAILED, ...`
# when a check does not hold, then `WHO: all N checks passed`. The checks below require the
# exact lines, no FAILED line, no user panic, and every process's exit status.

# caps_lines WHO LINE...: each "WHO: LINE" is a whole line of the log, compared literally.
caps_lines() {
    local who=$1 line
    shift
    for line in "$@"; do
        grep -Fxq -- "$who: $line" "$log" || problems+=("missing line: $who: $line")
    done
}

# caps_clean PROGRAM N: no check failed, no user program panicked or stopped, and all N
# processes running PROGRAM exited with status 0.
caps_clean() {
    no_failures
    reject "tryst: process [0-9]+ \\($1\\) stopped"
    expect_count "^tryst: process [0-9]+ \\($1\\) exited with status 0\$" "$2"
}

check_invalid_cap_rejected() {
    caps_clean caps_invalid 1
    caps_lines caps_invalid \
        'identify slot 128: got InvalidSlot, as expected' \
        'delete slot 2^64-1: got InvalidSlot, as expected' \
        'copy into slot 128: got InvalidSlot, as expected' \
        'send on slot 200: got InvalidSlot, as expected' \
        'recv on slot 128: got InvalidSlot, as expected' \
        'create into slot 128: got InvalidSlot, as expected' \
        'nb_send carrying slot 200: got InvalidSlot, as expected' \
        'identify an empty slot: got EmptySlot, as expected' \
        'delete an empty slot: got EmptySlot, as expected' \
        'revoke an empty slot: got EmptySlot, as expected' \
        'copy from an empty slot: got EmptySlot, as expected' \
        'move from an empty slot: got EmptySlot, as expected' \
        'send on an empty slot: got EmptySlot, as expected' \
        'recv on an empty slot: got EmptySlot, as expected' \
        'call on an empty slot: got EmptySlot, as expected' \
        'memory_info on an empty slot: got EmptySlot, as expected' \
        'create through an empty slot: got EmptySlot, as expected' \
        'nb_send carrying an empty slot: got EmptySlot, as expected' \
        'send on the Memory capability: got WrongType, as expected' \
        'recv on the Memory capability: got WrongType, as expected' \
        'nb_recv on the Memory capability: got WrongType, as expected' \
        'call on the CSpace capability: got WrongType, as expected' \
        'nb_send on the CSpace capability: got WrongType, as expected' \
        'reply_recv on the CSpace capability: got WrongType, as expected' \
        'memory_info on the endpoint: got WrongType, as expected' \
        'memory_info on the CSpace capability: got WrongType, as expected' \
        'create through the endpoint: got WrongType, as expected' \
        'create through the CSpace capability: got WrongType, as expected' \
        'copy into the CSpace slot: got SlotOccupied, as expected' \
        'mint into the Memory slot: got SlotOccupied, as expected' \
        'mint Memory into the endpoint slot: got SlotOccupied, as expected' \
        'move onto an occupied slot: got SlotOccupied, as expected' \
        'move onto its own slot: got SlotOccupied, as expected' \
        'create an endpoint into an occupied slot: got SlotOccupied, as expected' \
        'create a Memory into an occupied slot: got SlotOccupied, as expected' \
        'nb_send of 65 words: got MessageTooLong, as expected' \
        'send of 127 words: got MessageTooLong, as expected' \
        'call of 65 words: got MessageTooLong, as expected' \
        'reply of 65 words: got MessageTooLong, as expected' \
        'after all the failed calls, stats, slots and Memory figures are as at the start, as expected' \
        'the kernel still answers: an endpoint made, identified and deleted, as expected' \
        'all 45 checks passed'
    # Each failing case is checked to leave the state alone (no "changed" FAILED line above).
    expect_count '^caps_invalid: .*: got [A-Za-z]+, as expected$' 39
}

check_rights_enforced() {
    caps_clean caps_rights 2
    caps_lines caps_rights \
        'the read-only copy: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(READ), badge: 0 }), as expected' \
        'send without Write: got MissingRights, as expected' \
        'nb_send without Write: got MissingRights, as expected' \
        'call without Write: got MissingRights, as expected' \
        'recv without Read: got MissingRights, as expected' \
        'nb_recv without Read: got MissingRights, as expected' \
        'reply_recv without Read: got MissingRights, as expected' \
        'nb_recv with Read and no sender: got WouldBlock, as expected' \
        'nb_send with Write and no receiver: got WouldBlock, as expected' \
        'mint Read and Write from the read-only copy: got MissingRights, as expected' \
        'mint Grant from the write-only copy: got MissingRights, as expected' \
        'the slot of the refused mints: Err(EmptySlot), as expected' \
        'a copy of the read-only copy: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(READ), badge: 0 }), as expected' \
        'badge an already badged capability: got InvalidArgument, as expected' \
        'a copy of the badged copy: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(WRITE), badge: 7 }), as expected' \
        'badge a Memory capability: got InvalidArgument, as expected' \
        'create without Write: got MissingRights, as expected' \
        'create a Memory without Write: got MissingRights, as expected' \
        'memory_info without Read: got MissingRights, as expected' \
        "memory_info with Read gives the original's figures, as expected" \
        'receiving through the read-only copy' \
        'message from the peer: badge, label, length, words: (55, 1234, 3, [7, 8, 9]), as expected' \
        'all 38 checks passed'
    caps_lines 'caps_rights peer' \
        'the boot capability: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(WRITE), badge: 55 }), as expected' \
        'recv through the write-only boot capability: got MissingRights, as expected' \
        'mint Read from it: got MissingRights, as expected' \
        'rebadge it: got InvalidArgument, as expected' \
        'sent through the write-only capability' \
        'all 5 checks passed'
    # The peer runs only once the checker waits for its message.
    expect_order '^caps_rights: receiving through the read-only copy$' '^caps_rights peer: the boot capability'
}

check_grant_right_required() {
    caps_clean caps_grant 2
    caps_lines 'caps_grant client' \
        'send carrying a capability without Grant: got GrantRequired, as expected' \
        'nb_send carrying a capability without Grant: got GrantRequired, as expected' \
        'call carrying a capability without Grant: got GrantRequired, as expected' \
        'reply to the call without GrantReply: label, capabilities: (31, 0), as expected' \
        'the receive slot after that reply: Err(EmptySlot), as expected' \
        'reply to the call with GrantReply: label, capabilities: (41, 1), as expected' \
        'the capability in the reply: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(WRITE), badge: 77 }), as expected' \
        'all 13 checks passed'
    caps_lines 'caps_grant server' \
        'first message received: label, badge, capabilities: (20, 2, 1), as expected' \
        'the capability received: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(READ | WRITE | GRANT | GRANT_REPLY), badge: 0 }), as expected' \
        'second message: label, badge: (30, 2), as expected' \
        'reply_recv carrying a capability to a caller without GrantReply: got GrantRequired, as expected' \
        'reply carrying a capability to a caller without GrantReply: got GrantRequired, as expected' \
        'third message: label, badge: (40, 3), as expected' \
        'replied with a capability' \
        'all 14 checks passed'
    # The refused sends happened while the server waited, and it kept waiting.
    expect_order '^caps_grant client: call carrying a capability without Grant' '^caps_grant server: first message received'
}

check_revoke_removes_derived() {
    expect '^caps_revoke owner: capabilities and endpoints at the end, against the start: \([0-9]+, 5\), as expected$'
    caps_clean caps_revoke 2
    caps_lines 'caps_revoke owner' \
        'capabilities made: the original and four copies: 5, as expected' \
        'capabilities the holder received: 2, as expected' \
        'revoking the original' \
        'capabilities removed by the revoke: 6, as expected' \
        'endpoints after the revoke: 6, as expected' \
        'own badge-11 copy: got EmptySlot, as expected' \
        'own badge-12 copy: got EmptySlot, as expected' \
        'own badge-13 copy: got EmptySlot, as expected' \
        'own copy of the badge-11 copy: got EmptySlot, as expected' \
        'the original after the revoke: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(READ | WRITE | GRANT | GRANT_REPLY), badge: 0 }), as expected' \
        'message through the original: label, badge: (3, 21), as expected' \
        'all 24 checks passed'
    caps_lines 'caps_revoke holder' \
        'capabilities received: 2, as expected' \
        'first copy received: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(READ | WRITE | GRANT | GRANT_REPLY), badge: 11 }), as expected' \
        'second copy received: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(READ | WRITE | GRANT | GRANT_REPLY), badge: 12 }), as expected' \
        'blocking in send through the badge-11 copy' \
        'send through the badge-11 copy while it is revoked: got PeerGone, as expected' \
        'the badge-11 copy after the revoke: got EmptySlot, as expected' \
        'the badge-12 copy after the revoke: got EmptySlot, as expected' \
        'capabilities received: 1, as expected' \
        'the fresh copy: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(WRITE), badge: 21 }), as expected' \
        'all 11 checks passed'
    # The holder was blocked when the owner revoked, and woke only after it.
    expect_order '^caps_revoke holder: blocking in send' '^caps_revoke owner: revoking the original$'
    expect_order '^caps_revoke owner: revoking the original$' '^caps_revoke holder: send through the badge-11 copy while'
}

check_memory_budget_exhausted() {
    expect '^caps_budget: kernel_stats at the end: KernelStats \{ threads: 5, endpoints: 4, memories: 5, capabilities: [0-9]+, cspaces: 9, frames: [0-9]+ \}, as expected$'
    caps_clean caps_budget 1
    caps_lines caps_budget \
        'the child Memory: budget, used: Ok((192, 0)), as expected' \
        'endpoints made from the child: 3, as expected' \
        'a fourth endpoint: got OutOfMemory, as expected' \
        'the slot of the fourth endpoint: got EmptySlot, as expected' \
        'the full child Memory: budget, used: Ok((192, 192)), as expected' \
        'a Memory from the full child, budget 0: got OutOfMemory, as expected' \
        'endpoints in kernel_stats: 7, as expected' \
        'the child Memory after a delete: budget, used: Ok((192, 128)), as expected' \
        'one more after that: got OutOfMemory, as expected' \
        'a Memory from the child, budget 1 with 64 bytes left: got OutOfMemory, as expected' \
        'the child Memory with a grandchild: budget, used: Ok((192, 192)), as expected' \
        'the child Memory after the grandchild: budget, used: Ok((192, 128)), as expected' \
        'a Memory from the boot Memory, all that is left as budget: got OutOfMemory, as expected' \
        'a Memory from the boot Memory, budget 2^64-1: got OutOfMemory, as expected' \
        'an endpoint from the exhausted boot Memory: got OutOfMemory, as expected' \
        'the endpoint made from the deleted child: got EmptySlot, as expected' \
        'Memory objects once the child is gone: 5, as expected' \
        'all 36 checks passed'
    # The boot Memory's budget is whatever RAM is free: only its use is pinned here. The
    # console and timer servers' notifications (64 bytes each) are charged to it too.
    local boot='budget, used: Ok\(\(([0-9]+), '
    expect "^caps_budget: the boot Memory is charged MEMORY_COST plus the child's budget: Ok\\(\\([0-9]+, 256\\)\\), as expected\$"
    expect "^caps_budget: the boot Memory after that: ${boot}\\1\\)\\), as expected\$"
    expect "^caps_budget: the boot Memory after deleting it: ${boot}256\\)\\), as expected\$"
    expect "^caps_budget: the boot Memory at the end: Ok\\(\\([0-9]+, 0\\)\\), as expected\$"
    reject 'TableFull'
}

check_cap_transfer_grant() {
    caps_clean caps_transfer 2
    caps_lines 'caps_transfer server' \
        'first message: label, badge, capabilities: (1, 5, 2), as expected' \
        'first capability received: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(WRITE), badge: 42 }), as expected' \
        'second capability received: Ok(CapInfo { kind: Some(Memory), rights: Rights(READ), badge: 0 }), as expected' \
        "memory_info through the received Memory capability gives the boot Memory's figures, as expected" \
        'create through the received read-only Memory: got MissingRights, as expected' \
        'sent through the endpoint received' \
        'second message: label, capabilities arrived: (2, 1), as expected' \
        'the one capability that landed: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(WRITE), badge: 42 }), as expected' \
        'capabilities gained from the second message: 1, as expected' \
        'all 14 checks passed'
    caps_lines 'caps_transfer client' \
        'capabilities the server gained: 2, as expected' \
        'message through the endpoint sent: label, badge, words: (99, 42, [10, 20, 30, 40]), as expected' \
        'all 11 checks passed'
}

check_memory_revoke_reclaims_cycles() {
    caps_clean caps_cycles 1
    local cycle
    for cycle in InOwnSpace ThroughASpace FaultedIntoOwnEndpoint; do
        expect "^caps_cycles: $cycle reclaimed\$"
    done
    expect_count '^caps_cycles: kernel objects at the end of the round: .*, as expected$' 3
    expect '^caps_cycles: all [0-9]+ checks passed$'
}

check_exited_process_with_suspended_thread_reclaimed() {
    caps_clean caps_cycles 1
    expect '^caps_cycles: exiting with the cycle in place$'
    expect '^caps_cycles: all [0-9]+ checks passed$'
}

check_revoke_cost_linear() {
    caps_clean caps_revoke_chain 1
    local shape length
    for shape in chained flat; do
        for length in 1000 2000 4000; do
            expect "^caps_revoke_chain: $length $shape copies revoked in [0-9]+ instructions, [0-9]+ per copy\$"
        done
    done
    expect_count '^caps_revoke_chain: the cost per copy at twice the length is at most 1.5 times what it was, as expected$' 4
}

check_delete_cost_constant() {
    caps_clean caps_revoke_chain 1
    local shape length
    for shape in chained flat; do
        for length in 1000 4000; do
            expect "^caps_revoke_chain: $length $shape copies: a capability space of 128 of them deleted in [0-9]+ instructions, the original in [0-9]+\$"
        done
    done
    expect_count '^caps_revoke_chain: deleting the capability space costs at most 1.5 times as much below 4 times as many copies, as expected$' 2
    expect_count '^caps_revoke_chain: deleting the original costs at most 1.5 times as much above 4 times as many copies, as expected$' 2
}

check_deep_revoke_stays_preemptible() {
    caps_clean caps_revoke_chain 2
    expect '^caps_revoke_chain revoker: 6000 chained copies revoked in [0-9]+ instructions, over [0-9]+ ticks$'
    expect '^caps_revoke_chain sleeper: woke [0-9]+ times, at most [0-9]+\.[0-9] timer periods apart$'
    expect '^caps_revoke_chain sleeper: the sleeper woke at least every 2 timer periods, as expected$'
}

check_receive_slot_none() {
    caps_clean caps_transfer 2
    caps_lines 'caps_transfer none-server' \
        'capabilities arrived: 1, as expected' \
        'the named slot holds: Ok(Some(Endpoint)), as expected' \
        'slot 0 after the message: Some(EmptySlot), as expected' \
        'all 7 checks passed'
    caps_lines 'caps_transfer none-client' 'all 5 checks passed'
}

check_endpoint_deleted_wakes_waiters() {
    expect '^caps_wake owner: capabilities at the end, against the start: [0-9]+, as expected$'
    caps_clean caps_wake 3
    caps_lines 'caps_wake owner' \
        'revoking E and F' \
        'endpoints before deleting the last capabilities: 8, as expected' \
        'deleting E and F' \
        'endpoints after deleting the last capabilities: 6, as expected' \
        'all 17 checks passed'
    caps_lines 'caps_wake receiver' \
        'capabilities received: 1, as expected' \
        'E: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(READ), badge: 0 }), as expected' \
        'blocking in recv on E' \
        'recv on E, blocked when E was deleted: got PeerGone, as expected' \
        'E after the wake-up: got EmptySlot, as expected' \
        'all 5 checks passed'
    caps_lines 'caps_wake caller' \
        'capabilities received: 1, as expected' \
        'F: Ok(CapInfo { kind: Some(Endpoint), rights: Rights(WRITE), badge: 0 }), as expected' \
        'blocking in call on F' \
        'call on F, blocked when F was deleted: got PeerGone, as expected' \
        'F after the wake-up: got EmptySlot, as expected' \
        'all 5 checks passed'
    # Both were blocked before the revoke, the revoke woke neither, the deletion woke both.
    expect_order '^caps_wake receiver: blocking in recv on E$' '^caps_wake owner: revoking E and F$'
    expect_order '^caps_wake caller: blocking in call on F$' '^caps_wake owner: revoking E and F$'
    expect_order '^caps_wake owner: deleting E and F$' '^caps_wake receiver: recv on E, blocked when E was deleted'
    expect_order '^caps_wake owner: deleting E and F$' '^caps_wake caller: call on F, blocked when F was deleted'
}

SCENARIOS+=(invalid_cap_rejected rights_enforced grant_right_required revoke_removes_derived
    memory_budget_exhausted cap_transfer_grant receive_slot_none memory_revoke_reclaims_cycles
    exited_process_with_suspended_thread_reclaimed revoke_cost_linear delete_cost_constant
    deep_revoke_stays_preemptible endpoint_deleted_wakes_waiters)
