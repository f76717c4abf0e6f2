package org.kimserver.handoff.internal;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * A warning that can come in floods (clients closed for want of a worker, accept failures): the first is logged at
 * once, then at most one line every {@value #INTERVAL_SECONDS} s, which says how many happened meanwhile. The
 * exact numbers are in the counters.
 */
final class RateLimitedWarning {
    static final long INTERVAL_SECONDS = 10;
    private final Logger logger;
    private long lastLoggedNanos;
    private boolean loggedOnce;
    private long unlogged;

    RateLimitedWarning(Logger logger) {
        this.logger = logger;
    }

    /** Logs {@code message} (with how many were not logged since the last line) unless one was logged lately. */
    void warn(String message) {
        long count;
        synchronized (this) {
            long now = System.nanoTime();
            unlogged++;
            if (loggedOnce && now - lastLoggedNanos < TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS)) {
                return;
            }
            loggedOnce = true;
            lastLoggedNanos = now;
            count = unlogged;
            unlogged = 0;
        }
        if (count == 1) {
            logger.warn(message);
        } else {
            logger.warn("{} ({} times since the last such line)", message, count);
        }
    }
}
