#!/bin/bash
# benchmetrics.sh start DIR SECONDS ATTACH_TIMEOUT | stop DIR
# start: snapshot /proc/schedstat, switch schedstats on, start BCC funclatency on
#        can_migrate_task and load_balance, BCC runqlen and the imbalance sampler in the
#        background (pids in DIR/.pids), wait until the BCC tools have attached.
# stop:  SIGINT every collector (BCC tools print their histograms on SIGINT), wait for them,
#        record /proc/loadavg and the final /proc/schedstat, restore sched_schedstats.
# A missing tool is written to DIR/status.txt and skipped: its metrics are left out.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=$1
dir=$2
mkdir -p "$dir"
cd "$dir" || exit 1

tool() {  # Debian names BCC's tools <name>-bpfcc; upstream installs /usr/share/bcc/tools/<name>
    if command -v "$1-bpfcc" >/dev/null 2>&1; then echo "$1-bpfcc"
    elif [ -x "/usr/share/bcc/tools/$1" ]; then echo "/usr/share/bcc/tools/$1"
    fi
}

start() {
    local secs=$1 attach=$2
    : > status.txt
    : > .pids
    cat /proc/schedstat > schedstat-start.txt 2>/dev/null || echo "missing: /proc/schedstat" >> status.txt
    if [ -w /proc/sys/kernel/sched_schedstats ]; then
        cat /proc/sys/kernel/sched_schedstats > .schedstats-was
        echo 1 > /proc/sys/kernel/sched_schedstats
    fi
    # Job control on: without it bash starts background commands with SIGINT ignored, and the
    # BCC tools (Python) would then never see the SIGINT that makes them print their histograms.
    set -m
    local fl rq bcc=()
    fl=$(tool funclatency)
    rq=$(tool runqlen)
    if [ -n "$fl" ]; then
        for fn in can_migrate_task load_balance; do
            nohup "$fl" -d "$secs" "$fn" > "funclatency-$fn.txt" 2> "funclatency-$fn.err" < /dev/null &
            echo $! >> .pids
            bcc+=("$!:funclatency-$fn")
        done
    else
        echo "missing: funclatency (bpfcc-tools)" >> status.txt
    fi
    if [ -n "$rq" ]; then
        nohup "$rq" "$secs" 1 > runqlen.txt 2> runqlen.err < /dev/null &
        echo $! >> .pids
        bcc+=("$!:runqlen")
    else
        echo "missing: runqlen (bpfcc-tools)" >> status.txt
    fi
    nohup python3 "$here/imbalance_sampler.py" "$secs" > imbalance.txt 2> imbalance.err < /dev/null &
    echo $! >> .pids
    # BCC compiles its programs first (slow in a TCG guest): wait until each tool has printed
    # its attach line, or has died (e.g. the function is inlined in this kernel: recorded in
    # status.txt, its metrics left out, the run goes on).
    local entry pid name pending
    for _ in $(seq "$attach"); do
        pending=()
        for entry in "${bcc[@]}"; do
            pid=${entry%%:*}
            name=${entry#*:}
            if grep -q -e '^Tracing' -e '^Sampling' "$name.txt" 2>/dev/null; then
                continue
            elif ! kill -0 "$pid" 2>/dev/null; then
                echo "failed: $name: $(tail -n 1 "$name.err" 2>/dev/null)" >> status.txt
            else
                pending+=("$entry")
            fi
        done
        bcc=("${pending[@]}")
        [ "${#bcc[@]}" -eq 0 ] && return 0
        sleep 1
    done
    # recorded, not fatal: under TCG clang inside the guest can take minutes, and the other
    # metrics of the run are still good (stop() ends the tools that are still compiling)
    echo "BCC tools did not attach within ${attach}s" >> status.txt
    cat ./*.err >&2
    return 0
}

stop() {
    if [ -f .pids ]; then
        while read -r pid; do kill -INT "$pid" 2>/dev/null; done < .pids
        for _ in $(seq 120); do
            alive=0
            while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done < .pids
            [ "$alive" = 0 ] && break
            sleep 1
        done
        rm -f .pids
    fi
    cat /proc/loadavg > loadavg.txt
    cat /proc/schedstat > schedstat-end.txt 2>/dev/null || true
    if [ -f .schedstats-was ]; then
        cat .schedstats-was > /proc/sys/kernel/sched_schedstats
        rm -f .schedstats-was
    fi
}

case "$cmd" in
    start) start "${3:-3600}" "${4:-300}" ;;
    stop) stop ;;
    *) echo "usage: $0 start DIR SECONDS [ATTACH_TIMEOUT] | stop DIR" >&2; exit 2 ;;
esac
