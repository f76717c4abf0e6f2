package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The distribution zip as a user gets it: unzipped into a temporary folder and driven through bin/kimserver.
 */
public class DistributionIT {
    private Path home;
    private int gatePort;

    record Result(int exitCode, String output) {
    }

    @Before
    public void unzip() throws Exception {
        Path dir = Files.createTempDirectory("kimserver-dist");
        Result unzip = exec(dir, List.of("unzip", "-q", System.getProperty("kimserver.zip")));
        assertEquals(unzip.output(), 0, unzip.exitCode());
        try (var entries = Files.list(dir)) {
            home = entries.findFirst().orElseThrow();
        }
        gatePort = KimContainer.freePort();
        Path config = home.resolve("etc/kimserver.json");
        Files.writeString(config, Files.readString(config)
                .replace("\"gate_port\": 3355", "\"gate_port\": " + gatePort));
    }

    @After
    public void stopIfRunning() throws Exception {
        if (home != null) {
            kimserver("stop");
        }
    }

    private Result kimserver(String... args) throws Exception {
        return bin("kimserver", args);
    }

    private Result bin(String script, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin").resolve(script).toString()));
        command.addAll(List.of(args));
        return exec(home, command);
    }

    private static Result exec(Path dir, List<String> command, String... environment)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        // The scripts find a JDK 21+ themselves; hand them the one running this test.
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        for (int i = 0; i < environment.length; i += 2) {
            pb.environment().put(environment[i], environment[i + 1]);
        }
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish in 120 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private String log() throws IOException {
        return Files.readString(home.resolve("log/kimserver.log"));
    }

    @Test
    public void startStatusConsoleAndStop() throws Exception {
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        assertTrue(start.output(), start.output().contains("kimserver started (pid "));

        Result status = kimserver("status");
        assertEquals(status.output(), 0, status.exitCode());
        assertTrue(status.output(), status.output().contains("kimserver is running"));

        Result again = kimserver("start");
        assertEquals(again.output(), 1, again.exitCode());
        assertTrue(again.output(), again.output().contains("already running"));

        Result info = kimserver("console", "kim:info");
        assertEquals(info.output(), 0, info.exitCode());
        assertTrue(info.output(), info.output().contains("kim-gate (node type gate, 1 worker)"));
        assertTrue(info.output(), info.output().contains("problems    none"));

        Result unknown = kimserver("console", "kim:nonsense");
        assertEquals(unknown.output(), 1, unknown.exitCode());

        // A live edit of the log level is applied and logged in the original's line layout.
        Path config = home.resolve("etc/kimserver.json");
        String pid = Files.readString(home.resolve("data/kimserver.pid")).trim();
        Files.writeString(config, Files.readString(config).replace("\"log_level\": \"info\"", "\"log_level\": \"debug\""));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!log().contains("[DBUG][M0][" + pid + "]") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(log(), log().contains("[DBUG][M0][" + pid + "]"));
        assertTrue(log(), log().lines().anyMatch(l -> l.matches(
                "\\[INFO\\]\\[M0\\]\\[" + pid + "\\]\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\]"
                        + "\\[org\\.kimserver\\.config\\] .* - applying the configuration from .*")));

        Result stop = kimserver("stop");
        assertEquals(stop.output(), 0, stop.exitCode());
        assertTrue(stop.output(), stop.output().contains("kimserver stopped"));
        assertTrue(Files.notExists(home.resolve("data/kimserver.pid")));

        Result stopped = kimserver("status");
        assertEquals(stopped.output(), 3, stopped.exitCode());
    }

    @Test
    public void theShippedModuleAnswersKimBenchFromDeploy() throws Exception {
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        awaitCommand("1007");
        String port = Integer.toString(gatePort);

        Result hello = bin("kim-bench", "--no-progress", "--pause", "0", "127.0.0.1", port, "1001", "20", "250");
        assertEquals(hello.output(), 0, hello.exitCode());
        assertTrue(hello.output(), hello.output().contains("RESULT requests=5000 ok=5000 errors=0 bad=0 missing=0"));

        Result session = bin("kim-bench", "--no-progress", "127.0.0.1", port, "1007", "10", "10");
        assertEquals(session.output(), 0, session.exitCode());
        assertTrue(session.output(), session.output().contains("RESULT requests=100 ok=100 "));

        // An unknown command: one code-4 reply per user, then the server closes; kim-bench says so and exits 1.
        Result unknown = bin("kim-bench", "--no-progress", "127.0.0.1", port, "1999", "3", "5");
        assertEquals(unknown.output(), 1, unknown.exitCode());
        assertTrue(unknown.output(), unknown.output().contains("errors:      code 4: 3"));
        assertTrue(unknown.output(), unknown.output().contains("(3 connections closed by the server)"));

        Result stats = kimserver("console", "kim:stats");
        assertTrue(stats.output(), stats.output().matches("(?s).*commands +5103 .*"));

        Result usage = bin("kim-bench", "127.0.0.1", port, "1001");
        assertEquals(usage.output(), 2, usage.exitCode());
        assertTrue(usage.output(), usage.output().contains("usage: kim-bench"));
    }

    @Test
    public void withoutTheNativeLibraryTheGateRunsOnNio() throws Exception {
        Result start = exec(home, List.of(home.resolve("bin/kimserver").toString(), "start"),
                "KIM_JAVA_OPTS", "-Dio.netty.transport.noNative=true");
        assertEquals(start.output(), 0, start.exitCode());
        awaitCommand("1001");
        Result stats = kimserver("console", "kim:stats");
        assertTrue(stats.output(), stats.output().contains("(nio, Unsafe buffers)"));
        Result hello = bin("kim-bench", "--no-progress", "127.0.0.1", Integer.toString(gatePort), "1001", "5", "100");
        assertEquals(hello.output(), 0, hello.exitCode());
    }

    /**
     * {@code bin/kimserver stop} while clients have written thousands of requests the server has not answered yet:
     * the listener closes first, every request written before the stop gets its reply (from the business module,
     * which stops only after the gate has drained), and every connection then ends with a FIN, not a reset.
     */
    @Test
    public void aStopUnderLoadAnswersEveryRequestWrittenBeforeIt() throws Exception {
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        awaitCommand("1007");
        int users = 20;
        int requests = 5000;
        List<WireClient> clients = new ArrayList<>();
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        List<CompletableFuture<String>> readers = new ArrayList<>();
        ExecutorService threads = Executors.newCachedThreadPool(); // a reader and a writer for each client
        try {
            for (int user = 1; user <= users; user++) {
                WireClient client = new WireClient(gatePort);
                clients.add(client);
                ByteArrayOutputStream frames = new ByteArrayOutputStream();
                for (int seq = 1; seq <= requests; seq++) {
                    frames.writeBytes(WireClient.request(1007, seq,
                            "{\"user_id\":" + user + ",\"user_name\":\"hello - " + user + "\"}"));
                }
                writers.add(CompletableFuture.runAsync(() -> {
                    try {
                        client.send(frames.toByteArray());
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }, threads));
                readers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        for (int seq = 1; seq <= requests; seq++) {
                            WireClient.Frame reply = client.read();
                            if (reply.seq() != seq || reply.code() != 0) {
                                return "reply " + seq + ": seq " + reply.seq() + " code " + reply.code();
                            }
                        }
                        return client.input().read() == -1 ? "ok" : "more after the last reply";
                    } catch (IOException e) {
                        return e.toString();
                    }
                }, threads));
            }
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            Result stop = kimserver("stop"); // every request is written; thousands are still unanswered
            assertEquals(stop.output(), 0, stop.exitCode());
            for (CompletableFuture<String> reader : readers) {
                assertEquals("every request written before the stop answered, then a clean close", "ok",
                        reader.get(60, TimeUnit.SECONDS));
            }
        } finally {
            for (WireClient client : clients) {
                client.close();
            }
            threads.shutdownNow();
        }
        assertTrue(log(), log().contains("gate stopping: every connection was served and closed"));
    }

    /**
     * With an open-file limit far below max_clients, the server raises its soft limit to the hard one, says once
     * at start what it can hold, and closes a connection beyond that at once (no hang, no "Too many open files"
     * stack trace in the log).
     */
    @Test
    public void aLowOpenFileLimitIsReportedAndConnectionsBeyondItAreRefused() throws Exception {
        Result start = exec(home,
                List.of("bash", "-c", "ulimit -Sn 300 && ulimit -Hn 512 && exec bin/kimserver start"));
        assertEquals(start.output(), 0, start.exitCode());
        awaitCommand("1001");
        String stats = kimserver("console", "kim:stats").output();
        Matcher limit = Pattern.compile("refused \\(max_clients (\\d+)\\)").matcher(stats);
        assertTrue(stats, limit.find());
        int room = Integer.parseInt(limit.group(1));
        assertTrue(stats, room > 0 && room < 512 - 256);
        assertTrue(log(), log().contains("max_clients is 20000 but the open-file limit (512 files"));

        List<WireClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < room; i++) {
                WireClient client = new WireClient(gatePort);
                clients.add(client);
                assertEquals(0, client.send(WireClient.request(1001, i, "1 - hello")).read().code());
            }
            for (int i = 0; i < 5; i++) {
                try (WireClient beyond = new WireClient(gatePort)) {
                    assertTrue("closed at once", beyond.closedByServer(2000));
                }
            }
        } finally {
            for (WireClient client : clients) {
                client.close();
            }
        }
        assertTrue(kimserver("console", "kim:stats").output(), kimserver("console", "kim:stats").output()
                .contains("5 refused (max_clients " + room + ")"));
        assertFalse(log(), log().contains("Too many open files"));
    }

    private void awaitCommand(String cmd) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!kimserver("console", "kim:cmds").output().contains("\n" + cmd + " ")
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    @Test
    public void aBrokenConfigStopsStartUpNamingTheKey() throws Exception {
        Path config = home.resolve("etc/kimserver.json");
        Files.writeString(config, Files.readString(config).replace("\"max_clients\": 20000", "\"max_clients\": \"lots\""));

        Result start = kimserver("start");
        assertEquals(start.output(), 2, start.exitCode());
        assertTrue(start.output(), start.output().contains("key 'max_clients': expected an integer, got \"lots\""));
        assertTrue(start.output(), start.output().contains("kimserver did not start"));

        Result status = kimserver("status");
        assertEquals(status.output(), 3, status.exitCode());
    }

    @Test
    public void invalidJsonIsReportedWithItsPosition() throws Exception {
        Files.writeString(home.resolve("etc/kimserver.json"), "{\n  \"node_type\": \"gate\"\n  \"max_clients\": 1\n}\n");
        Result run = kimserver("run");
        assertEquals(run.output(), 2, run.exitCode());
        assertTrue(run.output(), run.output().contains("not valid JSON at line 3"));
    }
}
