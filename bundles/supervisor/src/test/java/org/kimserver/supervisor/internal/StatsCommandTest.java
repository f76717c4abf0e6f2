package org.kimserver.supervisor.internal;

import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.kimserver.api.diag.WorkerInfo;
import org.kimserver.handoff.HandoffStatistics;

/** The manager's kim:stats sums what its workers reported and says what the hand-off did. */
public class StatsCommandTest {

    private static WorkerInfo worker(int index, String state, int connections, double requests) {
        return new WorkerInfo(index, 100 + index, Instant.now(), Duration.ofSeconds(5), 0, state, "listening",
                connections, requests, 1000, 2000, 1 << 20, 1 << 29, null);
    }

    @Test
    public void theWorkersAreSummedAndTheHandOffCountedByWorker() {
        Map<String, Long> handed = new LinkedHashMap<>();
        handed.put("W1", 500L);
        handed.put("W2", 501L);
        String out = StatsCommand.format(List.of(worker(1, WorkerInfo.UP, 386, 49797.5),
                worker(2, WorkerInfo.STARTING, 500, 12044.9)), new HandoffStatistics("listening",
                "127.0.0.1:3355", null, "/s", List.of("W1", "W2"), handed, 3));
        assertTrue(out, out.contains("workers       1 of 2 up"));
        assertTrue(out, out.contains("connections   886 open"));
        assertTrue(out, out.contains("requests      61842.4 a second"));
        assertTrue(out, out.contains("bytes         2000 read, 4000 written a second"));
        assertTrue(out, out.contains("hand-off      listening on 127.0.0.1:3355: 1001 connections handed"
                + " (W1 500, W2 501), 3 closed for want of a worker"));
    }

    @Test
    public void withoutAHandOffItSaysThatTheWorkersListen() {
        String out = StatsCommand.format(List.of(worker(1, WorkerInfo.UP, 0, 0)), null);
        assertTrue(out, out.contains("hand-off      none (is_reuseport"));
    }
}
