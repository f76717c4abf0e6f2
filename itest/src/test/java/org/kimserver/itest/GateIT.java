package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.testkit.WireClient.concat;
import static org.kimserver.testkit.WireClient.hex;
import static org.kimserver.testkit.WireClient.request;
import static org.kimserver.testkit.WireClient.utf8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.diag.GateDiagnostics;
import org.kimserver.api.diag.GateStatistics;
import org.kimserver.api.diag.Problem;
import org.kimserver.testkit.Await;
import org.kimserver.testkit.KimContainer;
import org.kimserver.testkit.KimServer;
import org.kimserver.testkit.KimShell;
import org.kimserver.testkit.WireClient;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.ops4j.pax.exam.util.Filter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

/**
 * The gate over real TCP in the distribution's bundle set, with module-test hot-deployed from deploy/: the
 * original's bytes, framing edge cases, limits, and handler services coming and going while clients are connected.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GateIT {
    private static final int KEEP_ALIVE_MS = 1500;
    private static final int MAX_CLIENTS = 40;
    private static final int MAX_FRAME_SIZE = 65536;
    private static final int HANDLER_GRACE_MS = 1000;
    /** How soon a close must come to count as the gate's answer: well before keep_alive would close anyway. */
    private static final int PROMPTLY_MS = KEEP_ALIVE_MS - 500;
    private static final String HELLO_REQUEST = "0D E9 03 00 00 15 7B 00 00 00 1D 0E 00 00 00 1A 0C "
            + hex(utf8("hello world!"));
    private static final String HELLO_REPLY = "0D EA 03 00 00 15 7B 00 00 00 1D 11 00 00 00 12 04 12 02 6F 6B 1A 09 "
            + hex(utf8("good job!"));

    @Inject
    private BundleContext context;

    @Inject
    @Filter(timeout = 30000)
    private CommandProcessor commands;

    @Inject
    @Filter(timeout = 30000)
    private GateDiagnostics diagnostics;

    @Configuration
    public Option[] config() throws IOException {
        KimContainer container = KimContainer.create().config(json -> json
                .replace("\"keep_alive\": 30000", "\"keep_alive\": " + KEEP_ALIVE_MS)
                .replace("\"max_clients\": 20000,", "\"max_clients\": " + MAX_CLIENTS + ", \"max_frame_size\": "
                        + MAX_FRAME_SIZE + ", \"handler_grace_ms\": " + HANDLER_GRACE_MS + ","));
        try (Stream<Path> shipped = Files.list(KimContainer.distribution().resolve("deploy"))) {
            for (Path jar : shipped.filter(p -> p.toString().endsWith(".jar")).toList()) {
                container.module(jar);
            }
        }
        return container.options();
    }

    // ---------------------------------------------------------------------------------------------------------

    private WireClient connect() throws Exception {
        Await.until("module-test's hello handler", () -> shellQuietly("kim:cmds").contains("\n1001 "));
        return new WireClient(KimServer.gatePort());
    }

    private String shellQuietly(String command) {
        return KimShell.runOrFail(commands, command);
    }

    private GateStatistics stats() {
        return diagnostics.statistics();
    }

    private List<Problem> problems() {
        return KimServer.problems(context);
    }

    private ServiceRegistration<CommandHandler> register(CommandHandler handler, Object cmd, Object... more) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(CommandHandler.CMD, cmd);
        for (int i = 0; i < more.length; i += 2) {
            properties.put((String) more[i], more[i + 1]);
        }
        return context.registerService(CommandHandler.class, handler, properties);
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    public void theOriginalsHelloGetsTheOriginalsReplyByteForByte() throws Exception {
        try (WireClient client = connect()) {
            client.send(WireClient.hex(HELLO_REQUEST));
            assertEquals(HELLO_REPLY, hex(client.readBytes(32)));
        }
    }

    @Test
    public void unknownCommandGetsCode4AndTheConnectionClosesDroppingLaterFrames() throws Exception {
        long before = stats().errorRepliesByCode().getOrDefault(4, 0L);
        try (WireClient client = connect()) {
            client.send(concat(request(2011, 9, "x"), request(1001, 10, "1 - hello")));
            assertEquals("0D DC 07 00 00 15 09 00 00 00 1D 12 00 00 00 12 10 08 04 12 0C " + hex(utf8("invalid cmd!")),
                    hex(client.readBytes(33)));
            assertTrue("closed after the code-4 reply, the hello after it dropped",
                    client.closedByServer(PROMPTLY_MS));
        }
        assertTrue(stats().errorRepliesByCode().getOrDefault(4, 0L) > before);
    }

    @Test
    public void closeOnUnknownCmdFalseKeepsTheConnectionOpen() throws Exception {
        Path config = KimServer.home(context).resolve("etc/kimserver.json");
        String original = Files.readString(config);
        Files.writeString(config, original.replace("\"max_frame_size\":",
                "\"close_on_unknown_cmd\": false, \"max_frame_size\":"));
        try {
            // The change applies in place, within a second; retry until it does.
            Await.until("the gate to keep connections open after an unknown command", () -> {
                try (WireClient client = connect()) {
                    client.send(concat(request(2013, 1, "x"), request(1001, 2, "x")));
                    WireClient.Frame unknown = client.read();
                    WireClient.Frame hello = client.read();
                    return unknown.code() == 4 && hello.seq() == 2 && hello.code() == 0;
                } catch (Exception | AssertionError e) {
                    return false;
                }
            });
        } finally {
            Files.writeString(config, original);
        }
        Await.until("the gate to close after an unknown command again", () -> {
            try (WireClient client = connect()) {
                client.send(request(2013, 1, "x"));
                return client.read().code() == 4 && client.closedByServer(PROMPTLY_MS);
            } catch (Exception | AssertionError e) {
                return false;
            }
        });
        Await.until("the gate answering", () -> {
            try (WireClient client = connect()) {
                return client.send(request(1001, 1, "x")).read().code() == 0;
            } catch (Exception | AssertionError e) {
                return false;
            }
        });
        try (WireClient client = connect()) {
            client.send(request(2013, 1, "x"));
            assertEquals(4, client.read().code());
            assertTrue(client.closedByServer(PROMPTLY_MS));
        }
    }

    @Test
    public void aFrameSentOneByteAtATimeIsReassembled() throws Exception {
        byte[] hello = WireClient.hex(HELLO_REQUEST);
        try (WireClient client = connect()) {
            for (byte b : hello) {
                client.send(new byte[] {b});
                Thread.sleep(2);
            }
            assertEquals(HELLO_REPLY, hex(client.readBytes(32)));
        }
    }

    @Test
    public void aHundredFramesInOneWriteGetAHundredRepliesInOrder() throws Exception {
        byte[][] frames = new byte[100][];
        for (int i = 0; i < 100; i++) {
            frames[i] = request(1001, i + 1, (i + 1) + " - hello");
        }
        try (WireClient client = connect()) {
            client.send(concat(frames));
            for (int i = 0; i < 100; i++) {
                WireClient.Frame reply = client.read();
                assertEquals(1002, reply.cmd());
                assertEquals(i + 1, reply.seq());
                assertTrue(reply.body().hasRspResult());
                assertEquals("ok", reply.msg());
                assertEquals("good job!", reply.data());
            }
        }
    }

    @Test
    public void sessionCommandAnswersAsTheOriginal() throws Exception {
        try (WireClient client = connect()) {
            client.send(request(1007, 5, "{\"user_id\":42,\"user_name\":\"hello - 42\"}"));
            byte[] reply = client.readBytes(15 + 23);
            assertEquals("0D F0 03 00 00 15 05 00 00 00 1D 17 00 00 00 12 06 12 04 " + hex(utf8("done")) + " 1A 0D "
                    + hex(utf8("test session!")), hex(reply));
            client.send(request(1007, 6, "not json"));
            assertEquals("0D F0 03 00 00 15 06 00 00 00 1D 1E 00 00 00 12 08 08 01 12 04 " + hex(utf8("fail"))
                    + " 1A 12 " + hex(utf8("invalid json data!")), hex(client.readBytes(15 + 30)));
            client.send(request(1001, 7, "still open"));
            assertEquals(7, client.read().seq());
        }
    }

    @Test
    public void malformedHeadClosesWithoutReplyAfterAnsweringEarlierFrames() throws Exception {
        long before = stats().malformedFrames();
        try (WireClient client = connect()) {
            client.send(concat(request(1001, 1, "1 - hello"), new byte[15]));
            assertEquals(1, client.read().seq());
            assertTrue(client.closedByServer(PROMPTLY_MS));
        }
        assertEquals(before + 1, stats().malformedFrames());
    }

    @Test
    public void malformedBodyClosesWithoutReply() throws Exception {
        long before = stats().malformedFrames();
        try (WireClient client = connect()) {
            // data claims 5 bytes, the body holds 1
            client.send(WireClient.frame(1001, 1, new byte[] {0x1A, 0x05, 0x01}));
            assertTrue(client.closedByServer(PROMPTLY_MS));
        }
        assertEquals(before + 1, stats().malformedFrames());
    }

    @Test
    public void oversizeFrameClosesFromItsHeadAloneAndAFrameAtTheLimitPasses() throws Exception {
        long before = stats().oversizeFrames();
        try (WireClient client = connect()) {
            // 65532 data bytes: tag 1 + length varint 3 + data = exactly max_frame_size
            byte[] data = new byte[MAX_FRAME_SIZE - 4];
            Arrays.fill(data, (byte) 'x');
            byte[] atLimit = WireClient.frame(1001, 1, concat(new byte[] {0x1A, (byte) 0xFC, (byte) 0xFF, 0x03}, data));
            assertEquals(15 + MAX_FRAME_SIZE, atLimit.length);
            client.send(atLimit);
            assertEquals(1, client.read().seq());
            // A head claiming 16 MiB, and no body: the gate must not wait for (or allocate) it.
            client.send(WireClient.frame(1001, 2, new byte[0]));
            client.send(WireClient.hex("0D E9 03 00 00 15 03 00 00 00 1D 00 00 00 01"));
            assertEquals(2, client.read().seq());
            assertTrue(client.closedByServer(PROMPTLY_MS));
        }
        assertEquals(before + 1, stats().oversizeFrames());
    }

    @Test
    public void idleConnectionIsClosedAfterKeepAliveAndABusyOneIsNot() throws Exception {
        try (WireClient idle = connect()) {
            long start = System.nanoTime();
            assertTrue("idle connection closed", idle.closedByServer(3 * KEEP_ALIVE_MS));
            long idleMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue("closed after " + idleMillis + " ms", idleMillis >= KEEP_ALIVE_MS - 50);
        }
        try (WireClient busy = connect()) {
            for (int i = 1; i <= 6; i++) {
                Thread.sleep(KEEP_ALIVE_MS / 3);
                busy.send(request(1001, i, "ping"));
                assertEquals(i, busy.read().seq());
            }
        }
    }

    @Test
    public void connectionsBeyondMaxClientsAreClosedAtOnceAndCounted() throws Exception {
        Await.until("no client connections left from other tests", () -> stats().openConnections() == 0);
        long refusedBefore = stats().refusedMaxClients();
        List<WireClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CLIENTS; i++) {
                WireClient client = connect();
                clients.add(client);
                client.send(request(1001, i + 1, "hello"));
                assertEquals(i + 1, client.read().seq());
            }
            try (WireClient beyond = connect()) {
                assertTrue(beyond.closedByServer(PROMPTLY_MS));
            }
            assertEquals(refusedBefore + 1, stats().refusedMaxClients());
            clients.get(0).send(request(1001, 500, "the others still work"));
            assertEquals(500, clients.get(0).read().seq());
        } finally {
            for (WireClient client : clients) {
                client.close();
            }
        }
    }

    @Test
    public void aThrowingHandlerGetsCode1AndTheConnectionStays() throws Exception {
        ServiceRegistration<CommandHandler> failing = register(request -> {
            throw new IllegalStateException("broken on purpose");
        }, 2001);
        try (WireClient client = connect()) {
            client.send(request(2001, 1, "x"));
            WireClient.Frame reply = client.read();
            assertEquals(2002, reply.cmd());
            assertEquals(1, reply.code());
            assertEquals("handler failed!", reply.msg());
            client.send(request(1001, 2, "after the failure"));
            assertEquals("good job!", client.read().data());
        } finally {
            failing.unregister();
        }
    }

    @Test
    public void aHandlerRegisteredWhileConnectedIsUsedAtOnceAndStopsWhenUnregistered() throws Exception {
        try (WireClient client = connect()) {
            client.send(request(1001, 1, "connected"));
            assertEquals(1, client.read().seq());
            ServiceRegistration<CommandHandler> live = register(request -> Reply.ok("ok", "live"), 2003,
                    CommandHandler.NON_BLOCKING, true);
            client.send(request(2003, 2, "x"));
            assertEquals("live", client.read().data());
            live.unregister();
            long start = System.nanoTime();
            client.send(request(2003, 3, "x"));
            WireClient.Frame reply = client.read();
            assertEquals(4, reply.code());
            assertEquals("invalid cmd!", reply.msg());
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue("code 4 after the grace period, not " + waited + " ms", waited >= HANDLER_GRACE_MS - 100);
        }
    }

    @Test
    public void aHandlerReplacedWithinTheGracePeriodLosesNoRequest() throws Exception {
        ServiceRegistration<CommandHandler> first = register(request -> Reply.ok("ok", "v1"), 2015,
                CommandHandler.NON_BLOCKING, true);
        try (WireClient client = connect()) {
            client.send(request(2015, 1, "x"));
            assertEquals("v1", client.read().data());
            first.unregister();
            client.send(concat(request(2015, 2, "x"), request(1001, 3, "x")));
            Thread.sleep(300); // the gap of a module update, made long
            ServiceRegistration<CommandHandler> second = register(request -> Reply.ok("ok", "v2"), 2015);
            try {
                WireClient.Frame reply = client.read();
                assertEquals(2, reply.seq());
                assertEquals(0, reply.code());
                assertEquals("v2", reply.data());
                assertEquals("the request behind it keeps its place", 3, client.read().seq());
            } finally {
                second.unregister();
            }
        }
    }

    @Test
    public void unregisteringWaitsForTheCallsInProgress() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ServiceRegistration<CommandHandler> slow = register(request -> {
            entered.countDown();
            release.await(10, TimeUnit.SECONDS);
            return Reply.ok("ok", "finished");
        }, 2005);
        try (WireClient client = connect()) {
            client.send(request(2005, 1, "x"));
            assertTrue(entered.await(5, TimeUnit.SECONDS));
            AtomicBoolean unregistered = new AtomicBoolean();
            Thread unregistering = new Thread(() -> {
                slow.unregister();
                unregistered.set(true);
            });
            unregistering.start();
            Thread.sleep(300);
            assertFalse("unregister returned while a call was running", unregistered.get());
            release.countDown();
            WireClient.Frame reply = client.read();
            assertEquals(0, reply.code());
            assertEquals("finished", reply.data());
            unregistering.join(5000);
            assertTrue(unregistered.get());
        }
    }

    @Test
    public void higherRankingWinsAndTheShellShowsTheConflict() throws Exception {
        ServiceRegistration<CommandHandler> low = register(request -> Reply.ok("ok", "low"), 2007);
        ServiceRegistration<CommandHandler> high = register(request -> Reply.ok("ok", "high"), "2007",
                Constants.SERVICE_RANKING, 10);
        try (WireClient client = connect()) {
            client.send(request(2007, 1, "x"));
            assertEquals("high", client.read().data());
            assertTrue(shellQuietly("kim:cmds"), shellQuietly("kim:cmds").contains("CONFLICT"));
            assertTrue(problems().toString(), problems().stream().anyMatch(p -> p.subject().equals("cmd 2007")));
            high.unregister();
            client.send(request(2007, 2, "x"));
            assertEquals("low", client.read().data());
            assertFalse(shellQuietly("kim:cmds").contains("CONFLICT"));
            assertFalse(problems().toString(), problems().stream().anyMatch(p -> p.subject().equals("cmd 2007")));
        } finally {
            low.unregister();
        }
    }

    @Test
    public void repliesLeaveInRequestOrderAroundABlockingHandler() throws Exception {
        ServiceRegistration<CommandHandler> blocking = register(request -> {
            Thread.sleep(100);
            return Reply.ok("ok", "slow");
        }, 2009);
        try (WireClient client = connect()) {
            client.send(concat(request(2009, 1, "x"), request(1001, 2, "x"), request(2009, 3, "x"),
                    request(1001, 4, "x")));
            String[] expected = {"slow", "good job!", "slow", "good job!"};
            for (int i = 0; i < 4; i++) {
                WireClient.Frame reply = client.read();
                assertEquals(i + 1, reply.seq());
                assertEquals(expected[i], reply.data());
            }
        } finally {
            blocking.unregister();
        }
    }

    @Test
    public void aCatchAllHandlerGetsTheCommandsNobodyElseClaims() throws Exception {
        ServiceRegistration<CommandHandler> any = register(request -> Reply.ok("ok", "caught " + request.cmd()),
                CommandHandler.ANY);
        try (WireClient client = connect()) {
            client.send(concat(request(3001, 1, "x"), request(1001, 2, "x")));
            assertEquals("caught 3001", client.read().data());
            assertEquals("good job!", client.read().data());
        } finally {
            any.unregister();
        }
    }

    @Test
    public void theConsoleDescribesTheGateCommands() {
        String stats = shellQuietly("help kim:stats");
        assertTrue(stats, stats.contains("the gate's state and this process's gate counters"));
        String cmds = shellQuietly("help kim:cmds");
        assertTrue(cmds, cmds.contains("who serves which command"));
    }

    @Test
    public void statsCountCommandsAndBytes() throws Exception {
        long commandsBefore = stats().commands();
        try (WireClient client = connect()) {
            client.send(concat(request(1001, 1, "x"), request(1001, 2, "x")));
            client.read();
            client.read();
        }
        GateStatistics after = stats();
        assertEquals(commandsBefore + 2, after.commands());
        assertTrue(after.reads() > 0);
        assertTrue(after.writeBytes() > 0);
        assertEquals(GateStatistics.LISTENING, after.state());
        assertEquals("kim:stats shows the record", after.commands(),
                KimShell.stat(commands, "commands +(\\d+)"));
        assertTrue(shellQuietly("kim:cmds").matches("(?s).*\n1001 +[1-9]\\d* +org.kimserver.module-test .*"));
        assertTrue(diagnostics.commands().stream().anyMatch(route -> route.command().equals("1001")
                && route.handler().bundle().equals("org.kimserver.module-test") && route.calls() > 0));
    }
}
