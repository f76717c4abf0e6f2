package org.kimserver.gate.internal;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Logs one kind of client misbehaviour at a bounded rate: the first {@code burst} events of each interval, then
 * nothing until the interval ends, when one line says how many more were suppressed. The gate's counters keep
 * the exact numbers; this only keeps a flood of bad clients from flooding the log.
 */
final class RateLimitedLog {
    private final Logger logger;
    private final String kind;
    private final int burst;
    private final long intervalNanos;
    private final LongSupplier clock;
    private long windowStart;
    private int logged;
    private long suppressed;

    /**
     * @param kind what the events are, for the summary line ("malformed frames")
     * @param clock nanoseconds, {@code System::nanoTime} outside tests
     */
    RateLimitedLog(Logger logger, String kind, int burst, long interval, TimeUnit unit, LongSupplier clock) {
        this.logger = logger;
        this.kind = kind;
        this.burst = burst;
        this.intervalNanos = unit.toNanos(interval);
        this.clock = clock;
        this.windowStart = clock.getAsLong();
    }

    /** Logs a WARN line unless this interval already had its share. */
    void warn(String format, Object... arguments) {
        if (permit()) {
            logger.warn(format, arguments);
        }
    }

    /** Ends the interval if it is over, writing the count of what it suppressed; called about once a second. */
    void tick() {
        reportSuppressed(roll(clock.getAsLong()));
    }

    private boolean permit() {
        long summary;
        boolean permitted;
        synchronized (this) {
            summary = roll(clock.getAsLong());
            permitted = logged < burst;
            if (permitted) {
                logged++;
            } else {
                suppressed++;
            }
        }
        reportSuppressed(summary);
        return permitted;
    }

    private void reportSuppressed(long count) {
        if (count > 0) {
            logger.warn("{} more {} in the last {} s were not logged (see kim:stats for the counts)", count, kind,
                    TimeUnit.NANOSECONDS.toSeconds(intervalNanos));
        }
    }

    /** Starts a new interval if the current one is over; returns what the ended one suppressed. */
    private synchronized long roll(long now) {
        if (now - windowStart < intervalNanos) {
            return 0;
        }
        long ended = suppressed;
        windowStart = now;
        logged = 0;
        suppressed = 0;
        return ended;
    }
}
