package org.kimserver.gate.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes every connection of the gate holds (incomplete frames, requests queued behind a blocking handler,
 * replies not yet written to the socket), against {@code max_buffered_mb}. Past the limit, a connection that holds
 * at least {@link #HEAVY_BYTES} and has work draining stops reading when its share grows (see {@link HeldMemory}),
 * and large frames that do not fit are refused; paused connections read again once the total is back below seven
 * eighths of the limit, or once their own work is done.
 */
final class MemoryBudget {
    /** A connection holding less than this is never paused by the budget: small clients keep being served. */
    static final long HEAVY_BYTES = 64 * 1024;

    private volatile long limit;
    private final AtomicLong used = new AtomicLong();
    private final Set<HeldMemory> paused = ConcurrentHashMap.newKeySet();

    MemoryBudget(long limit) {
        this.limit = limit;
    }

    long limit() {
        return limit;
    }

    /** A new {@code max_buffered_mb}: what is held stays; paused connections resume if there is room now. */
    void limit(long bytes) {
        limit = bytes;
        resumeIfRoom();
    }

    long used() {
        return used.get();
    }

    int pausedConnections() {
        return paused.size();
    }

    /** Whether {@code more} bytes fit under the limit now. */
    boolean fits(long more) {
        return used.get() + more <= limit;
    }

    /** Adds {@code delta} (negative to give back); returns whether the total is above the limit. */
    boolean add(long delta) {
        long total = used.addAndGet(delta);
        if (delta < 0) {
            resumeIfRoom();
        }
        return total > limit;
    }

    /** Lets the paused connections read again once the total is back below seven eighths of the limit. */
    private void resumeIfRoom() {
        long max = limit;
        if (used.get() <= max - max / 8 && !paused.isEmpty()) {
            for (HeldMemory connection : paused) {
                if (paused.remove(connection)) {
                    connection.resumeReading();
                }
            }
        }
    }

    void waitForRoom(HeldMemory connection) {
        paused.add(connection);
        if (used.get() <= limit - limit / 8 && paused.remove(connection)) {
            connection.resumeReading(); // the room came back while this one was being paused
        }
    }

    void forget(HeldMemory connection) {
        paused.remove(connection);
    }
}
