# Sourced by the benchmark scripts: starts a copy of the built distribution with its gate on $port and extra
# top-level keys ($1: JSON members without braces or a trailing comma), waits until module-test serves 1001, and stops it on exit.
# Sets: home (the copy), pid (the server's). Needs: the build (./dev mvn -q install -DskipTests).
kim_start_copy() {
    local src
    src=$(ls -d container/target/kimserver-*/kimserver-* | head -n 1)
    work=$(mktemp -d)
    home=$work/kimserver
    trap 'kim_stop_copy' EXIT
    cp -r "$src" "$home"
    sed -i "s/\"gate_port\": *[0-9]*/\"gate_port\": $port, $1/" "$home/etc/kimserver.json"
    "$home/bin/kimserver" start > /dev/null
    pid=$(cat "$home/data/kimserver.pid")
    for _ in $(seq 50); do # fileinstall deploys module-test just after start
        "$home/bin/kimserver" console kim:cmds 2>/dev/null | grep -q '^1001 ' && return 0
        sleep 0.2
    done
    echo "module-test did not come up: see $home/log/kimserver.log" >&2
    return 1
}

kim_stop_copy() {
    "$home/bin/kimserver" stop > /dev/null 2>&1 || true
    rm -rf "$work"
}
