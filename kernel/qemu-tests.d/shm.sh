# QEMU scenarios of shared memory (userland/programs/src/bin/init/scenarios/shm.rs): Frames mapped by several
# processes, read-only sharing, revocation. Sourced by kernel/qemu-tests.sh: helpers expect,
# reject, expect_count, expect_order, exited, awk_check are defined there; each check_NAME adds
# to `problems`.
#
# The shm_* programs print one line per check (userland/programs/src/bin/caps_common/mod.rs):
# `WHO: CASE: VALUE, as expected`, `WHO: CASE: got ERROR, as expected`, or `WHO: CASE: FAILED,
# ...`, then `WHO: all N checks passed`. Addresses and words print in hexadecimal; a pattern
# check prints the first byte that differs, `None` when all match. The checks below require the
# exact lines, no FAILED line and no user panic, the kernel's page-fault lines for the processes
# that must fault (and no others), and every other process's exit status.

# shm_lines WHO LINE...: each "WHO: LINE" is a whole line of the log, compared literally.
shm_lines() {
    local who=$1 line
    shift
    for line in "$@"; do
        grep -Fxq -- "$who: $line" "$log" || problems+=("missing line: $who: $line")
    done
}

# The rights of an original Frame capability, as `identify` prints them.
SHM_ALL_RIGHTS='Rights(READ | WRITE | GRANT | GRANT_REPLY | EXECUTE)'

check_shared_page_both_ways() {
    expect '^shm_both_ways A: frames and capabilities at the end, against the start: \([0-9]+, [0-9]+\), as expected$'
    no_failures
    reject 'tryst: process [0-9]+ \(shm_both_ways\) stopped'
    expect_count '^tryst: process [12] \(shm_both_ways\) exited with status 0$' 2
    shm_lines 'shm_both_ways A' \
        "the new frame: Ok(CapInfo { kind: Some(Frame), rights: $SHM_ALL_RIGHTS, badge: 0 }), as expected" \
        'frames after create_frame, against the start: 1, as expected' \
        "the new frame's mapping: Ok(None), as expected" \
        'mapped read-write at: Ok(Some(0x40000000)), as expected' \
        'the new page, all 4096 bytes against zero: first mismatch: None, as expected' \
        'own pattern in bytes 0x0..0x400, read back: first mismatch: None, as expected' \
        'calling B with the frame capability' \
        "B's reply: label, B's address: (11, 0x50000000), as expected" \
        'frames while B holds a copy, against the start: 1, as expected' \
        "B's pattern in bytes 0x400..0x800, read through 0x40000000: first mismatch: None, as expected" \
        "own pattern after B's writes: first mismatch: None, as expected" \
        'bytes 0x800..0x1000, written by nobody: first mismatch: None, as expected' \
        'wrote 0xa1a1000000000800 at 0x40000800' \
        "B's reply to round 2: label: 12, as expected" \
        "B's later word at 0x808, read through 0x40000000: 0xb2b2000000000808, as expected" \
        "B's reply to the unmap: label: 13, as expected" \
        "own mapping after B's unmap: Ok(Some(0x40000000)), as expected" \
        'frames after B deleted its copy, against the start: 1, as expected' \
        "own pattern after B's unmap: first mismatch: None, as expected" \
        "B's pattern after B's unmap: first mismatch: None, as expected" \
        "the later words after B's unmap: (0xa1a1000000000800, 0xb2b2000000000808), as expected" \
        "a word written after B's unmap, read back: 0xa3a3000000000810, as expected" \
        'own mapping after unmap: Ok(None), as expected' \
        'all 29 checks passed'
    shm_lines 'shm_both_ways B' \
        "A's message: label, capabilities, A's address: (1, 1, 0x40000000), as expected" \
        "the frame received: Ok(CapInfo { kind: Some(Frame), rights: $SHM_ALL_RIGHTS, badge: 0 }), as expected" \
        "the received copy's mapping: Ok(None), as expected" \
        'mapped read-write at: Ok(Some(0x50000000)), as expected' \
        "B's address differs from A's, as expected" \
        "A's pattern in bytes 0x0..0x400, read through 0x50000000: first mismatch: None, as expected" \
        'bytes 0x400..0x1000 before B writes, against zero: first mismatch: None, as expected' \
        'own pattern in bytes 0x400..0x800, read back: first mismatch: None, as expected' \
        'round 2: label: 2, as expected' \
        "A's later word at 0x800, read through 0x50000000: 0xa1a1000000000800, as expected" \
        'wrote 0xb2b2000000000808 at 0x50000808' \
        'third message: label: 3, as expected' \
        'own mapping after unmap: Ok(None), as expected' \
        'unmap again: got NotMapped, as expected' \
        "the copy's slot after delete: got EmptySlot, as expected" \
        'all 21 checks passed'
    # Each side wrote before the other read: the writes travelled through the page.
    expect_order '^shm_both_ways B: own pattern in bytes 0x400\.\.0x800, read back' "^shm_both_ways A: B's pattern in bytes"
    expect_order '^shm_both_ways A: wrote 0xa1a1' "^shm_both_ways B: A's later word at 0x800"
    expect_order '^shm_both_ways B: wrote 0xb2b2' "^shm_both_ways A: B's later word at 0x808"
    expect_order '^shm_both_ways B: unmap again: got NotMapped' "^shm_both_ways A: own mapping after B's unmap"
}

check_readonly_share_write_faults() {
    no_failures
    shm_lines 'shm_readonly A' \
        'mapped read-write at: Ok(Some(0x40000000)), as expected' \
        'own pattern, all 4096 bytes read back: first mismatch: None, as expected' \
        'the read-only copy: Ok(CapInfo { kind: Some(Frame), rights: Rights(READ), badge: 0 }), as expected' \
        "the read-only copy's mapping: Ok(None), as expected" \
        'calling B with the read-only copy' \
        'call B, which dies holding the reply: got PeerGone, as expected' \
        "own page after B's write, all 4096 bytes against own pattern: first mismatch: None, as expected" \
        'own mapping after B stopped: Ok(Some(0x40000000)), as expected' \
        'frames after B stopped, against the start: 1, as expected' \
        'a byte written after B stopped, read back: 0x5a, as expected' \
        'frames at the end, against the start: 0, as expected' \
        'all 16 checks passed'
    shm_lines 'shm_readonly B' \
        "A's message: label, capabilities, A's address: (1, 1, 0x40000000), as expected" \
        'the frame received: Ok(CapInfo { kind: Some(Frame), rights: Rights(READ), badge: 0 }), as expected' \
        'map it read-write: got MissingRights, as expected' \
        'map it read-execute: got MissingRights, as expected' \
        'mint a read-write copy of it: got MissingRights, as expected' \
        'the slot of the refused mint: got EmptySlot, as expected' \
        'its mapping after the refused maps: Ok(None), as expected' \
        'mapped read-only at: Ok(Some(0x50000000)), as expected' \
        'map it again at 0x50001000: got AlreadyMapped, as expected' \
        "A's pattern, all 4096 bytes read through 0x50000000: first mismatch: None, as expected" \
        'all 12 checks passed' \
        'writing to the read-only page at 0x50000000'
    # B (process 2) is stopped at its write, at the page's address, in its own code; A exits 0.
    expect '^tryst: process 2 \(shm_readonly\) stopped: page fault at 0x50000000 \(write, ip 0x4[0-9a-f]{5}\)$'
    expect_count '^tryst: process [0-9]+ \(shm_readonly\) stopped' 1
    expect_count '^tryst: process 1 \(shm_readonly\) exited with status 0$' 1
    reject '^tryst: process 2 \(shm_readonly\) exited'
    expect_order '^shm_readonly B: writing to the read-only page' '^tryst: process 2 \(shm_readonly\) stopped'
    expect_order '^tryst: process 2 \(shm_readonly\) stopped' '^shm_readonly A: call B, which dies holding the reply'
}

check_revoke_unmaps_everywhere() {
    no_failures
    shm_lines 'shm_revoke A' \
        'mapped read-write at: Ok(Some(0x40000000)), as expected' \
        'own pattern, all 4096 bytes read back: first mismatch: None, as expected' \
        "B's reply: label, address: (11, 0x50000000), as expected" \
        "C's reply: label, address: (11, 0x60000000), as expected" \
        'capabilities B and C gained: 2, as expected' \
        'frames before the revoke, against the start: 1, as expected' \
        'revoking the frame capability' \
        'capabilities removed by the revoke: 2, as expected' \
        'frames after the revoke, against the start: 1, as expected' \
        'own mapping after the revoke: Ok(None), as expected' \
        "the frame capability after the revoke: Ok(CapInfo { kind: Some(Frame), rights: $SHM_ALL_RIGHTS, badge: 0 }), as expected" \
        'call B to read again: got PeerGone, as expected' \
        'call C to read again: got PeerGone, as expected' \
        'frames after B and C stopped, against the start: 1, as expected' \
        'mapped again at: Ok(Some(0x40000000)), as expected' \
        'own pattern after the revoke, all 4096 bytes: first mismatch: None, as expected' \
        "own mapping's slot after the delete: Err(EmptySlot), as expected" \
        'frames at the end, against the start: 0, as expected' \
        'all 24 checks passed'
    local who address rights
    for who in B C; do
        if [ "$who" = B ]; then address=0x50000000 rights=read-write; else address=0x60000000 rights=read-only; fi
        shm_lines "shm_revoke $who" \
            "A's message: label, capabilities: (1, 1), as expected" \
            "the frame received: Ok(CapInfo { kind: Some(Frame), rights: $SHM_ALL_RIGHTS, badge: 0 }), as expected" \
            "mapped $rights at: Ok(Some($address)), as expected" \
            "A's pattern, all 4096 bytes read through the mapping: first mismatch: None, as expected" \
            "replying, then waiting for A's next message" \
            "A's next message: label: 2, as expected" \
            "the frame slot after A's revoke: got EmptySlot, as expected" \
            'all 9 checks passed' \
            "reading $address after the revoke"
        # Both peers were waiting before the revoke, found their slot empty only after it, and
        # then faulted reading their old address.
        expect_order "^shm_revoke $who: replying, then waiting" '^shm_revoke A: revoking the frame capability$'
        expect_order '^shm_revoke A: revoking the frame capability$' "^shm_revoke $who: the frame slot after A's revoke"
        expect_order "^shm_revoke $who: the frame slot after A's revoke" "^shm_revoke $who: reading $address"
    done
    # B is process 2, C process 3: each is stopped reading its mapped address, in its own code.
    expect '^tryst: process 2 \(shm_revoke\) stopped: page fault at 0x50000000 \(read, ip 0x4[0-9a-f]{5}\)$'
    expect '^tryst: process 3 \(shm_revoke\) stopped: page fault at 0x60000000 \(read, ip 0x4[0-9a-f]{5}\)$'
    expect_count '^tryst: process [0-9]+ \(shm_revoke\) stopped' 2
    expect_count '^tryst: process 1 \(shm_revoke\) exited with status 0$' 1
    reject '^tryst: process [23] \(shm_revoke\) exited'
    expect_order '^shm_revoke B: reading 0x50000000' '^tryst: process 2 \(shm_revoke\) stopped'
    expect_order '^shm_revoke C: reading 0x60000000' '^tryst: process 3 \(shm_revoke\) stopped'
    expect_order '^tryst: process 3 \(shm_revoke\) stopped' '^shm_revoke A: mapped again at'
}

SCENARIOS+=(shared_page_both_ways readonly_share_write_faults revoke_unmaps_everywhere)
