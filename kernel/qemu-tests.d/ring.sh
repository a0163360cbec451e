# The shared-page ring channel scenario (userland/programs/src/bin/init/scenarios/ring.rs). Sourced by
# kernel/qemu-tests.sh, which defines expect, reject, no_failures, exited and awk_check.

# Both sides finished, every message arrived as sent, and both sides agree on what went through.
ring_arrived() {
    no_failures
    exited ring_producer 0
    exited ring_consumer 0
    expect '^ring_consumer: messages that differ from the producer.s stream: 0$'
    expect '^ring_consumer: the producer.s count, size and checksum match$'
    expect '^ring_producer: the consumer confirms count, size and checksum$'
}

check_ring_channel_transfer() {
    ring_arrived
    # Both sides saw the same count, size and checksum, the size is at least 1 MiB, and the
    # messages outnumber the system calls (yields) made to wait for room or data.
    awk_check '
        /^ring_producer: sent / { sent = $3 " " $5 " " $8; bytes = $5; messages = $3 }
        /^ring_consumer: received / { received = $3 " " $5 " " $8 }
        /^ring_producer: waited for room / { waits += $5 }
        /^ring_consumer: waited for data / { waits += $5 }
        END {
            if (sent == "" || sent != received) print "producer sent " sent ", consumer received " received
            if (bytes + 0 < 1048576) print "only " bytes " bytes went through the ring"
            if (waits * 4 > messages) print waits " waits for " messages " messages: not syscall-free"
        }'
}

# A blocking pair: everything arrives, and the side named by $1 (the less urgent side's
# peer) slept on its notification, at most once per message: it never spun.
check_blocking_ring() { # SLEEPER (consumer or producer)
    ring_arrived
    expect '^ring_producer: waited for room [0-9]+ times \(asleep on a notification\)$'
    expect '^ring_consumer: waited for data [0-9]+ times \(asleep on a notification\)$'
    awk_check '
        /^ring_producer: sent / { sent = $3 " " $5 " " $8; bytes = $5; messages = $3 }
        /^ring_consumer: received / { received = $3 " " $5 " " $8 }
        /^ring_'"$1"': waited for / { sleeps = $5 }
        END {
            if (sent == "" || sent != received) print "producer sent " sent ", consumer received " received
            if (bytes + 0 < 1048576) print "only " bytes " bytes went through the ring"
            if (sleeps + 0 == 0) print "the '"$1"' never slept"
            if (sleeps > messages + 1) print "the '"$1"' slept " sleeps " times for " messages " messages"
        }'
}

# The consumer is more urgent: it sleeps whenever the ring is empty (spinning would starve the
# producer), and each message wakes it.
check_ring_channel_blocking() { check_blocking_ring consumer; }
# The producer is more urgent: it fills the ring and sleeps until the consumer makes room.
check_ring_channel_blocking_full() { check_blocking_ring producer; }

SCENARIOS+=(ring_channel_transfer ring_channel_blocking ring_channel_blocking_full)
