package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.itest.UnzippedDistribution.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.itest.UnzippedDistribution.Result;
import org.kimserver.testkit.WireClient;

/**
 * A worker process ({@code Main worker <n>}) started by hand on an unzipped distribution, with no manager: what a
 * manager's supervisor starts, with the same command line. It keeps its state, log and console apart from every
 * other process of the home, ignores Ctrl-C, and stops gracefully with exit code 0 on SIGTERM or when its standard
 * input, the manager's pipe, ends.
 */
public class WorkerProcessIT {
    /** stop_timeout_ms (10 s by default) plus the launcher's 5 s margin, plus room for a slow machine. */
    private static final long STOP_BOUND_SECONDS = 20;

    private UnzippedDistribution dist;
    private Path home;
    private final List<Process> workers = new ArrayList<>();

    @Before
    public void unzip() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-worker");
        home = dist.home();
    }

    @After
    public void stopWorkersAndDelete() throws Exception {
        for (Process worker : workers) {
            worker.destroyForcibly();
            worker.waitFor(10, TimeUnit.SECONDS);
        }
        if (dist != null) {
            dist.close();
        }
    }

    /**
     * Starts worker n with the command line a manager uses, its standard input a pipe from this test, its output
     * (standard error merged) into {@code out}. SIGINT's default action is restored first: a test run in the
     * background has it ignored, and the worker must be seen to ignore it by itself.
     */
    private Process startWorker(String n, Path out) throws IOException {
        List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dkimserver.home=" + home,
                "--enable-native-access=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 23) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(List.of("-cp", home.resolve("lib") + "/*", "org.kimserver.launcher.Main", "worker", n));
        Process worker = dist.processBuilder(command).redirectOutput(out.toFile()).start();
        workers.add(worker);
        return worker;
    }

    private Process startedWorker(String n) throws Exception {
        Path out = home.resolve("w" + n + ".out");
        Process worker = startWorker(n, out);
        await("worker " + n + " up", 60, () -> {
            assertTrue("worker " + n + " ended: " + Files.readString(out), worker.isAlive());
            return Files.readString(out).contains("kimserver W" + n + ": up (pid " + worker.pid() + ",");
        });
        return worker;
    }

    private String out(String n) throws IOException {
        return Files.readString(home.resolve("w" + n + ".out"));
    }

    private Result console(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("console"));
        all.addAll(List.of(args));
        return dist.kimserver(all.toArray(new String[0]));
    }

    private static void assertExits0Within(Process worker, long seconds, String output) throws Exception {
        assertTrue("still running after " + seconds + " s: " + output, worker.waitFor(seconds, TimeUnit.SECONDS));
        assertEquals(output, 0, worker.exitValue());
    }

    @Test
    public void twoWorkersKeepTheirStateLogAndConsoleApartAndStopWhenTheirInputEnds() throws Exception {
        // Both on one home with one configuration: the system picks each gate's port.
        dist.editConfig(json -> json.replace("\"gate_port\": " + dist.gatePort(), "\"gate_port\": 0"));
        Process w1 = startedWorker("1");
        Process w2 = startedWorker("2");

        assertTrue(Files.isDirectory(home.resolve("data/w1/cache")));
        assertTrue(Files.isDirectory(home.resolve("data/w2/cache")));
        assertTrue(Files.isDirectory(home.resolve("data/w1/tmp")));
        for (String managers : List.of("data/cache", "data/tmp", "data/m0", "data/kimserver.pid",
                "data/kimserver.lock", "data/kimserver.state", "log/kimserver.log", "data/run/console.sock")) {
            assertFalse(managers + " is the manager's", Files.exists(home.resolve(managers), LinkOption.NOFOLLOW_LINKS));
        }
        List<String> log1 = Files.readAllLines(home.resolve("log/kimserver_w_1.log"));
        assertTrue(log1.toString(), log1.stream().anyMatch(l -> l.startsWith("[INFO][W1][" + w1.pid() + "][")));
        assertTrue(log1.toString(), log1.stream().filter(l -> l.startsWith("["))
                .allMatch(l -> l.matches("\\[[A-Z]{4}\\]\\[W1\\]\\[" + w1.pid() + "\\].*")));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(home.resolve("log/kimserver_w_2.log"))));

        Result info = console("-w", "1", "kim:info");
        assertEquals(info.output(), 0, info.exitCode());
        assertTrue(info.output(), info.output().contains("W1, pid " + w1.pid()));
        Result log = console("-w", "2", "kim:log -n 1000");
        assertEquals(log.output(), 0, log.exitCode());
        assertTrue(log.output(), log.output().contains("[W2][" + w2.pid() + "]"));
        assertFalse(log.output(), log.output().contains("[W1]"));

        Result all = console("-w", "all", "kim:info");
        assertEquals(all.output(), 0, all.exitCode());
        String a = all.output();
        int header1 = a.indexOf("== W1 ==\n");
        int header2 = a.indexOf("== W2 ==\n");
        assertTrue(a, 0 <= header1 && header1 < a.indexOf("W1, pid " + w1.pid()) && a.indexOf("W1, pid") < header2
                && header2 < a.indexOf("W2, pid " + w2.pid()));

        Result failing = console("-w", "all", "kim:nonsense");
        assertEquals(failing.output(), 1, failing.exitCode());
        assertTrue(failing.output(), failing.output().contains("== W1 ==") && failing.output().contains("== W2 =="));

        Result noSuchWorker = console("-w", "3", "kim:info");
        assertEquals(noSuchWorker.output(), 1, noSuchWorker.exitCode());
        assertTrue(noSuchWorker.output(), noSuchWorker.output().contains("worker 3 has no console: there is no console socket at "
                + home.resolve("data/run/console-w3.sock")));
        assertTrue(noSuchWorker.output(), noSuchWorker.output().contains("it is not running, or its console did not"
                + " start: if it runs, " + home.resolve("log/kimserver_w_3.log") + " says why"));
        Result noManager = console("kim:info");
        assertEquals(noManager.output(), 1, noManager.exitCode());
        assertTrue(noManager.output(), noManager.output().contains("kimserver is not running"));
        for (String[] wrong : List.of(new String[] {"-w"}, new String[] {"-w", "0", "kim:info"},
                new String[] {"-w", "all"})) {
            Result usage = console(wrong);
            assertEquals(usage.output(), 2, usage.exitCode());
        }

        // The manager is gone: the pipe ends.
        w1.getOutputStream().close();
        assertExits0Within(w1, STOP_BOUND_SECONDS, out("1"));
        assertTrue(out("1"), out("1").contains("kimserver W1: end of standard input (the manager is gone): stopping"));
        assertFalse(Files.exists(home.resolve("data/run/console-w1.sock"), LinkOption.NOFOLLOW_LINKS));
        assertTrue("the other worker runs on", w2.isAlive());
        Result rest = console("-w", "all", "kim:info");
        assertEquals(rest.output(), 0, rest.exitCode());
        assertFalse(rest.output(), rest.output().contains("== W1 =="));
        assertTrue(rest.output(), rest.output().contains("== W2 =="));

        w2.getOutputStream().close();
        assertExits0Within(w2, STOP_BOUND_SECONDS, out("2"));
        Result none = console("-w", "all", "kim:info");
        assertEquals(none.output(), 1, none.exitCode());
        assertTrue(none.output(), none.output().contains("no worker has a console socket"));
    }

    @Test
    public void ctrlCLeavesAWorkerServingAndSigtermStopsItWithExitCode0() throws Exception {
        Process w1 = startedWorker("1");
        await("module-test's handlers in worker 1", 20,
                () -> console("-w", "1", "kim:cmds").output().contains("\n1001 "));

        Result interrupt = dist.run(List.of("kill", "-INT", Long.toString(w1.pid())));
        assertEquals(interrupt.output(), 0, interrupt.exitCode());
        Thread.sleep(2000);
        assertTrue(out("1"), w1.isAlive());
        try (WireClient client = new WireClient(dist.gatePort())) {
            assertEquals("the worker's gate answers", 1002,
                    client.send(WireClient.request(1001, 1, "1 - hello")).read().cmd());
        }
        assertEquals(0, console("-w", "1", "kim:info").exitCode());

        Result terminate = dist.run(List.of("kill", "-TERM", Long.toString(w1.pid())));
        assertEquals(terminate.output(), 0, terminate.exitCode());
        assertExits0Within(w1, STOP_BOUND_SECONDS, out("1"));
        assertFalse("a stop the manager asks for says nothing on the terminal: " + out("1"),
                out("1").contains("stopping"));
    }

    /** A worker's console from an install path too deep for a socket path: the manager's short folder and link. */
    @Test
    public void aWorkerOnADeepInstallPathHasAConsole() throws Exception {
        dist.close();
        Path parent = Files.createTempDirectory("kimserver-worker");
        dist = UnzippedDistribution.unzipInto(parent.resolve("a-rather-long-folder-name-for-an-install".repeat(3))
                .resolve("kimserver"));
        home = dist.home();
        Process w1 = startedWorker("1");

        Path link = home.resolve("data/run/console-w1.sock");
        assertTrue("a link to a socket in a short folder", Files.isSymbolicLink(link));
        Path socket = Files.readSymbolicLink(link);
        assertEquals("console-w1.sock", socket.getFileName().toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        Result info = console("-w", "1", "kim:info");
        assertEquals(info.output(), 0, info.exitCode());
        assertTrue(info.output(), info.output().contains("W1, pid " + w1.pid()));
        assertEquals(0, console("-w", "all", "kim:info").exitCode());

        w1.getOutputStream().close();
        assertExits0Within(w1, STOP_BOUND_SECONDS, out("1"));
        assertFalse("the short folder goes with the worker", Files.exists(socket.getParent()));
        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    public void aWorkerWhoseGateCannotListenExits5AndSaysWhyInItsLog() throws Exception {
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress("127.0.0.1", dist.gatePort()));
            Process w1 = startWorker("1", home.resolve("w1.out"));
            assertTrue(out("1"), w1.waitFor(60, TimeUnit.SECONDS));
            assertEquals(out("1"), 5, w1.exitValue());
            assertTrue(out("1"), out("1").contains("kimserver W1: the gate cannot listen on 127.0.0.1:"
                    + dist.gatePort()));
            assertTrue(out("1"), out("1").contains("Address already in use"));
            String log = Files.readString(home.resolve("log/kimserver_w_1.log"));
            assertTrue(log, log.contains("[ERRO][W1][" + w1.pid() + "]"));
            assertTrue(log, log.contains("not started (exit code 5): the gate cannot listen on 127.0.0.1:"
                    + dist.gatePort()));
        }
        for (String wrong : List.of("0", "-1", "x")) {
            Process worker = startWorker(wrong, home.resolve("wrong.out"));
            assertTrue(worker.waitFor(30, TimeUnit.SECONDS));
            assertEquals(1, worker.exitValue());
            assertTrue(Files.readString(home.resolve("wrong.out")).contains("usage: kimserver run [--daemon]"));
        }
        dist.editConfig(json -> json.replace("\"gate_port\": " + dist.gatePort(), "\"gate_port\": \"many\""));
        Process broken = startWorker("1", home.resolve("broken.out"));
        assertTrue(broken.waitFor(30, TimeUnit.SECONDS));
        String said = Files.readString(home.resolve("broken.out"));
        assertEquals(said, 2, broken.exitValue());
        assertTrue(said, said.contains("kimserver W1: configuration error: ") && said.contains("gate_port"));
    }
}
