# Sourced by the benchmark scripts: starts a copy of the built distribution with its gate on $port and extra
# top-level keys ($1: JSON members without braces or a trailing comma), with module-bench (cmds 2001, 2002) beside
# module-test in deploy/, waits until both serve, and stops it on exit.
# Sets: home (the copy), pid (the server's). Needs: the build (./dev mvn -q install -DskipTests).
kim_start_copy() {
    local src
    src=$(ls -d container/target/kimserver-*/kimserver-* | head -n 1)
    work=$(mktemp -d)
    home=$work/kimserver
    trap 'kim_stop_copy' EXIT
    cp -r "$src" "$home"
    cp bench/module-bench/target/kimserver-module-bench-*.jar "$home/deploy/"
    sed -i "s/\"gate_port\": *[0-9]*/\"gate_port\": $port, $1/" "$home/etc/kimserver.json"
    "$home/bin/kimserver" start > /dev/null
    pid=$(cat "$home/data/kimserver.pid")
    local cmds
    for _ in $(seq 50); do # fileinstall deploys the modules just after start
        cmds=$("$home/bin/kimserver" console kim:cmds 2>/dev/null || true)
        grep -q '^1001 ' <<< "$cmds" && grep -q '^2001 ' <<< "$cmds" && return 0
        sleep 0.2
    done
    echo "module-test or module-bench did not come up: see $home/log/kimserver.log" >&2
    return 1
}

kim_stop_copy() {
    "$home/bin/kimserver" stop > /dev/null 2>&1 || true
    rm -rf "$work"
}
