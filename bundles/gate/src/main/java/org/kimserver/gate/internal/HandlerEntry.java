package org.kimserver.gate.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/** A registered handler service, with the calls in progress so that its removal can wait for them. */
final class HandlerEntry {
    final CommandHandler handler;
    final ServiceReference<CommandHandler> reference;
    final boolean nonBlocking;
    final String owner;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean removed;
    private final Set<String> reportedFailures = ConcurrentHashMap.newKeySet();

    HandlerEntry(CommandHandler handler, ServiceReference<CommandHandler> reference) {
        this.handler = handler;
        this.reference = reference;
        this.nonBlocking = Boolean.parseBoolean(String.valueOf(reference.getProperty(CommandHandler.NON_BLOCKING)));
        Bundle bundle = reference.getBundle();
        this.owner = bundle == null ? "?" : bundle.getSymbolicName() + " " + bundle.getVersion();
    }

    long serviceId() {
        return (Long) reference.getProperty("service.id");
    }

    int ranking() {
        return reference.getProperty("service.ranking") instanceof Integer ranking ? ranking : 0;
    }

    String describe() {
        return handler.getClass().getName() + " (service " + serviceId() + ", " + owner + ", ranking " + ranking()
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
