package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.itest.UnzippedDistribution.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.itest.UnzippedDistribution.Result;
import org.kimserver.testkit.WireClient;

/**
 * The distribution zip as a user gets it: unzipped into a temporary folder and driven through bin/kimserver.
 */
public class DistributionIT {
    private UnzippedDistribution dist;
    private Path home;
    private int gatePort;

    @Before
    public void unzip() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-dist");
        home = dist.home();
        gatePort = dist.gatePort();
    }

    @After
    public void stopIfRunning() throws Exception {
        if (dist != null) {
            dist.close();
        }
    }

    private Result kimserver(String... args) throws Exception {
        return dist.kimserver(args);
    }

    private Result bin(String script, String... args) throws Exception {
        return dist.bin(script, args);
    }

    private String log() throws IOException {
        return dist.log();
    }

    private void awaitCommand(String cmd) throws Exception {
        dist.awaitCommand(cmd);
    }

    private long pid() throws IOException {
        return dist.pid();
    }

    @Test
    public void startStatusConsoleAndStop() throws Exception {
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        assertTrue(start.output(), start.output().contains("kimserver started (pid "));

        Result status = kimserver("status");
        assertEquals(status.output(), 0, status.exitCode());
        assertTrue(status.output(), status.output().contains("kimserver is up (pid "));

        assertTrue("the manager's framework cache", Files.isDirectory(home.resolve("data/m0/cache")));
        assertFalse(Files.exists(home.resolve("data/cache")));

        Result again = kimserver("start");
        assertEquals(again.output(), 4, again.exitCode());
        assertTrue(again.output(), again.output().contains("already running"));

        Result info = kimserver("console", "kim:info");
        assertEquals(info.output(), 0, info.exitCode());
        assertTrue(info.output(), info.output().contains("kim-gate (node type gate, 1 worker)"));
        assertTrue(info.output(), info.output().contains("problems    none"));

        Result unknown = kimserver("console", "kim:nonsense");
        assertEquals(unknown.output(), 1, unknown.exitCode());

        // A live edit of the log level is applied and logged in the original's line layout.
        long pid = pid();
        dist.editConfig(json -> json.replace("\"log_level\": \"info\"", "\"log_level\": \"debug\""));
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
        Result stats = kimserver("console", "-w", "1", "kim:stats");
        assertTrue(stats.output(), stats.output().matches("(?s).*commands +5100 .*"));

        // An unknown command: one code-4 reply per user, then the server closes; kim-bench says so and exits 1. (In
        // a gate's first handler_grace_ms the request first waits for a handler, as a worker's modules come later.)
        Result unknown = bin("kim-bench", "--no-progress", "127.0.0.1", port, "1999", "3", "5");
        assertEquals(unknown.output(), 1, unknown.exitCode());
        assertTrue(unknown.output(), unknown.output().contains("errors:      code 4: 3"));
        assertTrue(unknown.output(), unknown.output().contains("(3 connections closed by the server)"));
        stats = kimserver("console", "-w", "1", "kim:stats");
        assertTrue(stats.output(), stats.output().contains("error replies code 4: 3"));

        Result usage = bin("kim-bench", "127.0.0.1", port, "1001");
        assertEquals(usage.output(), 2, usage.exitCode());
        assertTrue(usage.output(), usage.output().contains("usage: kim-bench"));
    }

    /**
     * Without Netty's native library the manager cannot hand sockets over (that takes SCM_RIGHTS): the start fails
     * and says to use is_reuseport; with it, every worker's gate listens on NIO.
     */
    @Test
    public void withoutTheNativeLibraryTheHandOffSaysWhyAndReusePortRunsOnNio() throws Exception {
        ProcessBuilder withoutNative = dist.processBuilder(List.of(home.resolve("bin/kimserver").toString(), "start"));
        withoutNative.environment().put("KIM_JAVA_OPTS", "-Dio.netty.transport.noNative=true");
        Result handoff = dist.run(withoutNative);
        assertEquals(handoff.output(), 5, handoff.exitCode());
        assertTrue(handoff.output(), handoff.output().contains("needs Netty's native epoll"));
        assertTrue(handoff.output(), handoff.output().contains("with is_reuseport true every worker listens"));
        assertEquals(List.of(), servers());

        editConfig("\"is_reuseport\": false", "\"is_reuseport\": true");
        Result start = dist.run(withoutNative);
        assertEquals(start.output(), 0, start.exitCode());
        awaitCommand("1001");
        Result stats = kimserver("console", "-w", "1", "kim:stats");
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
        try (PipelinedSessions sessions = new PipelinedSessions(gatePort, users, requests)) {
            sessions.awaitWritten();
            Result stop = kimserver("stop"); // every request is written; thousands are still unanswered
            assertEquals(stop.output(), 0, stop.exitCode());
            for (String outcome : sessions.outcomes()) {
                assertEquals("every request written before the stop answered, then a clean close", "ok", outcome);
            }
        }
        assertTrue(dist.workerLog(1), dist.workerLog(1).contains("gate stopping: every connection was served and closed"));
    }

    /**
     * With an open-file limit far below max_clients, the server raises its soft limit to the hard one, says once
     * at start what it can hold, and closes a connection beyond that at once (no hang, no "Too many open files"
     * stack trace in the log).
     */
    @Test
    public void aLowOpenFileLimitIsReportedAndConnectionsBeyondItAreRefused() throws Exception {
        Result start = dist.run(
                List.of("bash", "-c", "ulimit -Sn 300 && ulimit -Hn 512 && exec bin/kimserver start"));
        assertEquals(start.output(), 0, start.exitCode());
        awaitCommand("1001");
        String stats = kimserver("console", "-w", "1", "kim:stats").output();
        Matcher limit = Pattern.compile("refused \\(max_clients (\\d+)\\)").matcher(stats);
        assertTrue(stats, limit.find());
        int room = Integer.parseInt(limit.group(1));
        assertTrue(stats, room > 0 && room < 512 - 256);
        assertTrue(dist.workerLog(1), dist.workerLog(1).contains("max_clients is 20000 but the open-file limit (512 files"));

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
        String after = kimserver("console", "-w", "1", "kim:stats").output();
        assertTrue(after, after.contains("5 refused (max_clients " + room + ")"));
        assertFalse(dist.workerLog(1), dist.workerLog(1).contains("Too many open files"));
    }

    @Test
    public void aBrokenConfigStopsStartUpNamingTheKey() throws Exception {
        dist.editConfig(json -> json.replace("\"max_clients\": 20000", "\"max_clients\": \"lots\""));

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

    // --- start, stop and status never lie (issue 8) ---

    private void editConfig(String from, String to) throws IOException {
        dist.editConfig(text -> {
            assertTrue("the shipped config holds " + from, text.contains(from));
            return text.replace(from, to);
        });
    }

    /** A short stop_timeout_ms, so that a stuck stop is given up on soon. */
    private void stopTimeout(int millis) throws IOException {
        editConfig("\"max_clients\": 20000,", "\"max_clients\": 20000, \"stop_timeout_ms\": " + millis + ",");
    }

    private void deployActivator(String name, Class<?> activator) throws IOException {
        TestBundles.write(home.resolve("deploy/" + name + ".jar"), Map.of("Bundle-SymbolicName", "kim.itest." + name,
                "Bundle-Version", "1.0.0", "Bundle-Activator", activator.getName(),
                "Import-Package", "org.osgi.framework"),
                Map.of(activator.getName().replace('.', '/') + ".class", TestBundles.classBytes(activator)));
    }

    /** The managers among {@link #servers()}: the JVMs that claim this home. */
    private List<ProcessHandle> managers() {
        return servers().stream().filter(p -> p.info().arguments()
                .map(a -> List.of(a).contains("org.kimserver.launcher.Main") && List.of(a).contains("run"))
                .orElse(false)).toList();
    }

    /** The JVMs that run this home's server: its manager and workers. */
    private List<ProcessHandle> servers() {
        String homeOption = "-Dkimserver.home=" + home;
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(homeOption)).orElse(false))
                .toList();
    }

    private static long secondsSince(long nanos) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - nanos);
    }

    @Test
    public void withoutACommandOrWithAWrongOneTheScriptPrintsUsageAndExits2() throws Exception {
        Result none = kimserver();
        assertEquals(none.output(), 2, none.exitCode());
        assertTrue(none.output(), none.output().contains("usage: bin/kimserver"));
        Result wrong = kimserver("strat");
        assertEquals(wrong.output(), 2, wrong.exitCode());
        assertTrue(wrong.output(), wrong.output().contains("unknown command 'strat'"));
        assertTrue(wrong.output(), wrong.output().contains("usage: bin/kimserver"));
        Result badTimeout = dist.run(List.of("env", "KIM_START_TIMEOUT=abc", home.resolve("bin/kimserver").toString(),
                "start"));
        assertEquals(badTimeout.output(), 2, badTimeout.exitCode());
        assertTrue(badTimeout.output(), badTimeout.output().contains("KIM_START_TIMEOUT must be a whole number"));
        assertEquals("nothing was started", List.of(), servers());
    }

    @Test
    public void startAndRunFailWhenTheGatePortIsTaken() throws Exception {
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress("127.0.0.1", gatePort));
            Result start = kimserver("start");
            assertEquals(start.output(), 5, start.exitCode());
            assertTrue(start.output(), start.output().contains("127.0.0.1:" + gatePort));
            assertTrue(start.output(), start.output().contains("Address already in use"));
            assertEquals(3, kimserver("status").exitCode());
            assertEquals(List.of(), servers());
            assertTrue(log(), log().contains("not started (exit code 5): the gate cannot listen on 127.0.0.1:"
                    + gatePort));

            Result run = kimserver("run");
            assertEquals(run.output(), 5, run.exitCode());
            assertTrue(run.output(), run.output().contains("127.0.0.1:" + gatePort));
            assertTrue(run.output(), run.output().contains("Address already in use"));
        }
    }

    @Test
    public void withAnEmptyGateHostNoGateIsWaitedFor() throws Exception {
        editConfig("\"gate_host\": \"127.0.0.1\"", "\"gate_host\": \"\"");
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        Result status = kimserver("status");
        assertEquals(status.output(), 0, status.exitCode());
        assertTrue(status.output(), status.output().contains("kimserver is up (pid "));
    }

    @Test
    public void twoStartsInQuickSuccessionRunOneServer() throws Exception {
        List<String> start = List.of(home.resolve("bin/kimserver").toString(), "start");
        Process first = dist.processBuilder(start).start();
        first.getOutputStream().close();
        Thread.sleep(1000);
        Result second = kimserver("start");
        Result firstResult = UnzippedDistribution.finish(first, start);

        List<Result> results = List.of(firstResult, second);
        assertEquals(results.toString(), 1, results.stream().filter(r -> r.exitCode() == 0).count());
        Result refused = results.stream().filter(r -> r.exitCode() != 0).findFirst().orElseThrow();
        assertEquals(refused.output(), 4, refused.exitCode());
        assertTrue(refused.output(), refused.output().contains("already running (pid " + pid()));
        assertEquals(List.of(pid()), managers().stream().map(ProcessHandle::pid).toList());

        // Past the script's check (as when both starts check before either JVM has written its pid file), the
        // JVM's own lock refuses.
        Path pidFile = home.resolve("data/kimserver.pid");
        String running = Files.readString(pidFile);
        Files.delete(pidFile);
        Result third = kimserver("run");
        Files.writeString(pidFile, running);
        assertEquals(third.output(), 4, third.exitCode());
        assertTrue(third.output(), third.output().contains("kimserver is already running"));
        assertEquals(List.of(pid()), managers().stream().map(ProcessHandle::pid).toList());

        Result stop = kimserver("stop");
        assertEquals(stop.output(), 0, stop.exitCode());
        assertEquals(List.of(), servers());
    }

    @Test
    public void aModuleThatTakesLongToStartDoesNotHoldUpStartStatusOrStop() throws Exception {
        stopTimeout(2000);
        deployActivator("sleeping", org.kimserver.itest.unruly.SleepingActivator.class);

        long started = System.nanoTime();
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        assertTrue("start took " + secondsSince(started) + " s", secondsSince(started) < 40);

        Result status = kimserver("status");
        assertEquals(status.output(), 0, status.exitCode());
        assertTrue(status.output(), status.output().contains("kimserver is up (pid " + pid() + ")"));
        try (WireClient client = new WireClient(gatePort)) {
            assertEquals("the gate answers", 1002, client.send(WireClient.request(1001, 1, "1 - hello")).read().cmd());
        }
        Result info = kimserver("console", "kim:info");
        assertEquals(info.output(), 0, info.exitCode());
        await("a warning naming the slow module", 30, () -> Files.readString(home.resolve("log/console.out"))
                .contains("kim.itest.sleeping"));

        long stopping = System.nanoTime();
        Result stop = kimserver("stop");
        assertEquals(stop.output(), 0, stop.exitCode());
        assertTrue("stop took " + secondsSince(stopping) + " s", secondsSince(stopping) < 25);
        assertEquals(3, kimserver("status").exitCode());
        assertEquals(List.of(), servers());
    }

    @Test
    public void aStopThatHangsIsBoundedAndSaysWhatWasStuck() throws Exception {
        stopTimeout(2000);
        deployActivator("spinning", org.kimserver.itest.unruly.SpinningActivator.class);
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        await("the spinning module active", 30, () -> kimserver("console", "-w", "1", "lb", "-s").output().lines()
                .anyMatch(l -> l.contains("Active") && l.contains("kim.itest.spinning")));

        long stopping = System.nanoTime();
        Result stop = kimserver("stop");
        assertEquals(stop.output(), 0, stop.exitCode());
        assertTrue("stop took " + secondsSince(stopping) + " s", secondsSince(stopping) < 25);
        assertTrue(stop.output(), stop.output().contains("kim.itest.spinning"));
        assertTrue(stop.output(), stop.output().contains("SpinningActivator.stop"));
        assertEquals(3, kimserver("status").exitCode());
        assertTrue(Files.notExists(home.resolve("data/kimserver.pid")));
        assertEquals(List.of(), servers());
    }

    /**
     * A module that calls System.exit ends its worker's JVM, not the server: the worker's log says who called it, the
     * manager logs the exit and starts the worker again, and once the module is gone the worker stays up.
     */
    @Test
    public void aSystemExitEndsOnlyItsWorkerIsLoggedWithWhoCalledItAndTheWorkerComesBack() throws Exception {
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        long firstWorker = workerPid(1);
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"kim.itest.exiting\""
                + " immediate=\"true\" activate=\"activate\">\n"
                + "  <implementation class=\"" + org.kimserver.itest.unruly.ExitingComponent.class.getName()
                + "\"/>\n</scr:component>\n";
        Path jar = home.resolve("deploy/exiting.jar");
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.exiting",
                "Bundle-Version", "1.0.0", "Service-Component", "OSGI-INF/exiting.xml"),
                Map.of("OSGI-INF/exiting.xml", TestBundles.utf8(xml),
                        org.kimserver.itest.unruly.ExitingComponent.class.getName().replace('.', '/') + ".class",
                        TestBundles.classBytes(org.kimserver.itest.unruly.ExitingComponent.class)));
        await("the worker's exit logged by the manager", 40, () -> log().contains(
                "worker 1 (pid " + firstWorker + ") exited with exit code 7"));
        String workerLog = dist.workerLog(1);
        assertTrue(workerLog, workerLog.contains(
                "the JVM is exiting: System.exit called by thread \"kim-itest-exiter\""));
        assertTrue(workerLog, workerLog.contains("ExitingComponent"));
        assertEquals("the manager stays up", 0, kimserver("status").exitCode());

        Files.delete(jar);
        await("a worker up again without the module", 60, () -> {
            long pid = workerPid(1);
            Thread.sleep(3000); // an ExitingComponent ends its JVM a second after it activates
            return pid > 0 && pid == workerPid(1) && pid != firstWorker;
        });
        try (WireClient client = new WireClient(gatePort)) {
            assertEquals(0, client.send(WireClient.request(1001, 1, "1 - hello")).read().code());
        }
    }

    /** Worker n's pid as kim:workers shows it while the worker is up; -1 when it is not up. */
    private long workerPid(int n) throws Exception {
        for (String line : kimserver("console", "kim:workers").output().lines().toList()) {
            String[] columns = line.trim().split("\\s+");
            if (columns.length > 2 && columns[0].equals(Integer.toString(n)) && columns[2].equals("up")) {
                return Long.parseLong(columns[1]);
            }
        }
        return -1;
    }

    @Test
    public void aStopBySigtermIsLogged() throws Exception {
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        Result stop = kimserver("stop");
        assertEquals(stop.output(), 0, stop.exitCode());
        assertTrue(log(), log().contains("the JVM is exiting: signal SIGTERM"));
    }

    @Test
    public void ctrlCInRunStopsTheServerWithExitCode0() throws Exception {
        Path out = home.resolve("run.out");
        // env restores SIGINT's default action: a test run in the background (mvn ... &) has it ignored, and a JVM
        // started so keeps it ignored, as a background job should.
        Process run = dist.processBuilder(List.of("env", "--default-signal=INT",
                home.resolve("bin/kimserver").toString(), "run")).redirectOutput(out.toFile())
                .start(); // its standard input stays an open pipe, as a terminal would
        try {
            await("up", 60, () -> Files.exists(home.resolve("data/kimserver.pid")) && pid() == run.pid()
                    && Files.readString(out).contains(" up in "));
            Result interrupt = dist.run(List.of("kill", "-INT", Long.toString(run.pid())));
            assertEquals(interrupt.output(), 0, interrupt.exitCode());
            assertTrue(Files.readString(out), run.waitFor(30, TimeUnit.SECONDS));
            assertEquals(Files.readString(out), 0, run.exitValue());
            assertTrue(Files.notExists(home.resolve("data/kimserver.pid")));
        } finally {
            run.destroyForcibly();
        }
    }

    /** {@code run} on a terminal (a pseudo-terminal from script(1)); its output goes to {@code out}. */
    private Process runOnATerminal(Path out) throws IOException {
        // env restores SIGINT's default action, which a test run in the background has ignored (see above). The
        // terminal gets a size: one of 0 columns has no room for the prompt. script(1) runs the command with $SHELL
        // (or /bin/sh, dash here, when unset): exec makes kimserver the shell's replacement, so that Ctrl-C reaches
        // it alone and a non-interactive shell waiting for it cannot die of SIGINT (exit 130) in its place.
        ProcessBuilder pb = dist.processBuilder(List.of("env", "--default-signal=INT", "script", "-qfec",
                "stty cols 120 rows 40; exec " + home.resolve("bin/kimserver") + " run", "/dev/null"))
                .redirectOutput(out.toFile());
        pb.environment().put("TERM", "xterm");
        return pb.start();
    }

    private static void type(Process terminal, int key) throws IOException {
        terminal.getOutputStream().write(key);
        terminal.getOutputStream().flush();
    }

    @Test
    public void ctrlCAtTheConsolePromptOfRunStopsTheServerWithExitCode0() throws Exception {
        Path out = home.resolve("run.out");
        Process run = runOnATerminal(out);
        try {
            await("the console's prompt", 60, () -> Files.readString(out).contains("kim> "));
            type(run, 3); // Ctrl-C
            assertTrue(Files.readString(out), run.waitFor(30, TimeUnit.SECONDS));
            assertEquals(Files.readString(out), 0, run.exitValue());
            assertTrue(Files.readString(out), Files.readString(out).contains("Ctrl-C: stopping"));
            assertTrue(Files.notExists(home.resolve("data/kimserver.pid")));
        } finally {
            run.destroyForcibly();
        }
    }

    @Test
    public void ctrlDLeavesTheConsoleOfRunAndCtrlCThenStopsTheServer() throws Exception {
        Path out = home.resolve("run.out");
        Process run = runOnATerminal(out);
        try {
            await("the console's prompt", 60, () -> Files.readString(out).contains("kim> "));
            type(run, 4); // Ctrl-D
            await("the console closed", 20, () -> Files.readString(out).contains(
                    "the console is closed; the server keeps running (Ctrl-C or bin/kimserver stop stops it)"));
            Result status = kimserver("status");
            assertEquals(status.output(), 0, status.exitCode());
            assertTrue(run.isAlive());
            type(run, 3); // Ctrl-C, now a signal from the terminal
            assertTrue(Files.readString(out), run.waitFor(30, TimeUnit.SECONDS));
            assertEquals(Files.readString(out), 0, run.exitValue());
            assertTrue(Files.notExists(home.resolve("data/kimserver.pid")));
        } finally {
            run.destroyForcibly();
        }
    }

    @Test
    public void etcLogAndDataAreForTheOwnerOnly() throws Exception {
        for (String folder : List.of("etc", "log", "data")) {
            assertEquals(folder, "rwx------", permissions(home.resolve(folder)));
        }
        for (String file : List.of("etc/kimserver.json", "log/README", "data/README")) {
            assertEquals(file, "rw-------", permissions(home.resolve(file)));
        }
        Files.setPosixFilePermissions(home.resolve("etc"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(home.resolve("etc/kimserver.json"), PosixFilePermissions.fromString("rw-r--r--"));

        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        assertTrue(start.output(), start.output().contains(home.resolve("etc") + " was rwxr-xr-x, set to rwx------"));
        assertTrue(start.output(), start.output().contains("kimserver.json was rw-r--r--, set to rw-------"));
        assertEquals("rwx------", permissions(home.resolve("etc")));
        assertEquals("rw-------", permissions(home.resolve("etc/kimserver.json")));
        assertEquals("rw-------", permissions(home.resolve("log/kimserver.log")));
        assertEquals("rw-------", permissions(home.resolve("log/console.out")));
    }

    private static String permissions(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
