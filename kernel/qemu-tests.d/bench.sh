# The benchmark program (`make bench`) runs to its end and prints every row and its JSON line,
# so that a change cannot break it unnoticed. Its figures are not checked: benchmarks measure,
# they never gate.

check_bench() {
    no_failures
    for row in 'null syscall' 'ipc call\+reply_recv \(4 words\)' 'ipc call\+reply_recv \(1 cap\)' \
        'ipc call\+reply_recv \(0 words\)' 'ipc call\+reply_recv \(10 words\)' \
        'ipc call\+reply_recv \(64 words\)' 'ipc call one way \(4 words\)' 'ipc reply_recv one way \(4 words\)' \
        'fault->handler->resume' 'AST delivery' 'typed call counter.total\(\)' 'raw call, same message' \
        'name lookup' 'restart: crash->served call' 'ring, 4 KiB, blocking'; do
        expect "^bench: $row .*[0-9]+\$"
    done
    expect_count '^init: restarted counter' 11
    expect '^json: \{"results": \[.*\]\}$'
    exited bench 0
}

SCENARIOS+=(bench)
