package org.kimserver.gate.internal;

import io.netty.channel.Channel;

/**
 * Why a connection does not read: each reason is set and cleared on its own, and the channel reads (auto-read)
 * only while none is set. Used on the connection's event loop only.
 */
final class ReadPauses {
    /** Its replies cannot be written: the socket's write buffer is above its high-water mark. */
    static final int NOT_WRITABLE = 1;
    /** Its queue of requests behind a blocking handler is full. */
    static final int QUEUE_FULL = 2;
    /** It takes no more requests: it closes once the replies owed are written. */
    static final int STOPPED = 4;
    /** The gate's memory budget is spent and this connection holds a large share of it. */
    static final int MEMORY = 8;

    private final Channel channel;
    private int reasons;
    /** Ticker time at which reading last came back on after a pause. */
    private long resumedAt = Long.MIN_VALUE;
    /** Closing: it reads only to throw input away, whatever the reasons. */
    private boolean lingering;

    ReadPauses(Channel channel) {
        this.channel = channel;
    }

    void pause(int reason) {
        set(reasons | reason);
    }

    void resume(int reason) {
        set(reasons & ~reason);
    }

    void set(int reason, boolean on) {
        set(on ? reasons | reason : reasons & ~reason);
    }

    boolean isPaused(int reason) {
        return (reasons & reason) != 0;
    }

    /** The ticker time at which reading last came back on after a pause, or {@code Long.MIN_VALUE}. */
    long resumedAt() {
        return resumedAt;
    }

    /** From now on the channel reads whatever the reasons say: it is lingering before its close. */
    void lingering() {
        lingering = true;
        channel.config().setAutoRead(true);
    }

    private void set(int newReasons) {
        reasons = newReasons;
        boolean read = reasons == 0 || lingering;
        if (channel.config().isAutoRead() != read) {
            if (read) {
                resumedAt = channel.eventLoop().ticker().nanoTime();
            }
            channel.config().setAutoRead(read);
        }
    }
}
