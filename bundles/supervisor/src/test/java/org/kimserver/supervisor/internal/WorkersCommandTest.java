package org.kimserver.supervisor.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.Test;
import org.kimserver.api.diag.WorkerInfo;

/** kim:workers: one line per worker, a worker without a process shown as such rather than as pid -1. */
public class WorkersCommandTest {

    @Test
    public void aTableWithOneLinePerWorker() {
        String out = WorkersCommand.format(List.of(
                new WorkerInfo(1, 4242, Instant.now(), Duration.ofSeconds(3725), 0, WorkerInfo.UP, "listening", 17,
                        1234.5, 10, 20, 64L << 20, 256L << 20, null),
                new WorkerInfo(2, -1, null, Duration.ZERO, 4, WorkerInfo.EXITED, "starting", 0, 0, 0, 0, -1, -1,
                        "exit code 3 after 0.1 s")));
        String[] lines = out.split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[0], lines[0].startsWith("index  pid"));
        assertTrue(lines[1], lines[1].matches("1 +4242 +up +1h2m +17 +1234\\.5 +64M / 256M +0 +-"));
        assertTrue(lines[2], lines[2].matches("2 +- +exited +0s +0 +0\\.0 +- +4 +exit code 3 after 0\\.1 s"));
    }
}
