package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.itest.UnzippedDistribution.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.itest.UnzippedDistribution.Result;
import org.kimserver.testkit.WireClient;

/**
 * The class-data archive of the workers: written by the first worker as it exits normally (a stop), mapped by the
 * workers started after it, the replacement of a killed one included; a damaged archive costs no start: the worker
 * that finds it unusable removes it, and the archive is written again.
 */
public class ClassDataSharingIT {
    private static final Pattern WROTE = Pattern.compile("wrote the class-data archive (\\S+\\.jsa) ");

    private UnzippedDistribution dist;

    @Before
    public void unzip() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-cds");
    }

    @After
    public void stopServer() throws Exception {
        if (dist != null) {
            dist.close();
        }
    }

    private void start() throws Exception {
        Result start = dist.kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        worker();
    }

    private void stop() throws Exception {
        Result stop = dist.kimserver("stop");
        assertEquals(stop.output(), 0, stop.exitCode());
    }

    private String consoleOut() throws IOException {
        return Files.readString(dist.path("log/console.out"));
    }

    /** The archives the manager's log says were written, in order. */
    private List<Path> written() throws IOException {
        return WROTE.matcher(dist.log()).results().map(m -> Path.of(m.group(1))).toList();
    }

    /** The pid of worker 1's process, once there is one. */
    private long worker() throws Exception {
        String home = "-Dkimserver.home=" + dist.home() + " ";
        long[] pid = new long[1];
        await("a worker 1 process", 30, () -> {
            pid[0] = ProcessHandle.allProcesses().filter(p -> p.isAlive() && p.info().commandLine()
                    .map(c -> c.contains(home) && c.endsWith(" worker 1")).orElse(false))
                    .mapToLong(ProcessHandle::pid).findFirst().orElse(0);
            return pid[0] != 0;
        });
        return pid[0];
    }

    /** Kills worker 1 and returns its replacement's pid once the replacement serves a hello. */
    private long replaceWorker() throws Exception {
        long dead = worker();
        ProcessHandle process = ProcessHandle.of(dead).orElseThrow();
        process.destroyForcibly();
        process.onExit().get();
        await("worker 1 replaced", 30, () -> worker() != dead);
        long replacement = worker();
        await("the replacement serves", 30, () -> {
            try (WireClient client = new WireClient(dist.gatePort())) {
                WireClient.Frame reply = client.send(WireClient.request(1001, 1, "hello")).read();
                return reply.code() == 0 && dist.log().contains("worker 1 (pid " + replacement + ") is ready");
            } catch (IOException e) {
                return false;
            }
        });
        return replacement;
    }

    private static boolean maps(long pid, Path archive) throws IOException {
        return Files.readString(Path.of("/proc/" + pid + "/maps")).contains(" " + archive);
    }

    @Test
    public void aReplacementStartsFromTheArchiveAndADamagedOneIsWrittenAgain() throws Exception {
        start();
        assertEquals("no archive before a worker has exited normally", List.of(), written());
        // A worker killed writes none: its replacement is the one asked to.
        replaceWorker();
        stop();
        assertEquals(dist.log(), 1, written().size());
        Path archive = written().get(0);
        assertEquals(dist.path("data/cds"), archive.getParent());
        assertEquals("the archive alone is left in data/cds", List.of(archive), list(archive.getParent()));

        start();
        assertTrue("a worker started after it maps " + archive, maps(worker(), archive));
        assertTrue("so does the replacement of a killed one", maps(replaceWorker(), archive));
        stop();

        // Damaged while the server was stopped: the worker still starts and serves, says so, and removes it.
        Files.write(archive, new byte[4096]);
        start();
        long damaged = worker();
        await("the warning", 30, () -> consoleOut().contains("W1: warning: the JVM could not use the class-data"
                + " archive " + archive + " (damaged?): removed; the next worker started writes it again as it exits"));
        assertFalse(maps(damaged, archive));
        assertFalse(Files.exists(archive));
        // The next worker started writes it again as it exits, and the one after starts from it.
        replaceWorker();
        stop();
        assertEquals(2, written().size());
        start();
        assertTrue("a worker maps the archive written again", maps(worker(), archive));
    }

    private static List<Path> list(Path folder) throws IOException {
        try (var files = Files.list(folder)) {
            return files.toList();
        }
    }
}
