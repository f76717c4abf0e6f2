# Sourced by bin/kimserver and by the source tree's ./dev: finds a JDK that kimserver can run on.
# Sets KIM_JAVA (the java binary) and KIM_JAVA_MAJOR, or prints why not and returns 1.
# Order: $JAVA_HOME, then java on the PATH, then the newest JDK under /usr/lib/jvm.
KIM_MIN_JAVA=21

kim_java_major() { # prints the feature version of the java binary $1 (8 for 1.8.x)
    local v
    v=$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
    v=${v#1.}
    printf '%s\n' "${v%%[.+-]*}"
}

kim_find_java() {
    local candidates=() c major best="" best_major=0
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
    command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
    for c in "${candidates[@]}"; do
        [ -x "$c" ] || continue
        major=$(kim_java_major "$c")
        if [ "${major:-0}" -ge "$KIM_MIN_JAVA" ] 2>/dev/null; then
            KIM_JAVA=$c KIM_JAVA_MAJOR=$major
            return 0
        fi
    done
    for c in /usr/lib/jvm/*/bin/java; do
        [ -x "$c" ] || continue
        major=$(kim_java_major "$c")
        if [ "${major:-0}" -ge "$KIM_MIN_JAVA" ] 2>/dev/null && [ "$major" -gt "$best_major" ]; then
            best=$c best_major=$major
        fi
    done
    if [ -n "$best" ]; then
        KIM_JAVA=$best KIM_JAVA_MAJOR=$best_major
        return 0
    fi
    echo "kimserver needs Java $KIM_MIN_JAVA or newer; none found (JAVA_HOME=${JAVA_HOME:-unset}, java on PATH: $(command -v java || echo none)). Set JAVA_HOME to a JDK $KIM_MIN_JAVA+." >&2
    return 1
}
