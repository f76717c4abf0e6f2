package org.kimserver.gate.internal;

import java.util.concurrent.Executor;

/** What every connection of one gate shares. */
record GateContext(HandlerRegistry registry, GateCounters counters, Executor handlerThreads, long keepAliveNanos,
                   int maxFrameSize, boolean closeOnUnknownCmd, long handlerGraceNanos) {
}
