#!/usr/bin/env bash
# Cold-start benchmark: starts the built distribution N times (default 5) with an empty framework cache and
# prints, for each run, the JVM uptime at the moment the server was up (every system bundle active and the gate
# listening; deploy/ is started after that) (from log/console.out) and
# the wall time of `bin/kimserver start`, then the medians.
# Usage: bench/startup.sh [runs]     (build first: ./dev mvn -q install -DskipTests)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-5}
src=$(ls -d container/target/kimserver-*/kimserver-* | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src" "$work/kimserver"
home=$work/kimserver
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
up=() wall=()
for i in $(seq "$runs"); do
    rm -rf "$home"/data/*/cache "$home/log/console.out"
    t0=$(date +%s%N)
    "$home/bin/kimserver" start > /dev/null
    t1=$(date +%s%N)
    u=$(sed -n 's/.* up in \([0-9]*\) ms.*/\1/p' "$home/log/console.out")
    "$home/bin/kimserver" stop > /dev/null
    up+=("$u") wall+=($(( (t1 - t0) / 1000000 )))
    echo "run $i: up in ${u} ms (JVM start to system bundles active and the gate listening), bin/kimserver start took $(( (t1 - t0) / 1000000 )) ms"
done
echo "median of $runs: up in $(printf '%s\n' "${up[@]}" | median) ms, start command $(printf '%s\n' "${wall[@]}" | median) ms"
