package org.kimserver.gate.internal;

import java.util.concurrent.Executor;

/**
 * What every connection of one gate shares: the handlers, the counters, the memory budget and the settings. The
 * settings change in place when the configuration changes; connections read them when they use them.
 */
final class GateContext {
    private final HandlerRegistry registry;
    private final GateCounters counters;
    private final Executor handlerThreads;
    private final MemoryBudget budget;
    private final ClientLogs logs;
    /** How long a connection's lane runs calls before it lets others have its carrier (see BlockingLane). */
    private final long laneSliceNanos;
    private volatile Settings settings;

    /** The gate keys of the configuration, in the units the connections use. */
    record Settings(long keepAliveNanos, long frameTimeoutNanos, long minBodyRate, int maxFrameSize,
                    boolean closeOnUnknownCmd, long handlerGraceNanos, long lingerQuietNanos) {
    }

    GateContext(HandlerRegistry registry, GateCounters counters, Executor handlerThreads, long laneSliceNanos,
                MemoryBudget budget, ClientLogs logs, Settings settings) {
        this.registry = registry;
        this.counters = counters;
        this.handlerThreads = handlerThreads;
        this.laneSliceNanos = laneSliceNanos;
        this.budget = budget;
        this.logs = logs;
        this.settings = settings;
    }

    HandlerRegistry registry() {
        return registry;
    }

    GateCounters counters() {
        return counters;
    }

    Executor handlerThreads() {
        return handlerThreads;
    }

    long laneSliceNanos() {
        return laneSliceNanos;
    }

    MemoryBudget budget() {
        return budget;
    }

    ClientLogs logs() {
        return logs;
    }

    Settings settings() {
        return settings;
    }

    void settings(Settings changed) {
        settings = changed;
    }
}
