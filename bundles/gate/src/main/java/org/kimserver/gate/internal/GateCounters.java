package org.kimserver.gate.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.osgi.service.component.annotations.Component;

/**
 * The process's gate counters: the original's Payload fields (connections, commands, socket reads and writes and
 * their bytes) plus what the original does not count. A component of its own so that the figures survive a gate
 * restart after a configuration change.
 */
@Component(service = GateCounters.class)
public final class GateCounters {
    final AtomicInteger connections = new AtomicInteger();
    final LongAdder accepted = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder refusedPerAddress = new LongAdder();
    final LongAdder acceptFailures = new LongAdder();
    final LongAdder idleClosed = new LongAdder();
    final LongAdder commands = new LongAdder();
    final LongAdder reads = new LongAdder();
    final LongAdder readBytes = new LongAdder();
    final LongAdder writes = new LongAdder();
    final LongAdder writeBytes = new LongAdder();
    final LongAdder malformedFrames = new LongAdder();
    final LongAdder oversizeFrames = new LongAdder();
    final LongAdder frameTimeouts = new LongAdder();
    final LongAdder refusedOverBudget = new LongAdder();
    /** Connections still busy at the end of a stop's drain, closed then. */
    final LongAdder cutAtStop = new LongAdder();
    private final Map<Integer, LongAdder> errors = new ConcurrentHashMap<>();
    private final long createdMillis = System.currentTimeMillis();

    private long lastSampleNanos = System.nanoTime();
    private long lastSampleCommands;
    private volatile double commandsPerSecond;

    void error(int code) {
        errors.computeIfAbsent(code, k -> new LongAdder()).increment();
    }

    /** Replies with a non-zero code, by code. */
    Map<Integer, Long> errorsByCode() {
        Map<Integer, Long> copy = new TreeMap<>();
        errors.forEach((code, count) -> copy.put(code, count.sum()));
        return copy;
    }

    /** Called about once a second by the gate; the rate covers the time since the previous call. */
    synchronized void sample() {
        long now = System.nanoTime();
        long total = commands.sum();
        if (now > lastSampleNanos) {
            commandsPerSecond = (total - lastSampleCommands) * 1e9 / (now - lastSampleNanos);
        }
        lastSampleNanos = now;
        lastSampleCommands = total;
    }

    double commandsPerSecond() {
        return commandsPerSecond;
    }

    long createdMillis() {
        return createdMillis;
    }
}
