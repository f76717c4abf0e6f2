#!/usr/bin/env bash
# Worker replacement benchmark (issue 9): starts a copy of the built distribution with worker_cnt 2 on a free gate
# port, then N times (default 5) kills worker 1 with kill -9 and measures, from the kill:
#   started    the manager has started the new JVM ("worker 1 started, pid N" in log/kimserver.log)
#   up         the new worker's launcher says it is up (its gate takes connections; W1's line in log/console.out)
#   handoff    the new worker is connected to the manager's hand-off ("worker W1 connected to the hand-off")
#   ready      the manager knows it is up: "worker 1 (pid N) is ready" (registered, its gate's state "listening";
#              with a build from before that line: "registered")
#   served     a client's hello (cmd 1001, module-test) is answered on a connection the new pid holds
# and the CPU time the new worker had used by then (less sensitive than the wall times to a busy machine),
# prints each run and the medians. The server is started, stopped and started again before the first run. Between
# runs it waits until the new worker has lived 11 s, so that the supervisor's crash-loop back-off (two lives under
# 10 s in a row) never delays a start. Builds nothing.
# Usage: bench/respawn.sh [runs]     (build first: ./dev mvn -q install -DskipTests)
# Environment: KIM_WORKER_JAVA_OPTS: a JSON array for worker_java_opts (default []); @HOME@ in it is the copy's home.
#              KIM_DIST: the distribution to copy (default: the one built under container/target).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-5}
command -v python3 > /dev/null || { echo "bench/respawn.sh needs python3" >&2; exit 1; }
src=${KIM_DIST:-$(ls -d container/target/kimserver-*/kimserver-* | head -n 1)}
work=$(mktemp -d)
home=$work/kimserver
manager=
stop_copy() {
    if [ -n "$manager" ] && kill -0 "$manager" 2> /dev/null; then
        KIM_STOP_TIMEOUT=40 "$home/bin/kimserver" stop > /dev/null 2>&1 || true
        # Still there (a stop that hung): the pids this server started, from its own log, that still run from
        # this copy (a pid may have been reused), and the manager.
        if kill -0 "$manager" 2> /dev/null; then
            for p in $(sed -n 's/.*worker [0-9]* started, pid \([0-9]*\).*/\1/p' "$home/log/kimserver.log") "$manager"; do
                tr '\0' ' ' < "/proc/$p/cmdline" 2> /dev/null | grep -qF -- "-Dkimserver.home=$home " && kill -9 "$p" || true
            done
        fi
    fi
    rm -rf "$work"
}
trap stop_copy EXIT
cp -r "$src" "$home"
# A free port below 32768 (the ephemeral range starts above), never 3355.
port=$(python3 -c '
import random, socket
for _ in range(200):
    p = random.randint(20000, 32000)
    if p == 3355: continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: s.close()
')
python3 - "$home" "$port" "${KIM_WORKER_JAVA_OPTS:-[]}" << 'PYTHON'
import json, sys
home, port, opts = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3].replace("@HOME@", sys.argv[1]))
path = home + "/etc/kimserver.json"
with open(path) as f:
    config = json.load(f)
config.update(gate_port=port, worker_cnt=2, worker_java_opts=opts)
with open(path, "w") as f:
    json.dump(config, f, indent=4)
PYTHON
# Started, stopped and started again: what a server that has run before finds in data/ (the workers' class-data
# archive, which the first worker writes once it is up).
for start in first second; do
    KIM_START_TIMEOUT=60 "$home/bin/kimserver" start > /dev/null
    manager=$(cat "$home/data/kimserver.pid")
    [ "$start" = second ] || KIM_STOP_TIMEOUT=40 "$home/bin/kimserver" stop > /dev/null
done
echo "respawn benchmark: $(nproc) cores, $(uname -r), gate port $port, worker_java_opts ${KIM_WORKER_JAVA_OPTS:-[]}," \
    "manager pid $manager, load $(cut -d' ' -f1-3 /proc/loadavg)"

timeout $((runs * 60 + 60)) python3 - "$home" "$port" "$runs" << 'PYTHON'
import os, re, signal, socket, statistics, struct, subprocess, sys, time
from datetime import datetime

home, port, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
manager_log = os.path.join(home, "log", "kimserver.log")
console_out = os.path.join(home, "log", "console.out")

def log_time(line):
    """The wall clock of a log line of the server, in seconds since the epoch."""
    stamp = re.search(r"\]\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]", line).group(1)
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()

def find(path, pattern, after=0):
    """The first match of pattern in the file from byte offset after, or None."""
    with open(path, encoding="utf-8", errors="replace") as f:
        f.seek(after)
        for line in f:
            m = re.search(pattern, line)
            if m:
                return line, m
    return None

def wait_for(what, deadline, poll=0.01):
    while time.time() < deadline:
        found = what()
        if found:
            return found
        time.sleep(poll)
    raise SystemExit("timed out waiting")

def current_worker(index):
    found = None
    with open(manager_log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.search(r"worker %d started, pid (\d+)" % index, line)
            if m:
                found = int(m.group(1))
    return found

HELLO = struct.pack("<BIBIBi", 0x0D, 1001, 0x15, 1, 0x1D, 0)

def served_by():
    """Sends a hello on a new connection; the pid that holds the server's end if it was answered, else None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(HELLO)
            head = s.recv(15)
            if len(head) < 15:
                return None
            local = s.getsockname()[1]
            out = subprocess.run(["ss", "-tnpH", "state", "established", "( sport = :%d and dport = :%d )"
                                  % (port, local)], capture_output=True, text=True, timeout=2).stdout
            m = re.search(r"pid=(\d+)", out)
            return int(m.group(1)) if m else None
    except OSError:
        return None

rows = []
for run in range(1, runs + 1):
    old = current_worker(1)
    # The previous worker must have lived past the supervisor's 10 s crash-loop limit.
    started_line = find(manager_log, r"worker 1 started, pid %d" % old)[0]
    time.sleep(max(0, log_time(started_line) + 11 - time.time()))
    log_mark = os.path.getsize(manager_log)
    console_mark = os.path.getsize(console_out)
    t0 = time.time()
    os.kill(old, signal.SIGKILL)
    deadline = t0 + 30
    line, m = wait_for(lambda: find(manager_log, r"worker 1 started, pid (\d+)", log_mark), deadline)
    new = int(m.group(1))
    started = log_time(line)
    served = wait_for(lambda: served_by() == new and time.time(), deadline, poll=0.02)
    with open("/proc/%d/stat" % new) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    # A build before the line "is ready" says "registered" only (with the state of the moment).
    ready_line = wait_for(lambda: find(manager_log, r"worker 1 \(pid %d\) is ready" % new, log_mark)
                          or (time.time() > served + 3
                              and find(manager_log, r"worker 1 \(pid %d\) registered" % new, log_mark)), deadline)
    ready = log_time(ready_line[0])
    handoff = log_time(wait_for(lambda: find(manager_log, r"worker W1 connected to the hand-off", log_mark),
                                deadline)[0])
    up_line = wait_for(lambda: find(console_out, r"W1: up \(pid %d, (\d+) ms after" % new, console_mark), deadline)
    jvm_to_up = int(up_line[1].group(1))
    row = [(started - t0) * 1000, (handoff - t0) * 1000, (ready - t0) * 1000, (served - t0) * 1000, jvm_to_up, cpu]
    rows.append(row)
    print("run %d: pid %d -> %d: started %4.0f ms, hand-off %4.0f ms, ready %4.0f ms, served %4.0f ms"
          " after the kill; the launcher's up %d ms after its JVM started; its CPU time when served %.0f ms"
          % (run, old, new, *row), flush=True)
med = [statistics.median(c) for c in zip(*rows)]
print("median of %d: started %.0f ms, hand-off %.0f ms, ready %.0f ms, served %.0f ms; launcher up %.0f ms;"
      " CPU time %.0f ms"
      % (runs, *med))
PYTHON
