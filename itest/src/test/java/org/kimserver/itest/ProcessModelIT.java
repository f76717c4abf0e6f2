package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.kimserver.itest.UnzippedDistribution.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.kimserver.itest.UnzippedDistribution.Result;
import org.kimserver.testkit.WireClient;

/**
 * The manager and its two workers as real processes of an unzipped distribution: how connections reach the
 * workers, what a worker's or the manager's sudden death does to clients and to the other processes, a worker that
 * cannot start, a stop under load, and what tells the processes apart. One distribution serves the whole class; a
 * test that needs the server in a given hand-off mode (re)starts it so, one that ends it leaves it stopped.
 */
public class ProcessModelIT {
    private static final int WORKERS = 2;
    /** One line of kim:workers: index, pid, state, uptime, connections, requests/s, heap, then the rest. */
    private static final Pattern WORKER_LINE = Pattern.compile(
            "(?m)^(\\d+) +(\\d+) +(\\w+) +\\S+ +\\d+ +\\S+ +(-|\\d+M(?: / \\d+M)?) +\\d+ .*$");
    /** A worker's section of {@code console -w all}. */
    private static final Pattern WORKER_SECTION = Pattern.compile("(?m)^== W(\\d+) ==$");
    private static final Pattern GATE_CONNECTIONS = Pattern.compile("connections\\s+(\\d+) open, (\\d+) accepted");

    private static UnzippedDistribution dist;
    private static String originalConfig;
    /** The hand-off mode (is_reuseport) of the running server, null when none runs. */
    private static Boolean runningReuseport;

    /** A line of kim:workers; heap is "-" until the process has said. */
    record Worker(int index, long pid, String state, String heap) {
    }

    /** What a worker's gate has counted: connections open now and accepted since it started. */
    record GateCount(long open, long accepted) {
    }

    @BeforeClass
    public static void unzip() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-processes");
        dist.editConfig(json -> json.replace("\"worker_cnt\": 1,", "\"worker_cnt\": " + WORKERS + ","));
        originalConfig = Files.readString(dist.path("etc/kimserver.json"));
        assertTrue(originalConfig, originalConfig.contains("\"worker_cnt\": " + WORKERS + ","));
    }

    @AfterClass
    public static void stopAndDelete() throws Exception {
        if (dist != null) {
            dist.close();
        }
    }

    /** Makes sure the server runs with {@code is_reuseport} = {@code reuseport}, its workers up, 1001 served. */
    private static void runningWith(boolean reuseport) throws Exception {
        if (runningReuseport != null && runningReuseport == reuseport) {
            return;
        }
        stopped();
        Files.writeString(dist.path("etc/kimserver.json"),
                originalConfig.replace("\"is_reuseport\": false", "\"is_reuseport\": " + reuseport));
        Result start = dist.kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        runningReuseport = reuseport;
        await("1001 deployed in every worker", 30,
                () -> dist.kimserver("console", "-w", "all", "kim:cmds").output().split("\n1001 ", -1).length
                        == WORKERS + 1);
    }

    /** Stops the server if one runs and checks that no process of the home is left. */
    private static void stopped() throws Exception {
        runningReuseport = null;
        Result stop = dist.kimserver("stop");
        assertEquals(stop.output(), 0, stop.exitCode());
        assertEquals("processes of the home after a stop", List.of(), processesOfTheHome());
    }

    /** Every process whose command line names this home (the manager and its workers do). */
    private static List<String> processesOfTheHome() {
        String home = "-Dkimserver.home=" + dist.home();
        return ProcessHandle.allProcesses()
                .filter(p -> p.isAlive() && p.info().commandLine().orElse("").contains(home))
                .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
                .toList();
    }

    private static Map<Integer, Worker> workers() throws Exception {
        Result workers = dist.kimserver("console", "kim:workers");
        assertEquals(workers.output(), 0, workers.exitCode());
        Map<Integer, Worker> byIndex = new TreeMap<>();
        Matcher line = WORKER_LINE.matcher(workers.output());
        while (line.find()) {
            int index = Integer.parseInt(line.group(1));
            byIndex.put(index, new Worker(index, Long.parseLong(line.group(2)), line.group(3), line.group(4)));
        }
        assertEquals(workers.output(), WORKERS, byIndex.size());
        return byIndex;
    }

    /** Each worker's gate counters, from {@code console -w all kim:stats}. */
    private static Map<Integer, GateCount> gateCounts() throws Exception {
        Result stats = dist.kimserver("console", "-w", "all", "kim:stats");
        assertEquals(stats.output(), 0, stats.exitCode());
        Map<Integer, GateCount> counts = new TreeMap<>();
        String[] sections = WORKER_SECTION.split(stats.output());
        Matcher header = WORKER_SECTION.matcher(stats.output());
        for (int section = 1; header.find(); section++) {
            Matcher connections = GATE_CONNECTIONS.matcher(sections[section]);
            assertTrue(stats.output(), connections.find());
            counts.put(Integer.parseInt(header.group(1)),
                    new GateCount(Long.parseLong(connections.group(1)), Long.parseLong(connections.group(2))));
        }
        assertEquals(stats.output(), WORKERS, counts.size());
        return counts;
    }

    /** Connects, sends one 1001 and checks the module's answer. */
    private static void hello(WireClient client, int seq) throws IOException {
        client.send(WireClient.request(1001, seq, "hello"));
        WireClient.Frame reply = client.read();
        assertEquals(seq, reply.seq());
        assertEquals(0, reply.code());
        assertEquals("good job!", reply.data());
    }

    @Test
    public void theHandOffSpreadsConnectionsOverEveryWorker() throws Exception {
        runningWith(false);
        everyWorkerAcceptsSomeOf(64);
    }

    @Test
    public void soReuseportSpreadsConnectionsOverEveryWorker() throws Exception {
        runningWith(true);
        everyWorkerAcceptsSomeOf(64);
    }

    /** {@code clients} clients, all connected at once, each served; every worker's gate accepted some of them. */
    private static void everyWorkerAcceptsSomeOf(int clients) throws Exception {
        Map<Integer, GateCount> before = gateCounts();
        List<WireClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                open.add(new WireClient(dist.gatePort()));
            }
            for (WireClient client : open) {
                hello(client, 1);
            }
        } finally {
            for (WireClient client : open) {
                client.close();
            }
        }
        Map<Integer, GateCount> after = gateCounts();
        long total = 0;
        for (int n = 1; n <= WORKERS; n++) {
            long accepted = after.get(n).accepted() - before.get(n).accepted();
            assertTrue("worker " + n + " accepted none of " + clients + ": " + before + " -> " + after, accepted > 0);
            total += accepted;
        }
        assertEquals(before + " -> " + after, clients, total);
    }

    /**
     * kill -9 of worker 1 while long-lived clients send a request every few ms: exactly the connections worker 1
     * held see a disconnect, the others are served on without a gap; new clients, one after another while worker 1
     * is down and until its replacement has served for 2 s, are all served (none handed to the dead one, none refused
     * by the replacement before its modules are deployed); and worker 1 comes back as a new process.
     */
    @Test
    public void aWorkerKilledUnderLoadCostsOnlyItsOwnConnectionsAndIsReplaced() throws Exception {
        runningWith(false);
        int count = 16;
        try (BusyClients clients = new BusyClients(count)) {
            await("every client served and counted open by a worker", 10, () -> clients.allServed()
                    && gateCounts().values().stream().mapToLong(GateCount::open).sum() == count);
            long onWorker1 = gateCounts().get(1).open();
            assertTrue("the hand-off gave worker 1 none of " + count + " connections", onWorker1 > 0);

            Worker killed = workers().get(1);
            ProcessHandle victim = ProcessHandle.of(killed.pid()).orElseThrow();
            assertTrue(victim.destroyForcibly());
            victim.onExit().get(10, TimeUnit.SECONDS);
            Worker replacement = workers().get(1);
            if (!replacement.state().equals("up")) { // its JVM is still starting: it has said nothing yet
                assertEquals("the heap of a worker that has not reported: " + replacement, "-", replacement.heap());
            }

            // New clients, one after another, from the kill until the replacement has served for 2 s: none is
            // handed to the dead worker, and none that reaches the replacement before its modules of deploy/ are
            // deployed is refused (code 4): it waits for its handler.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long replacedAt = 0;
            for (int seq = 1; replacedAt == 0 || System.nanoTime() - replacedAt < TimeUnit.SECONDS.toNanos(2); seq++) {
                try (WireClient client = new WireClient(dist.gatePort())) {
                    hello(client, seq);
                } catch (IOException | AssertionError e) {
                    throw new AssertionError("new client " + seq + " after worker 1 died: " + e, e);
                }
                if (replacedAt == 0 && seq % 10 == 0) {
                    Worker now = workers().get(1);
                    if (now.pid() != killed.pid() && now.state().equals("up")) {
                        replacedAt = System.nanoTime();
                    }
                }
                assertTrue("worker 1 replaced by a new process that is up within 30 s", System.nanoTime() < deadline);
            }
            assertEquals("worker 2 untouched", "up", workers().get(2).state());

            assertEquals("disconnects (worker 1 held " + onWorker1 + "): " + clients.failures(), onWorker1,
                    clients.failedCount());
            int[] servedBefore = clients.served();
            Thread.sleep(300);
            int[] servedAfter = clients.served();
            for (int i = 0; i < count; i++) {
                if (!clients.failed(i)) {
                    assertTrue("client " + i + " on worker 2 still served", servedAfter[i] > servedBefore[i]);
                }
            }
            clients.stop();
            assertEquals("disconnects at the end: " + clients.failures(), onWorker1, clients.failedCount());
        }
    }

    /**
     * kill -9 of the manager while clients keep both workers busy: the workers notice (their pipe and links end),
     * stop as on SIGTERM (busy connections are cut at stop_timeout_ms) and exit by themselves; nothing is left.
     */
    @Test
    public void workersExitByThemselvesWhenTheManagerIsKilled() throws Exception {
        runningWith(false);
        List<ProcessHandle> workers = new ArrayList<>();
        for (Worker worker : workers().values()) {
            workers.add(ProcessHandle.of(worker.pid()).orElseThrow());
        }
        try (BusyClients clients = new BusyClients(8)) {
            await("every client served", 10, clients::allServed);
            ProcessHandle manager = ProcessHandle.of(dist.pid()).orElseThrow();
            runningReuseport = null;
            assertTrue(manager.destroyForcibly());
            manager.onExit().get(10, TimeUnit.SECONDS);
            // stop_timeout_ms (10 s) for the busy connections, the launcher's 5 s margin, room for a slow machine
            for (ProcessHandle worker : workers) {
                await("worker pid " + worker.pid() + " gone after its manager", 30, () -> !worker.isAlive());
            }
            assertEquals(List.of(), processesOfTheHome());
            await("every client disconnected", 5, () -> clients.failedCount() == 8);
        }
        assertEquals("a server killed with kill -9 is not running", 3, dist.kimserver("status").exitCode());
    }

    /** Workers whose JVM cannot even start: start fails, names the worker and its log, and leaves nothing behind. */
    @Test
    public void workersThatCannotStartFailTheStartAndLeaveNoProcess() throws Exception {
        stopped();
        try {
            Files.writeString(dist.path("etc/kimserver.json"), originalConfig.replace("\"worker_cnt\": " + WORKERS
                    + ",", "\"worker_cnt\": " + WORKERS + ",\n    \"worker_java_opts\": [\"-Xmx1k\"],"));
            Result start = dist.kimserver("start");
            assertNotEquals(start.output(), 0, start.exitCode());
            assertTrue(start.output(), Pattern.compile("worker (\\d) \\(pid \\d+\\) exited .*log/kimserver_w_\\1\\.log")
                    .matcher(start.output()).find());
            assertTrue(start.output(), start.output().contains("kimserver: not started"));
            assertTrue("what the workers' JVM said: " + start.output(),
                    start.output().contains("Error occurred during initialization of VM"));
            assertEquals(List.of(), processesOfTheHome());
            assertEquals(3, dist.kimserver("status").exitCode());
        } finally {
            Files.writeString(dist.path("etc/kimserver.json"), originalConfig);
        }
    }

    /**
     * bin/kimserver stop while clients of both workers have written thousands of requests not answered yet: every
     * one gets its reply, then a clean close; the stop exits 0 and no process is left.
     */
    @Test
    public void aStopUnderLoadAnswersEveryRequestWrittenBeforeIt() throws Exception {
        runningWith(false);
        int users = 16;
        int requests = 2000;
        Map<Integer, GateCount> before = gateCounts();
        try (PipelinedSessions sessions = new PipelinedSessions(dist.gatePort(), users, requests)) {
            sessions.awaitWritten();
            Map<Integer, GateCount> loaded = gateCounts();
            for (int n = 1; n <= WORKERS; n++) {
                assertTrue("worker " + n + " holds some of the clients: " + before + " -> " + loaded,
                        loaded.get(n).accepted() > before.get(n).accepted());
            }
            runningReuseport = null;
            Result stop = dist.kimserver("stop"); // every request is written; most are still unanswered
            assertEquals(stop.output(), 0, stop.exitCode());
            for (String outcome : sessions.outcomes()) {
                assertEquals("every request written before the stop answered, then a clean close", "ok", outcome);
            }
        }
        assertEquals(List.of(), processesOfTheHome());
        for (int n = 1; n <= WORKERS; n++) {
            String log = Files.readString(dist.path("log/kimserver_w_" + n + ".log"));
            assertTrue(log, log.contains("gate stopping: every connection was served and closed"));
        }
    }

    /**
     * bin/kimserver stop --now while clients keep sending: a graceful stop would serve them until stop_timeout_ms
     * (10 s); the fast one kills the workers at once, the clients are cut off, and no process is left.
     */
    @Test
    public void aFastStopEndsAtOnceWhatAGracefulStopWouldServeForItsTimeout() throws Exception {
        runningWith(false);
        try (BusyClients clients = new BusyClients(8)) {
            await("every client served", 10, clients::allServed);
            runningReuseport = null;
            long began = System.nanoTime();
            Result stop = dist.kimserver("stop", "--now");
            long tookMs = (System.nanoTime() - began) / 1_000_000;
            assertEquals(stop.output(), 0, stop.exitCode());
            assertTrue(stop.output(), stop.output().contains("fast: the workers were killed"));
            assertTrue("the fast stop took " + tookMs + " ms", tookMs < 5000);
            await("every client cut off", 5, () -> clients.failedCount() == 8);
        }
        assertEquals(List.of(), processesOfTheHome());
        assertTrue(dist.log(), dist.log().contains("fast stop: killing 2 workers without draining their"
                + " connections"));
        assertFalse("the marker is gone", Files.exists(dist.path("data/m0/stop-now")));
    }

    /**
     * A worker that stops reporting (SIGSTOP: frozen, or too busy to say anything) gets no new connection from the
     * hand-off once the manager sees it silent; every new client is served by the other, until it reports again.
     */
    @Test
    public void aFrozenWorkerGetsNoNewClientUntilItReportsAgain() throws Exception {
        runningWith(false);
        long frozen = workers().get(1).pid();
        assertEquals(0, new ProcessBuilder("kill", "-STOP", Long.toString(frozen)).start().waitFor());
        try {
            await("the manager sees worker 1 silent", 30, () -> workers().get(1).state().equals("silent"));
            // The hand-off looks at the workers' silence every 500 ms, and says when it passes one over.
            await("the hand-off passes worker 1 over", 10, () -> dist.log().contains("worker W1 has sent no report"
                    + " for 5 s: no client is handed to it until it does"));
            for (int seq = 1; seq <= 10; seq++) {
                try (WireClient client = new WireClient(dist.gatePort())) {
                    hello(client, seq); // a client handed to the frozen worker would get no answer in 5 s
                }
            }
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(frozen)).start().waitFor();
        }
        await("worker 1 up again", 10, () -> workers().get(1).state().equals("up"));
        // The hand-off looks at the workers' silence every 500 ms, and says when it takes one back.
        await("the hand-off takes worker 1 back", 10, () -> dist.log().contains("worker W1 reports again: it takes"
                + " clients again"));
        Map<Integer, GateCount> before = gateCounts();
        for (int seq = 1; seq <= 10; seq++) {
            try (WireClient client = new WireClient(dist.gatePort())) {
                hello(client, seq);
            }
        }
        assertTrue("worker 1 takes clients again", gateCounts().get(1).accepted() > before.get(1).accepted());
    }

    /** ps tells the workers apart, and each keeps its log and framework state apart from the others'. */
    @Test
    public void eachWorkerIsNamedOnItsCommandLineAndHasItsOwnLogAndState() throws Exception {
        runningWith(false);
        String serverName = "kim-gate";
        assertTrue(originalConfig.contains("\"server_name\": \"" + serverName + "\""));
        for (Worker worker : workers().values()) {
            String commandLine = ProcessHandle.of(worker.pid()).orElseThrow().info().commandLine().orElse("");
            assertTrue(commandLine, commandLine.contains(" -Dkimserver.name=" + serverName + "_w_" + worker.index() + " "));
            Path log = dist.path("log/kimserver_w_" + worker.index() + ".log");
            List<String> lines = Files.readAllLines(log);
            assertFalse(log + " is empty", lines.isEmpty());
            for (String line : lines) {
                if (line.startsWith("[")) { // a stack trace's lines continue the one before
                    assertTrue(log + ": " + line, line.matches("\\[\\w+\\]\\[W" + worker.index() + "\\]\\[\\d+\\].*"));
                }
            }
            assertTrue(Files.isDirectory(dist.path("data/w" + worker.index() + "/cache")));
        }
        String managerLog = dist.log();
        assertFalse(managerLog, managerLog.contains("][W1]["));
        assertTrue(managerLog, managerLog.contains("][M0]["));
    }

    /**
     * Clients that each send a 1001 on a connection of their own every few ms, on a virtual thread each, until
     * stopped or until their first error (the server closed or reset the connection, or a wrong reply).
     */
    private static final class BusyClients implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<WireClient> connections = new ArrayList<>();
        private final List<AtomicInteger> served = new ArrayList<>();
        private final List<AtomicReference<String>> failures = new ArrayList<>();
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

        BusyClients(int count) throws IOException {
            for (int i = 0; i < count; i++) {
                WireClient client = new WireClient(dist.gatePort());
                AtomicInteger replies = new AtomicInteger();
                AtomicReference<String> failure = new AtomicReference<>();
                connections.add(client);
                served.add(replies);
                failures.add(failure);
                threads.submit(() -> {
                    try {
                        for (int seq = 1; running.get(); seq++) {
                            hello(client, seq);
                            replies.incrementAndGet();
                            Thread.sleep(5);
                        }
                    } catch (Exception | AssertionError e) {
                        failure.set(e.toString());
                    }
                });
            }
        }

        boolean allServed() {
            return served.stream().allMatch(replies -> replies.get() > 0);
        }

        /** How many replies each client has had so far. */
        int[] served() {
            return served.stream().mapToInt(AtomicInteger::get).toArray();
        }

        boolean failed(int client) {
            return failures.get(client).get() != null;
        }

        long failedCount() {
            return failures.stream().filter(failure -> failure.get() != null).count();
        }

        String failures() {
            return failures.toString();
        }

        /** Lets every client finish its request in progress. */
        void stop() throws InterruptedException {
            running.set(false);
            threads.shutdown();
            assertTrue("the clients did not stop", threads.awaitTermination(10, TimeUnit.SECONDS));
        }

        @Override
        public void close() throws IOException {
            running.set(false);
            threads.shutdownNow();
            for (WireClient client : connections) {
                client.close();
            }
        }
    }
}
