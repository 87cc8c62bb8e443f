#!/bin/bash
# benchmetrics.sh start DIR SECONDS ATTACH_TIMEOUT [SCHEDLAT] | stop DIR
# start: snapshot /proc/schedstat, switch schedstats on, start mllb-schedlat (latency of
#        can_migrate_task and load_balance, run-queue lengths; a static libbpf binary built on
#        the controller) and the imbalance sampler in the background (pids in DIR/.pids), wait
#        until mllb-schedlat prints `attached`.
# stop:  SIGINT every collector (mllb-schedlat writes schedlat.json on it), wait for them,
#        record /proc/loadavg and the final /proc/schedstat, restore sched_schedstats.
# A tool that is missing, dies or does not attach in time is written to DIR/status.txt and
# skipped: its metrics are left out, the run goes on.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=$1
dir=$2
mkdir -p "$dir"
cd "$dir" || exit 1

start() {
    local secs=$1 attach=$2 schedlat=$3
    : > status.txt
    : > .pids
    rm -f schedlat.json
    cat /proc/schedstat > schedstat-start.txt 2>/dev/null || echo "missing: /proc/schedstat" >> status.txt
    if [ -w /proc/sys/kernel/sched_schedstats ]; then
        cat /proc/sys/kernel/sched_schedstats > .schedstats-was
        echo 1 > /proc/sys/kernel/sched_schedstats
    fi
    # Job control on: without it bash starts background commands with SIGINT ignored.
    set -m
    nohup python3 "$here/imbalance_sampler.py" "$secs" > imbalance.txt 2> imbalance.err < /dev/null &
    echo $! >> .pids
    if [ -z "$schedlat" ] || [ ! -x "$schedlat" ]; then
        echo "missing: mllb-schedlat (no benchmetrics_schedlat_bin given)" >> status.txt
        return 0
    fi
    nohup "$schedlat" --out schedlat.json --duration "$secs" \
        --funcs can_migrate_task,load_balance --runqlen-hz 99 \
        > schedlat.out 2> schedlat.err < /dev/null &
    local pid=$!
    echo "$pid" >> .pids
    # Attaching a precompiled program takes a second or so; the loop also ends when the tool
    # exits first (nothing attachable in this kernel: exit 3 with its reason on stderr).
    for _ in $(seq $((attach * 5))); do
        grep -qx attached schedlat.out 2>/dev/null && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            echo "failed: mllb-schedlat (exit $?): $(tail -n 1 schedlat.err 2>/dev/null)" >> status.txt
            return 0
        fi
        sleep 0.2
    done
    echo "mllb-schedlat did not attach within ${attach}s" >> status.txt
    cat schedlat.err >&2
    return 0
}

stop() {
    if [ -f .pids ]; then
        while read -r pid; do kill -INT "$pid" 2>/dev/null; done < .pids
        for _ in $(seq 600); do
            alive=0
            while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done < .pids
            [ "$alive" = 0 ] && break
            sleep 0.2
        done
        rm -f .pids
    fi
    cat /proc/loadavg > loadavg.txt
    cat /proc/schedstat > schedstat-end.txt 2>/dev/null || true
    if [ -f .schedstats-was ]; then
        cat .schedstats-was > /proc/sys/kernel/sched_schedstats
        rm -f .schedstats-was
    fi
    # stopped before it could write (or killed): say so instead of leaving a silent gap
    if [ -s schedlat.out ] && [ ! -s schedlat.json ]; then
        echo "failed: mllb-schedlat wrote no schedlat.json: $(tail -n 1 schedlat.err 2>/dev/null)" >> status.txt
    fi
}

case "$cmd" in
    start) start "${3:-3600}" "${4:-60}" "${5:-}" ;;
    stop) stop ;;
    *) echo "usage: $0 start DIR SECONDS [ATTACH_TIMEOUT [SCHEDLAT]] | stop DIR" >&2; exit 2 ;;
esac
