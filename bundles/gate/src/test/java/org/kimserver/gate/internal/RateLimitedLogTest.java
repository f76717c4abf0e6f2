package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

public class RateLimitedLogTest {

    /** Keeps what is logged, formatted. */
    private static final class CapturingLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        final List<String> lines = new ArrayList<>();

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                                                   Throwable throwable) {
            lines.add(level + " " + MessageFormatter.basicArrayFormat(pattern, arguments));
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        public boolean isTraceEnabled() {
            return true;
        }

        @Override
        public boolean isDebugEnabled() {
            return true;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }
    }

    @Test
    public void theFirstFewOfAnIntervalAreLoggedThenOneLineCountsTheRest() {
        CapturingLogger logger = new CapturingLogger();
        long[] now = {0};
        RateLimitedLog log = new RateLimitedLog(logger, "malformed frames", 3, 10, TimeUnit.SECONDS, () -> now[0]);
        for (int i = 1; i <= 1000; i++) {
            log.warn("client {}: bad", i);
        }
        assertEquals(List.of("WARN client 1: bad", "WARN client 2: bad", "WARN client 3: bad"), logger.lines);

        now[0] = TimeUnit.SECONDS.toNanos(9);
        log.tick();
        assertEquals("nothing before the interval ends", 3, logger.lines.size());
        now[0] = TimeUnit.SECONDS.toNanos(10);
        log.tick();
        assertEquals("WARN 997 more malformed frames in the last 10 s were not logged (see kim:stats for the counts)",
                logger.lines.get(3));

        log.warn("client {}: bad", 1001);
        assertEquals("a new interval logs again", "WARN client 1001: bad", logger.lines.get(4));
        now[0] = TimeUnit.SECONDS.toNanos(30);
        log.tick();
        assertEquals("no summary when nothing was suppressed", 5, logger.lines.size());
    }
}
