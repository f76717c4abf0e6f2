#!/usr/bin/env bash
# Gate throughput benchmark, the original's own case: kim-bench <users> x <packets> of cmd 1001 (hello) against
# a freshly started distribution, client and server on this machine. Measures the server's CPU time (the manager's
# and its workers', from /proc/<pid>/stat) around the measured run (warm-up runs excluded) and prints one RESULT
# line per run.
# Usage: bench/gate.sh [users=10000] [packets=100] [runs=3]   (build first: ./dev mvn -q install -DskipTests)
# Environment: KIM_BENCH_CMD (default 1001; 1007 the session command on the blocking path; module-bench's 2001,
# which sleeps 1 ms, and 2002, which answers at once on the blocking path), KIM_BENCH_PORT (default 3355),
# KIM_JAVA_OPTS (server JVM options), KIM_BENCH_THREADS (client, 1),
# KIM_IO_THREADS (the server's io_threads, default 0: one per core),
# KIM_BENCH_OPTS (more kim-bench options, e.g. --frame-writes to write each request on its own as the original),
# KIM_WORKERS (worker_cnt, default 1), KIM_REUSEPORT (is_reuseport, default false: the manager hands sockets over),
# KIM_BENCH_WARMUP (the warm-up runs' users, 100 packets each; default "1000 2000").
# With 1003 (MySQL) and 1005 (Redis) it also prints the CPU the machine's mariadbd and redis-server spent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
users=${1:-10000} packets=${2:-100} runs=${3:-3}
port=${KIM_BENCH_PORT:-3355}
cmd=${KIM_BENCH_CMD:-1001}
threads=${KIM_BENCH_THREADS:-1}
# shellcheck source=dist.sh
. bench/dist.sh
kim_start_copy "\"io_threads\": ${KIM_IO_THREADS:-0}, \"worker_cnt\": ${KIM_WORKERS:-1}, \"is_reuseport\": ${KIM_REUSEPORT:-false}"
pids=$(server_pids)

cpu_ticks() { for p in "$@"; do awk '{print $14 + $15}' "/proc/$p/stat"; done | awk '{t += $1} END {print t + 0}'; }
backend=""
case "$cmd" in
    1003) backend=$(pgrep -x mariadbd || pgrep -x mysqld || true) ;;
    1005) backend=$(pgrep -x redis-server || true) ;;
esac
hz=$(getconf CLK_TCK)
# shellcheck disable=SC2086
bench() { "$home/bin/kim-bench" --no-progress --threads "$threads" ${KIM_BENCH_OPTS:-} 127.0.0.1 "$port" "$cmd" "$@"; }

# Warm-up: let the JIT compile the server's request path before anything is measured.
for warm in ${KIM_BENCH_WARMUP:-1000 2000}; do
    out=$(bench "$warm" 100) || { echo "warm-up with $warm users failed:"; echo "$out"; exit 1; }
done

echo "gate benchmark: cmd $cmd, $users users x $packets packets ${KIM_BENCH_OPTS:-}, $(nproc) cores, $(uname -r)," \
    "${KIM_WORKERS:-1} worker(s), is_reuseport ${KIM_REUSEPORT:-false}, server pids $(echo $pids)" \
    "($("$home/bin/kimserver" console -w 1 kim:stats | sed -n 's/^gate *//p'))"
for i in $(seq "$runs"); do
    before=$(cpu_ticks $pids) backend_before=$(cpu_ticks $backend)
    out=$(bench "$users" "$packets") || { echo "$out"; exit 1; }
    after=$(cpu_ticks $pids) backend_after=$(cpu_ticks $backend)
    result=$(grep '^RESULT' <<< "$out")
    requests=$(sed 's/.* requests=\([0-9]*\).*/\1/' <<< "$result")
    rate=$(sed 's/.* rate=\([0-9]*\).*/\1/' <<< "$result")
    p50=$(sed 's/.* p50_us=\([0-9]*\).*/\1/' <<< "$result")
    p99=$(sed 's/.* p99_us=\([0-9]*\).*/\1/' <<< "$result")
    errors=$(sed 's/.* errors=\([0-9]*\).*/\1/' <<< "$result")
    cpu=$(awk -v t=$((after - before)) -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')
    per=$(awk -v t=$((after - before)) -v hz="$hz" -v n="$requests" 'BEGIN {printf "%.2f", t / hz / n * 1e6}')
    backend_per=$(awk -v t=$((backend_after - backend_before)) -v hz="$hz" -v n="$requests" 'BEGIN {printf "%.2f", t / hz / n * 1e6}')
    echo "RESULT run=$i requests=$requests errors=$errors rate=$rate server_cpu_s=$cpu server_cpu_us_per_request=$per p50_us=$p50 p99_us=$p99${backend:+ backend_cpu_us_per_request=$backend_per}"
done
