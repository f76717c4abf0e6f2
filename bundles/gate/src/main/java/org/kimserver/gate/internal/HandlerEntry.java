package org.kimserver.gate.internal;

import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;

/** A registered handler service, with the calls in progress so that its removal can wait for them. */
final class HandlerEntry {
    final CommandHandler handler;
    /** The service's {@value CommandHandler#CMD} property as registered. */
    final Object commands;
    final boolean nonBlocking;
    final String owner;
    /** The symbolic name and version of the bundle that registered it; {@code "?"} and 0 when unknown. */
    final String bundleName;
    final Version bundleVersion;
    final long serviceId;
    final int ranking;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Requests handed to it, and those that ended with code 1: what a canary of its bundle is judged by. */
    final LongAdder calls = new LongAdder();
    final LongAdder failures = new LongAdder();
    private volatile boolean removed;
    private final Set<String> reportedFailures = ConcurrentHashMap.newKeySet();

    HandlerEntry(CommandHandler handler, Object commands, boolean nonBlocking, String bundleName,
                 Version bundleVersion, long serviceId, int ranking) {
        this.handler = handler;
        this.commands = commands;
        this.nonBlocking = nonBlocking;
        this.bundleName = bundleName;
        this.bundleVersion = bundleVersion;
        this.owner = bundleName + " " + bundleVersion;
        this.serviceId = serviceId;
        this.ranking = ranking;
    }

    static HandlerEntry of(CommandHandler handler, ServiceReference<CommandHandler> reference) {
        Bundle bundle = reference.getBundle();
        return new HandlerEntry(handler, reference.getProperty(CommandHandler.CMD),
                Boolean.parseBoolean(String.valueOf(reference.getProperty(CommandHandler.NON_BLOCKING))),
                bundle == null ? "?" : bundle.getSymbolicName(), bundle == null ? Version.emptyVersion
                        : bundle.getVersion(),
                (Long) reference.getProperty(Constants.SERVICE_ID),
                reference.getProperty(Constants.SERVICE_RANKING) instanceof Integer ranking ? ranking : 0);
    }

    /** The service order of the framework: the highest ranking first, then the oldest service. */
    static final Comparator<HandlerEntry> PRECEDENCE = Comparator.comparingInt((HandlerEntry e) -> -e.ranking)
            .thenComparingLong(e -> e.serviceId);

    /** Whether this comes from an older version of the bundle that registered {@code other}. */
    boolean olderVersionOf(HandlerEntry other) {
        return bundleName.equals(other.bundleName) && !bundleName.equals("?")
                && bundleVersion.compareTo(other.bundleVersion) < 0;
    }

    String describe() {
        return handler.getClass().getName() + " (service " + serviceId + ", " + owner + ", ranking " + ranking
                + (nonBlocking ? ", non-blocking" : "") + ")";
    }

    /**
     * Marks the call started. Returns {@code false} if the handler is being removed; the caller then looks the
     * command up again. The increment comes before the check, and {@link #removeAndAwait} sets the flag before
     * reading the count, so one of the two always sees the other.
     */
    boolean enter() {
        inFlight.incrementAndGet();
        if (removed) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Calls the handler; the call must have been {@link #enter entered}, and counts as ended on return. */
    Reply call(GateRequest request) throws Exception {
        try {
            return handler.handle(request);
        } finally {
            leave();
        }
    }

    /** Ends an entered call that will not be made. */
    void leave() {
        inFlight.decrementAndGet();
    }

    /** {@code true} the first time this kind of failure is seen, so that its stack trace is logged once. */
    boolean firstFailure(Throwable failure) {
        return reportedFailures.add(failure.getClass().getName());
    }

    /** Stops new calls and waits for the running ones; {@code false} if some were still running at the deadline. */
    boolean removeAndAwait(long timeout, TimeUnit unit) throws InterruptedException {
        removed = true;
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (inFlight.get() > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    int inFlight() {
        return inFlight.get();
    }
}
