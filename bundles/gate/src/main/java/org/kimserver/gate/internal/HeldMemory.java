package org.kimserver.gate.internal;

import io.netty.channel.Channel;

/**
 * What one connection holds, charged to the gate's {@link MemoryBudget}: input (the decoder's buffer, or the whole
 * claimed length of a large frame being received if that is more), queued request data, and reply bytes not yet
 * written to the socket. Changed on the connection's event loop; the budget may resume it from any thread.
 */
final class HeldMemory {
    private final MemoryBudget budget;
    private final ReadPauses pauses;
    private final Channel channel;
    private long buffered;
    private long claim;
    private long queued;
    private long output;
    private boolean released;

    HeldMemory(MemoryBudget budget, ReadPauses pauses, Channel channel) {
        this.budget = budget;
        this.pauses = pauses;
        this.channel = channel;
    }

    /** What the input is charged: the decoder's buffer, or the claim of a large frame if that is more. */
    long input() {
        return Math.max(buffered, claim);
    }

    long total() {
        return input() + queued + output;
    }

    /** The decoder's buffer now holds {@code bytes}. */
    void buffered(long bytes) {
        long before = input();
        buffered = bytes;
        charge(input() - before);
    }

    /** A large frame of {@code bytes} is being received (0: none). */
    void claim(long bytes) {
        long before = input();
        claim = bytes;
        charge(input() - before);
    }

    void queued(long delta) {
        queued += delta;
        charge(delta);
    }

    void output(long delta) {
        output += delta;
        charge(delta);
    }

    /** Whether {@code more} bytes fit in the budget now. */
    boolean fits(long more) {
        return budget.fits(more);
    }

    /** Gives everything back; the connection has closed. */
    void release() {
        if (!released) {
            released = true;
            budget.forget(this);
            budget.add(-total());
        }
    }

    void resumeReading() {
        channel.eventLoop().execute(() -> pauses.resume(ReadPauses.MEMORY));
    }

    /**
     * Charges the budget; past its limit, stops reading from this connection if it holds a large share and has
     * something that drains without reading (requests to answer, replies to write), and reads again once that is
     * done. A connection holding only input is not paused: its frame could then never complete.
     */
    private void charge(long delta) {
        if (released) {
            return;
        }
        boolean over = delta != 0 && budget.add(delta);
        boolean draining = queued + output > 0;
        if (pauses.isPaused(ReadPauses.MEMORY)) {
            if (!draining) {
                budget.forget(this);
                pauses.resume(ReadPauses.MEMORY);
            }
        } else if (delta > 0 && over && draining && total() >= MemoryBudget.HEAVY_BYTES) {
            pauses.pause(ReadPauses.MEMORY);
            budget.waitForRoom(this);
        }
    }
}
