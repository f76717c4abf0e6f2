package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.itest.UnzippedDistribution.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.itest.TestBundles.Versioned;
import org.kimserver.itest.UnzippedDistribution.Result;
import org.kimserver.testkit.WireClient;

/**
 * A change of deploy/ on a running node of two workers, as a user makes it: the new version goes to worker 1
 * first (the canary) and, after the canary period, to worker 2, with no failed request; a version whose handler
 * fails, or that does not resolve, is rolled back on worker 1 and never reaches worker 2, the old one serving on
 * every worker throughout.
 */
public class ModuleRolloutIT {
    private static final int CMD = 9101;
    private static final int WORKERS = 2;
    /** The default canary_ms. */
    private static final long CANARY_MS = 3000;
    /** A kim:modules line of a worker's module: file, bundle, version, state. */
    private static final Pattern MODULE_LINE = Pattern.compile(
            "(?m)^  versioned\\.jar\\s+kim\\.itest\\.versioned (\\S+)\\s+(\\w+)(.*)$");

    private UnzippedDistribution dist;
    private Path jar;

    @Before
    public void startServer() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-rollout");
        dist.editConfig(json -> json.replace("\"worker_cnt\": 1,", "\"worker_cnt\": " + WORKERS + ","));
        Result start = dist.kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        jar = dist.path("deploy/versioned.jar");
        TestBundles.versioned(jar, CMD, "1.0.1", Versioned.SERVES);
        awaitEveryWorkerServes("1.0.1");
    }

    @After
    public void stopServer() throws Exception {
        if (dist != null) {
            dist.close();
        }
    }

    @Test
    public void anUpdateUnderLoadReachesWorkerOneFirstThenWorkerTwoWithNoFailedRequest() throws Exception {
        Map<Integer, Long> pids;
        try (Load load = new Load(dist.gatePort(), 8)) {
            await("replies from both workers", 30, () -> load.replies.get() > 2000);
            long dropped = System.nanoTime();
            TestBundles.versioned(jar, CMD, "1.0.2", Versioned.SERVES);
            pids = awaitEveryWorkerServes("1.0.2");
            load.awaitEveryClientLast("1.0.2", 10);
            load.stop();
            // The clients are spread over both workers: the last to get 1.0.2 is on the worker reached last.
            long rolledOutMs = (load.lastClientsFirst("1.0.2") - dropped) / 1_000_000;
            assertEquals("no failed request, no dropped connection", List.of(), load.failures);
            assertTrue("requests ran throughout: " + load.replies, load.replies.get() > 5000);
            // Worker 2's clients were answered by 1.0.1 while worker 1's had 1.0.2: the canary period.
            long overlapMs = (load.lastAnswered("1.0.1") - load.firstAnswered("1.0.2")) / 1_000_000;
            assertTrue("1.0.1 still served " + overlapMs + " ms after 1.0.2 first was", overlapMs > CANARY_MS / 2);
            assertTrue("1.0.2 answered every client " + rolledOutMs + " ms after the drop:\n" + rolloutLog(),
                    rolledOutMs < CANARY_MS + 20_000);
        }
        String log = dist.log();
        assertTrue(log, log.contains("rolling out kim.itest.versioned 1.0.2 (versioned.jar): worker 1 first, canary "
                + CANARY_MS + " ms"));
        assertTrue(log, log.contains("canary on worker 1 passed"));
        assertTrue(log, log.contains("kim.itest.versioned 1.0.2 (versioned.jar) rolled out to 2 workers"));

        // A worker that dies after the roll-out comes back with the version in force, not the one it started with.
        ProcessHandle.of(pids.get(2)).orElseThrow().destroyForcibly();
        await("worker 2 restarted serving 1.0.2", 60, () -> {
            Map<Integer, Long> now = everyWorkerServes("1.0.2");
            return now.size() == WORKERS && !now.get(2).equals(pids.get(2));
        });

        // A version whose activation takes 8 s, far longer than handler_grace_ms, does not serve until it has ended:
        // the version in force serves meanwhile, on worker 2 and on worker 1 beside it, so no request fails. Worker 2
        // gets the new one only after the canary, which starts once worker 1 serves. (Judged from what the clients
        // got: a kim:modules poll may take seconds on a loaded machine and miss the activation.)
        try (Load load = new Load(dist.gatePort(), 8)) {
            await("replies from both workers", 30, () -> load.replies.get() > 2000);
            long dropped = System.nanoTime();
            TestBundles.versioned(jar, CMD, "1.0.3", Versioned.SLOW_TO_ACTIVATE);
            awaitEveryWorkerServes("1.0.3");
            load.awaitEveryClientLast("1.0.3", 10);
            load.stop();
            assertEquals("no failed request while 1.0.3 activated", List.of(), load.failures);
            long firstNewMs = (load.firstAnswered("1.0.3") - dropped) / 1_000_000;
            assertTrue("1.0.3 answered " + firstNewMs + " ms after the drop, before its activation ended",
                    firstNewMs >= TestBundles.SLOW_ACTIVATION_MS);
            long overlapMs = (load.lastAnswered("1.0.2") - load.firstAnswered("1.0.3")) / 1_000_000;
            assertTrue("1.0.2 still served " + overlapMs + " ms after 1.0.3 first was", overlapMs > CANARY_MS / 2);
        }
        assertTrue(dist.workerLog(1), Pattern.compile("installed bundle \\d+ kim\\.itest\\.versioned 1\\.0\\.3 beside"
                + " bundle \\d+ kim\\.itest\\.versioned 1\\.0\\.2, which serves until it has started")
                .matcher(dist.workerLog(1)).find());
        assertFalse(dist.log(), dist.log().contains("1.0.3 (versioned.jar) rolled back"));

        // Deleting the jar removes the module from every worker.
        Files.delete(jar);
        await("versioned.jar gone from every worker", 30, () -> {
            String modules = modules();
            return !modules.contains("versioned.jar") && modules.split("(?m)^worker \\d+ \\(pid").length == 3;
        });
    }

    @Test
    public void aVersionThatFailsIsRolledBackOnTheCanaryAndNeverReachesTheOtherWorker() throws Exception {
        try (Load load = new Load(dist.gatePort(), 8)) {
            await("replies from both workers", 30, () -> load.replies.get() > 2000);
            TestBundles.versioned(jar, CMD, "1.0.2", Versioned.FAILS);
            await("rolled back", 60, () -> modules().contains("rolled back: versioned.jar: kim.itest.versioned"
                    + " 1.0.2 rolled back"));
            load.awaitEveryClientLast("1.0.1", 20);
            load.stop();
            // The canary's clients saw the broken version's failures (code 1); nothing else failed or was dropped.
            for (String failure : load.failures) {
                assertTrue(failure, failure.endsWith("code 1"));
            }
            assertFalse("the canary saw failures", load.failures.isEmpty());
        }
        awaitEveryWorkerServes("1.0.1");
        assertFalse("worker 2 never had 1.0.2", dist.workerLog(2).contains("kim.itest.versioned 1.0.2"));
        assertTrue(dist.workerLog(1), dist.workerLog(1).contains("kim.itest.versioned 1.0.2"));
        String log = dist.log();
        Matcher rolledBack = Pattern.compile("kim\\.itest\\.versioned 1\\.0\\.2 \\(versioned\\.jar\\) rolled back on"
                + " worker 1: (\\d+) of (\\d+) requests failed \\(code 1\\) in the 3000 ms canary, more than 1%").matcher(log);
        assertTrue(log, rolledBack.find());
        String info = dist.kimserver("console", "kim:info").output();
        assertTrue(info, info.contains("deploy/versioned.jar") && info.contains("kim.itest.versioned 1.0.2 was rolled"
                + " back") && info.contains("the workers run kim.itest.versioned 1.0.1"));

        // kim:install puts a jar in deploy/ and answers with the roll-out's outcome: a version that does not resolve
        // goes back too, saying what it misses.
        Path elsewhere = Files.createDirectories(dist.path("data/elsewhere")).resolve("versioned.jar");
        TestBundles.versioned(elsewhere, CMD, "1.0.3", Versioned.UNRESOLVABLE);
        Result install = dist.kimserver("console", "kim:install " + elsewhere);
        assertEquals("a roll-back fails the command: " + install.output(), 1, install.exitCode());
        assertTrue(install.output(), install.output().startsWith("error: deploy/versioned.jar (kim.itest.versioned"
                + " 1.0.3): rolled back: on worker 1: kim.itest.versioned 1.0.3 (deploy/versioned.jar) failed: ")
                && install.output().contains("org.kimserver.nowhere"));
        assertEquals("rolled back means served again", 2, everyWorkerServes("1.0.1").size());
        assertFalse("worker 2 never had 1.0.3", dist.workerLog(2).contains("kim.itest.versioned 1.0.3"));

        // A good version after them rolls out, and the refusal is gone with the jar it was about.
        TestBundles.versioned(elsewhere, CMD, "1.0.4", Versioned.SERVES);
        install = dist.kimserver("console", "kim:install " + elsewhere);
        assertEquals(install.output(), "deploy/versioned.jar (kim.itest.versioned 1.0.4): rolled out",
                install.output().strip());
        assertEquals(0, install.exitCode());
        assertEquals(2, everyWorkerServes("1.0.4").size());
        assertFalse(modules(), modules().contains("rolled back:"));
        assertFalse(dist.kimserver("console", "kim:info").output().contains("deploy/versioned.jar"));

        // A version whose activation never returns does not serve: rolled back on worker 1 after 30 s, and worker 1,
        // stuck in it, is started again with the version in force.
        long stuckPid = everyWorkerServes("1.0.4").get(1);
        TestBundles.versioned(elsewhere, CMD, "1.0.5", Versioned.HANGS_IN_ACTIVATION);
        install = dist.kimserver("console", "kim:install " + elsewhere);
        assertEquals(install.output(), 1, install.exitCode());
        assertTrue(install.output(), install.output().contains("rolled back: on worker 1: not serving 30 s after the"
                + " change: versioned.jar pending kim.itest.versioned 1.0.5 (activating: "));
        assertFalse("worker 2 never had 1.0.5", dist.workerLog(2).contains("kim.itest.versioned 1.0.5"));
        awaitEveryWorkerServes("1.0.4");
        assertFalse("worker 1 is a new process", everyWorkerServes("1.0.4").get(1).equals(stuckPid));
        assertTrue(dist.log(), dist.log().contains("restarting worker 1 (pid " + stuckPid + "): it does not serve"
                + " the previous modules again after a roll-back"));

        // kim:uninstall removes it from deploy/ and from every worker.
        Result uninstall = dist.kimserver("console", "kim:uninstall versioned.jar");
        assertEquals(uninstall.output(), "deploy/versioned.jar removed: rolled out", uninstall.output().strip());
        assertFalse(modules(), modules().contains("versioned.jar"));
    }

    /** The manager's log lines about deploy/, which say what a roll-out waited for. */
    private String rolloutLog() throws IOException {
        return dist.log().lines().filter(l -> l.contains("deploy/")).collect(Collectors.joining("\n"));
    }

    private String modules() throws Exception {
        Result modules = dist.kimserver("console", "kim:modules");
        assertEquals(modules.output(), 0, modules.exitCode());
        return modules.output();
    }

    /**
     * Worker index to pid for each worker whose kim:modules section shows versioned.jar serving {@code version},
     * the version in force; a worker that differs from it is not counted.
     */
    private Map<Integer, Long> everyWorkerServes(String version) throws Exception {
        Map<Integer, Long> serving = new ConcurrentHashMap<>();
        String[] sections = modules().split("(?m)^(?=worker \\d+ )");
        for (String section : sections) {
            Matcher head = Pattern.compile("^worker (\\d+) \\(pid (\\d+)\\)").matcher(section);
            Matcher line = MODULE_LINE.matcher(section);
            if (head.find() && line.find() && line.group(1).equals(version) && line.group(2).equals("serving")
                    && !line.group(3).contains("DIFFERS")) {
                serving.put(Integer.parseInt(head.group(1)), Long.parseLong(head.group(2)));
            }
        }
        return serving;
    }

    private Map<Integer, Long> awaitEveryWorkerServes(String version) throws Exception {
        try {
            await("kim.itest.versioned " + version + " serving on every worker", 60,
                    () -> everyWorkerServes(version).size() == WORKERS);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; kim:modules:\n" + modules(), e);
        }
        return everyWorkerServes(version);
    }

    /**
     * Clients that each send {@link #CMD} and wait for its reply, again and again on one connection (the hand-off
     * spreads the connections over the workers), recording what answered when.
     */
    private static final class Load implements AutoCloseable {
        final AtomicLong replies = new AtomicLong();
        final List<String> failures = new CopyOnWriteArrayList<>();
        private final AtomicBoolean stopping = new AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();
        /** Each client's last answer: the reply's data, or "code N" when it failed. */
        private final Map<Integer, String> last = new ConcurrentHashMap<>();
        /** Reply data to the first and last time it answered (System.nanoTime). */
        private final Map<String, long[]> answered = new ConcurrentHashMap<>();
        /** Reply data to the time each client first got it. */
        private final Map<String, Map<Integer, Long>> firstByClient = new ConcurrentHashMap<>();

        Load(int port, int clients) throws IOException {
            for (int c = 0; c < clients; c++) {
                int client = c;
                WireClient wire = new WireClient(port);
                threads.add(Thread.ofPlatform().name("load-" + c).start(() -> run(client, wire)));
            }
        }

        private void run(int client, WireClient wire) {
            try (wire) {
                for (int seq = 1; !stopping.get(); seq++) {
                    WireClient.Frame reply = wire.send(WireClient.request(CMD, seq, "x")).read();
                    long now = System.nanoTime();
                    if (reply.cmd() != CMD + 1 || reply.seq() != seq) {
                        failures.add("client " + client + ": reply cmd " + reply.cmd() + " seq " + reply.seq()
                                + " to seq " + seq);
                        return;
                    }
                    replies.incrementAndGet();
                    if (reply.code() != 0) {
                        failures.add("client " + client + " seq " + seq + ": code " + reply.code());
                        last.put(client, "code " + reply.code());
                        continue;
                    }
                    last.put(client, reply.data());
                    answered.compute(reply.data(), (k, t) -> t == null ? new long[] {now, now}
                            : new long[] {t[0], now});
                    firstByClient.computeIfAbsent(reply.data(), k -> new ConcurrentHashMap<>())
                            .putIfAbsent(client, now);
                }
            } catch (IOException | RuntimeException e) {
                failures.add("client " + client + ": " + e);
            }
        }

        void awaitEveryClientLast(String data, long seconds) throws Exception {
            try {
                await("every client answered by " + data, seconds, () -> last.size() == threads.size()
                        && last.values().stream().allMatch(data::equals));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; each client's last answer: " + last + "; failures: "
                        + failures.stream().limit(20).toList(), e);
            }
        }

        /** When the last client to get {@code data} first got it (each client has got it). */
        long lastClientsFirst(String data) {
            Map<Integer, Long> first = firstByClient.get(data);
            assertEquals("clients answered by " + data, threads.size(), first.size());
            return first.values().stream().max(Long::compare).orElseThrow();
        }

        long firstAnswered(String data) {
            return answered.get(data)[0];
        }

        long lastAnswered(String data) {
            return answered.get(data)[1];
        }

        void stop() throws InterruptedException {
            stopping.set(true);
            for (Thread t : threads) {
                t.join(10_000);
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }
}
