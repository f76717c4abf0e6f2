package org.kimserver.gate.internal;

import java.util.concurrent.Executor;

/** What every connection of one gate shares: the handlers, the counters, the memory budget and the settings. */
record GateContext(HandlerRegistry registry, GateCounters counters, Executor handlerThreads, MemoryBudget budget,
                   ClientLogs logs, Settings settings) {

    /** The gate keys of the configuration, in the units the connections use. */
    record Settings(long keepAliveNanos, long frameTimeoutNanos, long minBodyRate, int maxFrameSize,
                    boolean closeOnUnknownCmd, long handlerGraceNanos, long lingerQuietNanos) {
    }
}
