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
import java.util.concurrent.TimeUnit;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.kimserver.itest.UnzippedDistribution.Result;
import org.kimserver.testkit.KimContainer;

/**
 * bin/kim-call against the unzipped distribution, started once for the class, and against a fake server in this
 * JVM that accepts and never answers.
 */
public class KimCallIT {
    private static UnzippedDistribution dist;
    private static String gatePort;

    @BeforeClass
    public static void unzipAndStart() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-call");
        gatePort = Integer.toString(dist.gatePort());
        dist.startServing("1001");
    }

    @AfterClass
    public static void stop() throws Exception {
        if (dist != null) {
            dist.close();
        }
    }

    /** kim-call with its standard error apart, as the tests assert on each. */
    private static Result kimCall(String... args) throws Exception {
        return dist.binWithErrorsApart("kim-call", args);
    }

    @Test
    public void helloPrintsCodeZeroAndItsData() throws Exception {
        Result hello = kimCall("127.0.0.1", gatePort, "1001", "1 - hello");
        assertEquals(hello.toString(), 0, hello.exitCode());
        assertTrue(hello.output(), hello.output().matches(
                "reply  cmd 1002, seq 1, [0-9.]+ ms\ncode   0\nmsg    ok\ndata   good job!\n"));
        assertEquals("", hello.errors());
    }

    @Test
    public void jsonIsOneObjectAScriptCanParse() throws Exception {
        Result hello = kimCall("--json", "--seq", "77", "127.0.0.1", gatePort, "1001", "1 - hello");
        assertEquals(hello.toString(), 0, hello.exitCode());
        JsonNode reply = new ObjectMapper().readTree(hello.output());
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
        Result unknown = kimCall("127.0.0.1", gatePort, "1999", "x");
        assertEquals(unknown.toString(), 1, unknown.exitCode());
        assertTrue(unknown.output(), unknown.output().contains("code   4\nmsg    invalid cmd!\n"));
    }

    @Test
    public void nothingListeningExitsThreeNamingTheAddress() throws Exception {
        String port = Integer.toString(KimContainer.freePort());
        Result refused = kimCall("127.0.0.1", port, "1001");
        assertEquals(refused.toString(), 3, refused.exitCode());
        assertEquals("kim-call: cannot connect to 127.0.0.1:" + port + ": connection refused\n", refused.errors());
        assertEquals("", refused.output());
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
            Result silence = kimCall("--timeout", "1.5", "127.0.0.1", port, "1001");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(silence.toString(), 3, silence.exitCode());
            assertEquals("kim-call: no reply from 127.0.0.1:" + port + " within 1.5 s\n", silence.errors());
            assertTrue(millis + " ms", millis >= 1500 && millis < 30_000);
            acceptor.join(5000);
        }
    }

    @Test
    public void badArgumentsExitTwoWithTheUsage() throws Exception {
        Result usage = kimCall("127.0.0.1", gatePort);
        assertEquals(usage.toString(), 2, usage.exitCode());
        assertTrue(usage.errors(), usage.errors().contains("usage: kim-call"));
    }
}
