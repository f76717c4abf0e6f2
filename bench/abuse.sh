#!/usr/bin/env bash
# Attacks on the gate: each attack (bench's KimAbuse) runs for <seconds> against one copy of the built distribution,
# with its default configuration, while legitimate clients (kim-bench: <users> users sending hello bursts with the
# original's 100 ms pause) work beside it. Prints one RESULT line per attack: the server's RSS before, its peak
# during the attack, its RSS <settle> seconds after, what the attack did, how much it made the server log, and the
# legitimate clients' requests, success rate and p99; at the end, the RSS once the server has been idle for 30 s more.
# Everything runs on loopback and ends by itself.
# Usage: bench/abuse.sh [seconds=20] [users=50] [settle=10]   (build first: ./dev mvn -q install -DskipTests)
# Environment: KIM_BENCH_PORT (default 3355).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-20} users=${2:-50} settle=${3:-10}
port=${KIM_BENCH_PORT:-3355}
# shellcheck source=dist.sh
. bench/dist.sh
kim_start_copy '"max_clients_per_ip": 0'
# shellcheck source=../container/src/main/dist/bin/java-env.sh
. "$home/bin/java-env.sh"
kim_find_java

rss_kb() { for p in $(server_pids); do awk '/^VmRSS/ {print $2}' "/proc/$p/status"; done | awk '{t += $1} END {print t}'; }
log_bytes() { cat "$home"/log/kimserver*.log* | wc -c; }
abuse() { "$KIM_JAVA" -cp "$home/lib/bench/*" org.kimserver.bench.KimAbuse "$@"; }

# attack name, connections (threads for malformed), extra options
attacks=(
    "never-read 200"
    "never-read-blocking 200"
    "slow-bytes 1000 --interval-ms 1000"
    "partial-large 3500 --interval-ms 1000"
    "malformed 8"
)
echo "abuse benchmark: $seconds s per attack, $users legitimate users, $(nproc) cores, $(uname -r), server pids" \
    "$(echo $(server_pids)) (memory: their sum)"
for attack in "${attacks[@]}"; do
    read -r name connections extra <<< "$attack"
    before=$(rss_kb)
    peak=$before
    log_before=$(log_bytes)
    abuse "$name" 127.0.0.1 "$port" "$connections" "$seconds" $extra > "$work/attack.out" 2>&1 &
    attacker=$!
    sleep 2 # the attack is under way before the legitimate clients come
    "$home/bin/kim-bench" --no-progress --duration $((seconds - 4)) 127.0.0.1 "$port" 1001 "$users" 1 \
        > "$work/legit.out" 2>&1 &
    legit=$!
    while kill -0 "$attacker" 2>/dev/null; do
        rss=$(rss_kb)
        [ "$rss" -gt "$peak" ] && peak=$rss
        sleep 0.2
    done
    wait "$attacker" || true
    wait "$legit" || true
    sleep "$settle"
    after=$(rss_kb)
    logged=$(( $(log_bytes) - log_before ))
    legit_result=$(grep '^RESULT' "$work/legit.out" || echo "RESULT requests=0 ok=0 p99_us=0")
    requests=$(sed 's/.* requests=\([0-9]*\).*/\1/' <<< "$legit_result")
    ok=$(sed 's/.* ok=\([0-9]*\).*/\1/' <<< "$legit_result")
    p99=$(sed 's/.* p99_us=\([0-9]*\).*/\1/' <<< "$legit_result")
    success=$(awk -v o="$ok" -v r="$requests" 'BEGIN {printf "%.4f", (r > 0) ? o / r : 0}')
    echo "RESULT attack=$name $(grep '^ABUSE' "$work/attack.out" | cut -d' ' -f3-) rss_before_mb=$((before / 1024))" \
        "rss_peak_mb=$((peak / 1024)) rss_after_mb=$((after / 1024)) log_bytes=$logged legit_requests=$requests" \
        "legit_success=$success legit_p99_us=$p99"
done
sleep 30 # past the 30 s after which an idle server gives memory back
echo "RESULT idle_rss_mb=$(( $(rss_kb) / 1024 )) (30 s after the last attack's settle)"
"$home/bin/kimserver" console -w all kim:stats
