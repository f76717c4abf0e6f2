package org.kimserver.gate.internal;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * The rate-limited log of each kind of client misbehaviour, and of unexpected errors on connections (which a
 * client may provoke too): at most 5 lines a kind per 10 s, then a count.
 */
record ClientLogs(RateLimitedLog malformed, RateLimitedLog oversize, RateLimitedLog slow, RateLimitedLog overBudget,
                  RateLimitedLog perAddress, RateLimitedLog acceptFailures, RateLimitedLog unexpected) {
    private static final int BURST = 5;
    private static final long INTERVAL_SECONDS = 10;

    static ClientLogs create(Logger logger, LongSupplier clock) {
        return new ClientLogs(log(logger, "malformed frames", clock), log(logger, "frames above max_frame_size", clock),
                log(logger, "connections closed at the frame deadline", clock),
                log(logger, "large frames refused by the memory budget", clock),
                log(logger, "connections refused by max_clients_per_ip", clock),
                log(logger, "accept failures", clock), log(logger, "unexpected errors on connections", clock));
    }

    private static RateLimitedLog log(Logger logger, String kind, LongSupplier clock) {
        return new RateLimitedLog(logger, kind, BURST, INTERVAL_SECONDS, TimeUnit.SECONDS, clock);
    }

    /** Writes the counts of what each kind suppressed in an interval that has ended. */
    void tick() {
        List.of(malformed, oversize, slow, overBudget, perAddress, acceptFailures, unexpected)
                .forEach(RateLimitedLog::tick);
    }
}
