package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Test;
import org.kimserver.itest.UnzippedDistribution.Check;
import org.kimserver.itest.UnzippedDistribution.Result;

/**
 * {@code bin/kimserver console} on the unzipped distribution: from any install path, with arguments as typed at
 * the interactive console, from a pipe and from a terminal, and {@code kim:log}.
 */
public class ConsoleIT {
    private UnzippedDistribution dist;
    private Path home;

    /** Unzips the distribution into a fresh folder under {@code parent} and gives it free ports. */
    private void unzip(Path parent) throws Exception {
        dist = UnzippedDistribution.unzipInto(parent);
        home = dist.home();
    }

    private void unzip() throws Exception {
        unzip(Files.createTempDirectory("kimserver-console"));
    }

    private void start() throws Exception {
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
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

    private String pid() throws IOException {
        return Long.toString(dist.pid());
    }

    /** Waits up to 20 s for {@code check}. */
    private static void await(String what, Check check) throws Exception {
        UnzippedDistribution.await(what, 20, check);
    }

    /**
     * The kernel takes a Unix socket path of 107 bytes at most: an install path of 150 characters broke the
     * console ("Unix domain path too long") and the client then asked whether the server was running.
     */
    @Test
    public void aDeepInstallPathHasAConsole() throws Exception {
        Path parent = Files.createTempDirectory("kimserver-console");
        Path deep = parent.resolve("a-rather-long-folder-name-for-an-install".repeat(3)).resolve("kimserver");
        unzip(deep);
        assertTrue(home.toString(), home.toString().length() >= 150);
        start();

        Result info = kimserver("console", "kim:info");
        assertEquals(info.output(), 0, info.exitCode());
        assertTrue(info.output(), info.output().contains("kim-gate (node type gate, 1 worker)"));

        Path link = home.resolve("data/run/console.sock");
        assertTrue("a link to a socket in a short folder", Files.isSymbolicLink(link));
        Path socket = Files.readSymbolicLink(link);
        assertEquals("readable by the owner only", "rwx------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));

        // A server killed outright leaves its short folder; the next one removes it.
        Result kill = dist.run(List.of("kill", "-9", pid()));
        assertEquals(kill.output(), 0, kill.exitCode());
        await("the server is gone", () -> kimserver("status").exitCode() == 3);
        assertTrue(Files.exists(socket.getParent()));
        start();
        assertFalse("the killed server's short folder is removed", Files.exists(socket.getParent()));
        assertEquals(0, kimserver("console", "kim:info").exitCode());
        Path second = Files.readSymbolicLink(link);

        Result stop = kimserver("stop");
        assertEquals(stop.output(), 0, stop.exitCode());
        assertFalse("the short folder goes with the server", Files.exists(second.getParent()));
        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
    }

    /** gogo.command's commands take bundles; the converter for them came only with the terminal console. */
    @Test
    public void oneShotCommandsTakeArgumentsAsTheInteractiveConsoleDoes() throws Exception {
        unzip();
        start();
        Result quoted = kimserver("console", "headers 0");
        assertEquals(quoted.output(), 0, quoted.exitCode());
        assertTrue(quoted.output(), quoted.output().contains("Bundle-Name = System Bundle"));

        Result words = kimserver("console", "headers", "org.kimserver.shell");
        assertEquals(words.output(), 0, words.exitCode());
        assertTrue(words.output(), words.output().contains("Bundle-SymbolicName = org.kimserver.shell"));

        Result inspect = kimserver("console", "inspect cap osgi.wiring.package 0");
        assertEquals(inspect.output(), 0, inspect.exitCode());
        assertTrue(inspect.output(), inspect.output().contains("osgi.wiring.package; org.osgi.framework "));

        Result lb = kimserver("console", "lb");
        assertEquals(lb.output(), 0, lb.exitCode());
        assertTrue(lb.output(), lb.output().contains("|Active     |    4|kimserver shell"));

        Result noSuchBundle = kimserver("console", "headers 999");
        assertEquals(noSuchBundle.output(), 1, noSuchBundle.exitCode());

        // Several words are several arguments, as the user's shell split them: a space or a quote inside one stays.
        Result spaced = kimserver("console", "lb", "kimserver shell");
        assertEquals(spaced.output(), 0, spaced.exitCode());
        assertTrue(spaced.output(), spaced.output().contains("|kimserver shell"));
        assertFalse(spaced.output(), spaced.output().contains("kimserver gate"));
        Result quote = kimserver("console", "lb", "it's");
        assertEquals(quote.output(), 0, quote.exitCode());
        assertTrue(quote.output(), quote.output().contains("No matching bundles found"));
    }

    @Test
    public void linesFromAPipeRunInTurnUntilExit() throws Exception {
        unzip();
        start();
        // A line no one types (a wrong file piped in) is dropped as it comes, and costs the server no memory.
        String huge = "x".repeat(8 << 20);
        Result all = dist.kimserverWithInput("kim:info\nheaders 0\n" + huge + "\n\nkim:nonsense\nlb\n",
                "console");
        assertEquals("one command failed", 1, all.exitCode());
        String out = all.output();
        assertTrue(out, out.contains("kim-gate (node type gate, 1 worker)"));
        assertTrue(out, out.contains("Bundle-Name = System Bundle"));
        assertTrue(out, out.contains("Command not found: kim:nonsense"));
        assertTrue(out, out.contains("error: a line longer than 65536 bytes was dropped"));
        assertTrue(out, out.indexOf("kim:nonsense") < out.indexOf("|kimserver shell"));
        assertFalse("no prompts in a pipe", out.contains("kim>"));

        Result exit = dist.kimserverWithInput("lb\nexit\nkim:nonsense\n", "console");
        assertEquals(exit.output(), 0, exit.exitCode());
        assertFalse(exit.output(), exit.output().contains("nonsense"));
        assertEquals("the server keeps running", 0, kimserver("status").exitCode());
    }

    /**
     * A terminal (a pseudo-terminal from script(1)): the line editor completes command names from the server,
     * keeps history in data/console.history, Ctrl-C interrupts the command that runs, and Ctrl-D leaves while
     * the server keeps running.
     */
    @Test
    public void onATerminalTheConsoleCompletesAndKeepsHistory() throws Exception {
        unzip();
        start();
        // "kim:inf" and a tab: the only command it can be is kim:info. Ctrl-D (\u0004) at the prompt leaves.
        // env restores SIGINT's default action: a test run in the background (mvn ... &) has it ignored, and the
        // console's JVM would keep it ignored, so Ctrl-C on its terminal would do nothing. exec: script(1) runs the
        // command with $SHELL or /bin/sh, and a shell left waiting for the console would die of that Ctrl-C.
        List<String> command = List.of("env", "--default-signal=INT", "script", "-qfec",
                "exec " + home.resolve("bin/kimserver") + " console", "/dev/null");
        ProcessBuilder pb = dist.processBuilder(command);
        pb.environment().put("TERM", "xterm");
        Process p = pb.start();
        p.getOutputStream().write("kim:inf\t\n".getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().flush();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = collect(p, output);
        try {
            await("kim:info ran: " + output, () -> output.toString(StandardCharsets.UTF_8).contains("problems"));
            // Ctrl-C (\u0003) while kim:log -f runs interrupts it, and only it.
            p.getOutputStream().write("kim:log -f -n 0\n".getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().flush();
            await("the follower runs", () -> threadDump().contains("LogCommand$LogFile.follow"));
            p.getOutputStream().write(3);
            p.getOutputStream().flush();
            await("interrupted: " + output, () -> output.toString(StandardCharsets.UTF_8).contains("interrupted"));
            await("no follower left behind", () -> !threadDump().contains("LogCommand$LogFile.follow"));
            assertTrue(p.isAlive());
            p.getOutputStream().write(4);
            p.getOutputStream().flush();
            assertTrue("Ctrl-D leaves: " + output, p.waitFor(20, TimeUnit.SECONDS));
            assertEquals(output.toString(StandardCharsets.UTF_8), 0, p.exitValue());
        } finally {
            p.destroyForcibly();
            reader.join(10_000);
        }
        Path history = home.resolve("data/console.history");
        assertEquals(List.of("kim:info", "kim:log -f -n 0"), Files.readAllLines(history).stream()
                .map(line -> line.substring(line.indexOf(':') + 1)).toList());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(history)));
        assertEquals("the server keeps running", 0, kimserver("status").exitCode());
    }

    /** The console cannot listen (here its socket's place is taken): the client says so, and why. */
    @Test
    public void aServerWithoutAConsoleSaysWhy() throws Exception {
        unzip();
        Path taken = home.resolve("data/run/console.sock");
        Files.createDirectories(taken);
        Files.writeString(taken.resolve("something"), "not a socket");
        start();

        Result info = kimserver("console", "kim:info");
        assertEquals(info.output(), 1, info.exitCode());
        assertTrue(info.output(), info.output().contains("the server is running, but its console is not available"));
        assertTrue(info.output(), info.output().contains("the console cannot listen on " + taken));
        assertTrue(info.output(), info.output().contains("DirectoryNotEmptyException"));
    }

    @Test
    public void kimLogShowsTheLastLinesFromALevelUp() throws Exception {
        unzip();
        start();
        // A live edit with an unknown key: a warning among info lines.
        dist.editConfig(json -> json.replaceFirst("\\{", "{\"kim_console_test_key\": 1,"));
        Path log = home.resolve("log/kimserver.log");
        await("the warning is logged", () -> Files.readString(log).contains("kim_console_test_key"));

        Result last = kimserver("console", "kim:log -n 3");
        assertEquals(last.output(), 0, last.exitCode());
        List<String> file = Files.readAllLines(home.resolve("log/kimserver.log"));
        List<String> lines = last.output().lines().toList();
        assertEquals(last.output(), 3, lines.size());
        int at = file.indexOf(lines.get(0));
        assertTrue(last.output(), at >= 0 && file.subList(at, at + 3).equals(lines));

        Result warnings = kimserver("console", "kim:log --level warn -n 1000");
        assertEquals(warnings.output(), 0, warnings.exitCode());
        assertTrue(warnings.output(), warnings.output().contains("kim_console_test_key"));
        assertTrue(warnings.output(), warnings.output().lines().allMatch(l -> l.startsWith("[WARN]")
                || l.startsWith("[ERRO]") || l.startsWith("[CRIT]") || l.startsWith("\t")));
        assertTrue(kimserver("console", "kim:log -n 1000").output().contains("[INFO]"));

        Result bad = kimserver("console", "kim:log --level loud");
        assertEquals(bad.output(), 1, bad.exitCode());
        assertTrue(bad.output(), bad.output().contains("unknown level 'loud'"));
    }

    /** kim:log -f prints a line logged after it started, and ends (its thread too) when its client goes away. */
    @Test
    public void kimLogFollowsUntilItsClientGoesAway() throws Exception {
        unzip();
        start();
        Process follow = dist.processBuilder(List.of(home.resolve("bin/kimserver").toString(), "console",
                "kim:log -f -n 0")).start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = collect(follow, output);
        try {
            await("the follower runs", () -> threadDump().contains("LogCommand$LogFile.follow"));
            dist.editConfig(json -> json.replaceFirst("\\{", "{\"kim_follow_test_key\": 1,"));
            await("the new line is followed: " + output,
                    () -> output.toString(StandardCharsets.UTF_8).contains("kim_follow_test_key"));
        } finally {
            follow.destroy();
            assertTrue(follow.waitFor(20, TimeUnit.SECONDS));
            reader.join(10_000);
        }
        await("no follower left behind", () -> !threadDump().contains("LogCommand$LogFile.follow"));
        assertEquals(0, kimserver("console", "kim:info").exitCode());
    }

    /** The shell bundle stopping (an update, a refresh) ends its sessions and the commands they run. */
    @Test
    public void stoppingTheShellEndsItsSessions() throws Exception {
        unzip();
        start();
        Process follow = dist.processBuilder(List.of(home.resolve("bin/kimserver").toString(), "console",
                "kim:log -f -n 0")).start();
        try {
            await("the follower runs", () -> threadDump().contains("LogCommand$LogFile.follow"));
            kimserver("console", "stop org.kimserver.shell"); // its own session ends with it
            assertTrue("the follower's console is closed", follow.waitFor(20, TimeUnit.SECONDS));
        } finally {
            follow.destroyForcibly();
        }
        await("no follower left behind", () -> !threadDump().contains("LogCommand$LogFile.follow"));
    }

    /** Ctrl-C in the client sends an interrupt: the command ends, the session goes on. */
    @Test
    public void anInterruptEndsTheCommandAndNotTheSession() throws Exception {
        unzip();
        start();
        dist.awaitCommand("1001"); // deploy/ done: nothing else logs while the follower runs
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(home.resolve("data/run/console.sock")));
            Thread watchdog = Thread.ofPlatform().daemon().start(() -> { // bounds the reads below
                try {
                    Thread.sleep(60_000);
                    channel.close();
                } catch (InterruptedException | IOException e) {
                    // the test ended first
                }
            });
            InputStream in = Channels.newInputStream(channel);
            send(channel, "kim:log -f -n 0\n");
            await("the follower runs", () -> threadDump().contains("LogCommand$LogFile.follow"));
            send(channel, "\0interrupt\n");
            assertEquals("interrupted\n\0status 1\n", readStatus(in));
            send(channel, "kim:info\n");
            assertTrue(readStatus(in).endsWith("\0status 0\n"));
            watchdog.interrupt();
        }
        await("no follower left behind", () -> !threadDump().contains("LogCommand$LogFile.follow"));
    }

    /** Copies what {@code process} writes into {@code output} as it comes, until it ends. */
    private static Thread collect(Process process, ByteArrayOutputStream output) {
        return Thread.ofPlatform().start(() -> {
            try {
                process.getInputStream().transferTo(output);
            } catch (IOException e) {
                // the process went away
            }
        });
    }

    private static void send(SocketChannel channel, String text) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }

    /** What the server sends up to and including the status record (bounded by the caller's timeouts). */
    private static String readStatus(InputStream in) throws IOException {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        boolean inRecord = false;
        for (int b = in.read(); b >= 0; b = in.read()) {
            text.write(b);
            inRecord |= b == 0;
            if (inRecord && b == '\n') {
                break;
            }
        }
        return text.toString(StandardCharsets.UTF_8);
    }

    /** Every thread of the server, virtual ones included. */
    private String threadDump() throws Exception {
        Path dump = Files.createTempFile("kimserver-threads", ".txt");
        Files.delete(dump);
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Result r = dist.run(List.of(jcmd, pid(), "Thread.dump_to_file", "-format=text", dump.toString()));
        assertEquals(r.output(), 0, r.exitCode());
        String threads = Files.readString(dump);
        Files.delete(dump);
        return threads;
    }
}
