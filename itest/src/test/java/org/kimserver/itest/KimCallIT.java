package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * bin/kim-call against the unzipped distribution, started once for the class, and against a fake server in this
 * JVM that accepts and never answers.
 */
public class KimCallIT {
    private static Path home;
    private static String gatePort;

    record Result(int exitCode, String stdout, String stderr) {
    }

    @BeforeClass
    public static void unzipAndStart() throws Exception {
        Path dir = Files.createTempDirectory("kimserver-call");
        Result unzip = exec(dir, List.of("unzip", "-q", System.getProperty("kimserver.zip")));
        assertEquals(unzip.stderr(), 0, unzip.exitCode());
        try (var entries = Files.list(dir)) {
            home = entries.findFirst().orElseThrow();
        }
        gatePort = Integer.toString(KimContainer.freePort());
        Path config = home.resolve("etc/kimserver.json");
        Files.writeString(config, Files.readString(config)
                .replace("\"gate_port\": 3355", "\"gate_port\": " + gatePort));
        Result start = bin("kimserver", "start");
        assertEquals(start.stdout() + start.stderr(), 0, start.exitCode());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!bin("kimserver", "console", "kim:cmds").stdout().contains("\n1001 ") && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    @AfterClass
    public static void stop() throws Exception {
        if (home != null) {
            bin("kimserver", "stop");
        }
    }

    private static Result bin(String script, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin").resolve(script).toString()));
        command.addAll(List.of(args));
        return exec(home, command);
    }

    private static Result exec(Path dir, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        // The scripts find a JDK 21+ themselves; hand them the one running this test.
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Path stderr = Files.createTempFile("kim-call", ".err");
        try {
            pb.redirectError(stderr.toFile());
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] stdout = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish in 120 s");
            }
            return new Result(p.exitValue(), new String(stdout, StandardCharsets.UTF_8), Files.readString(stderr));
        } finally {
            Files.delete(stderr);
        }
    }

    @Test
    public void helloPrintsCodeZeroAndItsData() throws Exception {
        Result hello = bin("kim-call", "127.0.0.1", gatePort, "1001", "1 - hello");
        assertEquals(hello.toString(), 0, hello.exitCode());
        assertTrue(hello.stdout(), hello.stdout().matches(
                "reply  cmd 1002, seq 1, [0-9.]+ ms\ncode   0\nmsg    ok\ndata   good job!\n"));
        assertEquals("", hello.stderr());
    }

    @Test
    public void jsonIsOneObjectAScriptCanParse() throws Exception {
        Result hello = bin("kim-call", "--json", "--seq", "77", "127.0.0.1", gatePort, "1001", "1 - hello");
        assertEquals(hello.toString(), 0, hello.exitCode());
        JsonNode reply = new ObjectMapper().readTree(hello.stdout());
        assertEquals(1002, reply.get("cmd").asInt());
        assertEquals(77, reply.get("seq").asInt());
        assertEquals(0, reply.get("code").asInt());
        assertEquals("ok", reply.get("msg").asText());
        assertEquals("good job!", reply.get("data").asText());
        assertFalse(reply.get("data_base64").asBoolean());
        assertTrue(reply.toString(), reply.get("elapsed_ms").isNumber());
    }

    @Test
    public void anUnknownCommandPrintsCodeFourAndExitsOne() throws Exception {
        Result unknown = bin("kim-call", "127.0.0.1", gatePort, "1999", "x");
        assertEquals(unknown.toString(), 1, unknown.exitCode());
        assertTrue(unknown.stdout(), unknown.stdout().contains("code   4\nmsg    invalid cmd!\n"));
    }

    @Test
    public void nothingListeningExitsThreeNamingTheAddress() throws Exception {
        String port = Integer.toString(KimContainer.freePort());
        Result refused = bin("kim-call", "127.0.0.1", port, "1001");
        assertEquals(refused.toString(), 3, refused.exitCode());
        assertEquals("kim-call: cannot connect to 127.0.0.1:" + port + ": connection refused\n", refused.stderr());
        assertEquals("", refused.stdout());
    }

    @Test
    public void aServerThatNeverAnswersExitsThreeAfterTheTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                try (Socket accepted = silent.accept()) {
                    accepted.getInputStream().readAllBytes(); // takes the request, answers nothing
                } catch (IOException e) {
                    // the listener closed at the end of the test
                }
            });
            String port = Integer.toString(silent.getLocalPort());
            long start = System.nanoTime();
            Result silence = bin("kim-call", "--timeout", "1.5", "127.0.0.1", port, "1001");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(silence.toString(), 3, silence.exitCode());
            assertEquals("kim-call: no reply from 127.0.0.1:" + port + " within 1.5 s\n", silence.stderr());
            assertTrue(millis + " ms", millis >= 1500 && millis < 30_000);
            acceptor.join(5000);
        }
    }

    @Test
    public void badArgumentsExitTwoWithTheUsage() throws Exception {
        Result usage = bin("kim-call", "127.0.0.1", gatePort);
        assertEquals(usage.toString(), 2, usage.exitCode());
        assertTrue(usage.stderr(), usage.stderr().contains("usage: kim-call"));
    }
}
