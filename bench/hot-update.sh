#!/usr/bin/env bash
# Hot update under load: kim-bench sends hello requests for <seconds> (pipelined bursts, no pause) while
# module-test is replaced in deploy/ half-way through; the manager rolls it out to worker 1 (the canary), then to
# the others. Prints kim-bench's report, each worker's gap between the old handler leaving and the new one
# arriving (from its log), the roll-out's time (from the manager's log), and one RESULT line. Every request should
# get code 0.
# Usage: bench/hot-update.sh [users=50] [seconds=6]   (build first: ./dev mvn -q install -DskipTests)
# Environment: KIM_BENCH_PORT (default 3355), KIM_HANDLER_GRACE_MS (the server's handler_grace_ms, default 3000;
# 0 shows what the original's behaviour, code 4 at once, costs), KIM_WORKERS (worker_cnt, default 1), KIM_CANARY_MS
# (canary_ms, default 3000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
users=${1:-50} seconds=${2:-6}
port=${KIM_BENCH_PORT:-3355}
# shellcheck source=dist.sh
. bench/dist.sh
workers=${KIM_WORKERS:-1}
kim_start_copy "\"handler_grace_ms\": ${KIM_HANDLER_GRACE_MS:-3000}, \"worker_cnt\": $workers, \"canary_ms\": ${KIM_CANARY_MS:-3000}"
jar=$(ls "$home"/deploy/kimserver-module-test-*.jar)
"$home/bin/kim-bench" --no-progress --pause 0 --duration "$seconds" 127.0.0.1 "$port" 1001 "$users" 1 \
    > "$work/bench.out" 2>&1 &
bench=$!
sleep "$(awk -v s="$seconds" 'BEGIN {print s / 2}')"
# A new build: other bytes (an entry more), as a rebuild gives; the same bytes again would change nothing.
# shellcheck source=../container/src/main/dist/bin/java-env.sh
. container/src/main/dist/bin/java-env.sh
kim_find_java
cp "$jar" "$work/new.jar"
date +%s%N > "$work/build-stamp"
"$(dirname "$KIM_JAVA")/jar" uf "$work/new.jar" -C "$work" build-stamp
mv "$work/new.jar" "$jar"
status=0
wait "$bench" || status=$?
cat "$work/bench.out"
ms() { sed -n "s/.*\]\[\([0-9:. -]*\)\]\[org.kimserver.gate\].*handler $1: .*HelloHandler.*/\1/p" \
    "$home/log/kimserver_w_$2.log" | tail -n 1 | awk '{split($2, t, ":"); printf "%.0f", (t[1] * 3600 + t[2] * 60 + t[3]) * 1000}'; }
gaps=""
for w in $(seq "$workers"); do
    removed=$(ms removed "$w") added=$(ms added "$w")
    echo "worker $w: hello handler gap $((added - removed)) ms (removed and re-added while the update ran)"
    gaps="$gaps${gaps:+,}$((added - removed))"
done
rollout=$(sed -n 's/.*rolled out to [0-9]* workers\{0,1\} in \([0-9]*\) ms.*/\1/p' "$home/log/kimserver.log" | tail -n 1)
echo "roll-out: $(grep -o 'deploy/: .*rolled out to .*' "$home/log/kimserver.log" | tail -n 1)"
echo "RESULT $(grep '^RESULT' "$work/bench.out" | cut -d' ' -f2-) kim_bench_exit=$status workers=$workers" \
    "handler_gap_ms=$gaps rollout_ms=${rollout:-none}"
