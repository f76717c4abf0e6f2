# Sourced by the benchmark scripts: starts a copy of the built distribution with its gate on $port and other
# top-level settings ($1: JSON members without braces or a trailing comma, simple values; a key the file has is
# changed, another is added), with module-bench (cmds 2001, 2002) beside
# module-test in deploy/, waits until both serve, and stops it on exit.
# Sets: home (the copy), pid (the manager's). server_pids lists the manager's and its workers'. Needs: the build
# (./dev mvn -q install -DskipTests).
kim_start_copy() {
    local src
    src=$(ls -d container/target/kimserver-*/kimserver-* | head -n 1)
    work=$(mktemp -d)
    home=$work/kimserver
    trap 'kim_stop_copy' EXIT
    cp -r "$src" "$home"
    cp bench/module-bench/target/kimserver-module-bench-*.jar "$home/deploy/"
    local config=$home/etc/kimserver.json member key
    sed -i "s/\"gate_port\": *[0-9]*/\"gate_port\": $port/" "$config"
    IFS=',' read -ra members <<< "$1"
    for member in "${members[@]}"; do # a key the file has gets the new value, another one is added
        key=$(sed 's/^ *\("[^"]*"\).*/\1/' <<< "$member")
        if grep -q "^ *$key:" "$config"; then
            sed -i "s/^\( *\)$key:[^,]*/\1${member# }/" "$config"
        else
            sed -i "s/\"gate_port\": *[0-9]*/&, ${member# }/" "$config"
        fi
    done
    "$home/bin/kimserver" start > /dev/null
    pid=$(cat "$home/data/kimserver.pid")
    local cmds workers
    workers=$(sed -n 's/.*"worker_cnt": *\([0-9]*\).*/\1/p' "$home/etc/kimserver.json")
    for _ in $(seq 50); do # each worker's fileinstall deploys the modules just after start
        cmds=$("$home/bin/kimserver" console -w all kim:cmds 2>/dev/null || true)
        [ "$(grep -c '^1001 ' <<< "$cmds")" = "$workers" ] && [ "$(grep -c '^2001 ' <<< "$cmds")" = "$workers" ] \
            && return 0
        sleep 0.2
    done
    echo "module-test or module-bench did not come up in every worker: see $home/log/kimserver_w_*.log" >&2
    return 1
}

server_pids() { # the manager and its workers: every JVM of this home
    pgrep -f -- "-Dkimserver.home=$home " || true
}

kim_stop_copy() {
    "$home/bin/kimserver" stop > /dev/null 2>&1 || true
    rm -rf "$work"
}
