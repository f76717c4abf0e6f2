package org.kimserver.itest;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.kimserver.testkit.KimContainer;

/**
 * The distribution zip as a user gets it, unzipped into a folder of its own with its gate and node on free ports,
 * and its bin/ scripts run there with this JVM as JAVA_HOME, each bounded in time. Closing it stops its server and
 * deletes its temporary folder.
 */
final class UnzippedDistribution implements AutoCloseable {
    /** How long one script may run before the test fails. */
    private static final long SCRIPT_SECONDS = 120;

    /**
     * What a script did: its exit code, its output (standard error merged in, in order, unless it was asked for
     * apart) and its standard error when asked for apart ("" otherwise).
     */
    record Result(int exitCode, String output, String errors) {
    }

    /** A condition a test waits for; it may throw, which fails the test. */
    interface Check {
        boolean ok() throws Exception;
    }

    private final Path home;
    private final int gatePort;
    /** The folder deleted on close: the one holding the home, or its test's folder of its own in java.io.tmpdir. */
    private final Path folder;

    private UnzippedDistribution(Path home, int gatePort, Path folder) {
        this.home = home;
        this.gatePort = gatePort;
        this.folder = folder;
    }

    /** Unzips the distribution into a new temporary folder named from {@code prefix}. */
    static UnzippedDistribution unzip(String prefix) throws Exception {
        return unzipInto(Files.createTempDirectory(prefix));
    }

    /**
     * Unzips the distribution into {@code parent} (made if missing, else empty) and gives it free ports. Closing it
     * deletes {@code parent}, or, if {@code parent} is deeper in java.io.tmpdir, the folder there that holds it.
     */
    static UnzippedDistribution unzipInto(Path parent) throws Exception {
        Files.createDirectories(parent);
        Result unzip = run(processBuilder(parent, List.of("unzip", "-q", System.getProperty("kimserver.zip"))), null);
        assertEquals(unzip.output(), 0, unzip.exitCode());
        Path home;
        try (var entries = Files.list(parent)) {
            home = entries.findFirst().orElseThrow();
        }
        UnzippedDistribution dist = new UnzippedDistribution(home, KimContainer.freePort(), temporaryFolder(parent));
        int nodePort = KimContainer.freePort();
        dist.editConfig(json -> json.replace("\"gate_port\": 3355", "\"gate_port\": " + dist.gatePort)
                .replace("\"node_port\": 3344", "\"node_port\": " + nodePort));
        return dist;
    }

    Path home() {
        return home;
    }

    /** A path in the home, e.g. {@code "log/kimserver.log"}. */
    Path path(String relative) {
        return home.resolve(relative);
    }

    int gatePort() {
        return gatePort;
    }

    /** The server's pid, from data/kimserver.pid. */
    long pid() throws IOException {
        return Long.parseLong(Files.readString(path("data/kimserver.pid")).trim());
    }

    /** log/kimserver.log as it is now. */
    String log() throws IOException {
        return Files.readString(path("log/kimserver.log"));
    }

    /** Worker n's log, as far as it is written; "" before the worker has written any. */
    String workerLog(int n) throws IOException {
        Path log = path("log/kimserver_w_" + n + ".log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** Rewrites etc/kimserver.json (a running server applies it live). */
    void editConfig(UnaryOperator<String> edit) throws IOException {
        Path config = path("etc/kimserver.json");
        Files.writeString(config, edit.apply(Files.readString(config)));
    }

    Result kimserver(String... args) throws Exception {
        return bin("kimserver", args);
    }

    /** bin/kimserver with {@code input} on its standard input. */
    Result kimserverWithInput(String input, String... args) throws Exception {
        return run(processBuilder(script("kimserver", args)), input);
    }

    /** A script of bin/, its standard error merged into its output. */
    Result bin(String script, String... args) throws Exception {
        return run(processBuilder(script(script, args)));
    }

    /** A script of bin/, its standard error apart from its output. */
    Result binWithErrorsApart(String script, String... args) throws Exception {
        return run(processBuilder(script(script, args)).redirectErrorStream(false));
    }

    /** Any command, run in the home, its standard error merged into its output. */
    Result run(List<String> command) throws Exception {
        return run(processBuilder(command));
    }

    /** Runs a command set up by {@link #processBuilder}, with nothing on its standard input. */
    Result run(ProcessBuilder command) throws Exception {
        return run(command, null);
    }

    /** A command to start in the home, with this JVM as JAVA_HOME and standard error merged into the output. */
    ProcessBuilder processBuilder(List<String> command) {
        return processBuilder(home, command);
    }

    /** Waits (bounded) for a started process to end and collects what it wrote. */
    static Result finish(Process p, List<String> command) throws InterruptedException {
        CompletableFuture<String> output = drain(p.getInputStream());
        CompletableFuture<String> errors = drain(p.getErrorStream()); // at its end at once when merged
        if (!p.waitFor(SCRIPT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish in " + SCRIPT_SECONDS + " s");
        }
        try {
            return new Result(p.exitValue(), output.get(10, TimeUnit.SECONDS), errors.get(10, TimeUnit.SECONDS));
        } catch (Exception e) {
            throw new AssertionError(command + ": its output did not end", e);
        }
    }

    /** {@code bin/kimserver start}, which must succeed, then {@link #awaitCommand} of {@code cmd}. */
    void startServing(String cmd) throws Exception {
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        awaitCommand(cmd);
    }

    /** Waits up to 20 s for kim:cmds to list {@code cmd} (a module's handlers come up after the start). */
    void awaitCommand(String cmd) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!servedByEveryWorker(kimserver("console", "-w", "all", "kim:cmds").output(), cmd)
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    /** Whether the answers of {@code console -w all kim:cmds} (one "== W<n> ==" section a worker) all list cmd. */
    private static boolean servedByEveryWorker(String answers, String cmd) {
        String[] sections = answers.split("(?m)^== W\\d+ ==$");
        return sections.length > 1 && Arrays.stream(sections).skip(1)
                .allMatch(section -> section.contains("\n" + cmd + " "));
    }

    /** Waits up to {@code seconds} for {@code check}; fails the test naming {@code what} if it does not come. */
    static void await(String what, long seconds, Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + seconds + " s");
            }
            Thread.sleep(100);
        }
    }

    /** Stops the server if one runs, and deletes the distribution's folder. */
    @Override
    public void close() throws Exception {
        try {
            kimserver("stop");
        } finally {
            KimContainer.deleteTree(folder);
        }
    }

    /** {@code parent}'s folder directly in java.io.tmpdir if it is deeper in there, else {@code parent}. */
    private static Path temporaryFolder(Path parent) {
        Path temp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        Path folder = parent.toAbsolutePath().normalize();
        return folder.startsWith(temp) && folder.getNameCount() > temp.getNameCount() + 1
                ? temp.resolve(folder.getName(temp.getNameCount()))
                : folder;
    }

    private List<String> script(String name, String... args) {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin").resolve(name).toString()));
        command.addAll(List.of(args));
        return command;
    }

    private static ProcessBuilder processBuilder(Path dir, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        // The scripts find a JDK 21+ themselves; hand them the one running this test.
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb;
    }

    private static Result run(ProcessBuilder command, String input) throws IOException, InterruptedException {
        Process p = command.start();
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        return finish(p, command.command());
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.completeExceptionally(e);
            }
        });
        return text;
    }
}
