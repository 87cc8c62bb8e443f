#!/bin/bash
# The kbuild workload on the target: compile the bundle's kernel objects (commands.txt, one gcc
# command per line, relative to the tree) with JOBS at a time, round after round, until
# DURATION seconds have passed (a round waits for its last compiles, like make); compiles still running then are stopped (rc=124, not counted).
# Prints one "kbuild_obj rc=N seconds=S" line per compile and a final "kbuild_done" line.
# usage: run.sh TREE JOBS DURATION
set -u
tree=$1 jobs=$2 duration=$3
cd "$tree" || exit 2
mapfile -t commands < commands.txt
start=$EPOCHREALTIME
end=$((SECONDS + duration))

compile() {
	local began=$EPOCHREALTIME rc=0 left=$((end - SECONDS))
	# timeout signals its whole process group, so gcc's cc1/as children stop too.
	timeout "$((left > 0 ? left : 1))" bash -c "$1" >/dev/null 2>>kbuild.err || rc=$?
	echo "kbuild_obj rc=$rc seconds=$(awk "BEGIN{print $EPOCHREALTIME - $began}")"
}

rounds=0 running=0
while [ "$SECONDS" -lt "$end" ]; do
	rounds=$((rounds + 1))
	for c in "${commands[@]}"; do
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
		[ "$SECONDS" -lt "$end" ] || break 2
		compile "$c" &
		running=$((running + 1))
	done
	# A round ends when all its compiles have: the next one rewrites the same objects.
	wait
	running=0
done
wait
echo "kbuild_done rounds=$rounds elapsed=$(awk "BEGIN{print $EPOCHREALTIME - $start}")"
