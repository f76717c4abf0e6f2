package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.testkit.WireClient.concat;
import static org.kimserver.testkit.WireClient.request;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.diag.GateDiagnostics;
import org.kimserver.api.diag.GateStatistics;
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
import org.osgi.framework.ServiceRegistration;
import org.slf4j.LoggerFactory;

/**
 * The gate's promises tried over real TCP from the hostile or careless side: a client that never reads, a queue
 * behind a blocking handler, slow clients, large partial frames, replies owed at a close, half-closed clients,
 * per-address limits and a flood of bad frames in the log.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GateLimitsIT {
    private static final int KEEP_ALIVE_MS = 5000;
    private static final int FRAME_TIMEOUT_MS = 1000;
    private static final int MAX_BUFFERED_MB = 8;
    private static final int MAX_CLIENTS_PER_IP = 40;
    private static final int ECHO = 9001;
    private static final int BLOCKING = 9003;
    private static final int BIG_REPLY = 9005;
    private static final int BIG_REPLY_SIZE = 8 << 20;

    @Inject
    private BundleContext context;

    @Inject
    @Filter(timeout = 30000)
    private CommandProcessor commands;

    @Inject
    @Filter(timeout = 30000)
    private GateDiagnostics diagnostics;

    private final List<ServiceRegistration<CommandHandler>> handlers = new ArrayList<>();
    /** Blocking calls wait on this while it is set. */
    private volatile CountDownLatch gateOfBlockingCalls = new CountDownLatch(0);
    private final AtomicInteger blockingCallsStarted = new AtomicInteger();

    @Configuration
    public Option[] config() throws IOException {
        return KimContainer.create().config(json -> json
                .replace("\"keep_alive\": 30000", "\"keep_alive\": " + KEEP_ALIVE_MS)
                .replace("\"max_clients\": 20000,", "\"max_clients\": 200, \"frame_timeout_ms\": " + FRAME_TIMEOUT_MS
                        + ", \"min_body_rate\": 100000, \"max_buffered_mb\": " + MAX_BUFFERED_MB
                        + ", \"max_clients_per_ip\": " + MAX_CLIENTS_PER_IP + ",")).options();
    }

    @Before
    public void registerHandlers() throws Exception {
        register(ECHO, true, request -> Reply.ok("ok", new String(request.data(), StandardCharsets.UTF_8)));
        register(BLOCKING, false, request -> {
            blockingCallsStarted.incrementAndGet();
            if (!gateOfBlockingCalls.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never let the call go");
            }
            return Reply.ok("ok", new String(request.data(), StandardCharsets.UTF_8));
        });
        byte[] big = new byte[BIG_REPLY_SIZE];
        Arrays.fill(big, (byte) 'b');
        register(BIG_REPLY, true, request -> Reply.ok("ok", big));
        Await.until("the test handlers", () -> shell("kim:cmds").contains("\n" + BIG_REPLY + " "));
        Await.until("no client connections left from other tests", () -> stats().openConnections() == 0);
    }

    @After
    public void unregisterHandlers() {
        gateOfBlockingCalls.countDown();
        handlers.forEach(ServiceRegistration::unregister);
    }

    private void register(int cmd, boolean nonBlocking, CommandHandler handler) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(CommandHandler.CMD, cmd);
        properties.put(CommandHandler.NON_BLOCKING, nonBlocking);
        handlers.add(context.registerService(CommandHandler.class, handler, properties));
    }

    private static int port() {
        return KimServer.gatePort();
    }

    private String shell(String command) {
        return KimShell.runOrFail(commands, command);
    }

    private GateStatistics stats() {
        return diagnostics.statistics();
    }

    private long buffered() {
        return stats().bufferedBytes();
    }

    /** A request/reply round trip of a well-behaved client on a new connection. */
    private void aNormalClientIsServed() throws IOException {
        try (WireClient client = new WireClient(port())) {
            WireClient.Frame reply = client.send(request(ECHO, 77, "still here")).read();
            assertEquals(0, reply.code());
            assertEquals("still here", reply.data());
        }
    }

    private static byte[] pipelined(int cmd, int firstSeq, int count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            out.writeBytes(request(cmd, firstSeq + i, Integer.toString(firstSeq + i)));
        }
        return out.toByteArray();
    }

    /** Writes {@code frames} again and again without reading until no byte goes out for a second; returns the bytes. */
    private static long writeUntilBlocked(SocketChannel channel, byte[] frames, long limit) throws Exception {
        ByteBuffer buffer = ByteBuffer.wrap(frames);
        long written = 0;
        long lastProgress = System.nanoTime();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (written < limit && System.nanoTime() - lastProgress < TimeUnit.SECONDS.toNanos(1)
                && System.nanoTime() < end) {
            if (!buffer.hasRemaining()) {
                buffer.rewind();
            }
            int n = channel.write(buffer);
            if (n > 0) {
                written += n;
                lastProgress = System.nanoTime();
            } else {
                Thread.sleep(5);
            }
        }
        return written;
    }

    @Test
    public void aClientThatNeverReadsIsHeldToABoundAndItsSendsBlock() throws Exception {
        long limit = 256L << 20;
        try (SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port()))) {
            channel.configureBlocking(false);
            long written = writeUntilBlocked(channel, pipelined(ECHO, 1, 1000), limit);
            // What the client could send is what the kernel's socket buffers on both ends take, plus the little
            // the server holds: a few MB, not the gigabytes of a server that never stops reading.
            assertTrue("the client's sends block within a few MB; it wrote " + written, written < 32 << 20);
            assertTrue("the server holds little for it: " + buffered(), buffered() < 1 << 20);
            aNormalClientIsServed();
        }
    }

    @Test
    public void requestsQueueBehindABlockingHandlerOnlyUpToTheLimit() throws Exception {
        gateOfBlockingCalls = new CountDownLatch(1);
        int count = 20_000;
        long commandsBefore = stats().commands();
        try (Socket socket = new Socket()) {
            socket.setSendBufferSize(16 << 10); // so that the kernel's buffers cannot take every request
            socket.connect(new InetSocketAddress("127.0.0.1", port()));
            socket.setSoTimeout(30_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    socket.getOutputStream().write(pipelined(BLOCKING, 1, count));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until("the queue to fill", () -> stats().commands() - commandsBefore >= 1025);
            Thread.sleep(500);
            assertEquals("one call at work and 1,024 waiting; the rest is not read", 1025,
                    stats().commands() - commandsBefore);
            assertEquals(1, blockingCallsStarted.get());
            assertTrue("what waits is bounded: " + buffered(), buffered() < 1 << 20);
            assertFalse("the client's send is blocked", writer.isDone());

            gateOfBlockingCalls.countDown();
            InputStream in = socket.getInputStream();
            for (int seq = 1; seq <= count; seq++) {
                WireClient.Frame reply = WireClient.read(in);
                assertEquals(seq, reply.seq());
                assertEquals(Integer.toString(seq), reply.data());
            }
            writer.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    public void slowByteClientsAreClosedAtTheFrameDeadlineWhileOthersAreServed() throws Exception {
        long before = stats().frameTimeouts();
        byte[] frame = request(ECHO, 1, "a frame that arrives one byte at a time, far too slowly for its deadline");
        List<SocketChannel> open = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port()));
            channel.configureBlocking(false);
            open.add(channel);
        }
        long start = System.nanoTime();
        try {
            // A byte every 100 ms from each: any byte would reset keep_alive, but a frame must be whole in time.
            for (int at = 0; at < frame.length && !open.isEmpty(); at++) {
                for (SocketChannel channel : new ArrayList<>(open)) {
                    try {
                        channel.write(ByteBuffer.wrap(frame, at, 1));
                        if (channel.read(ByteBuffer.allocate(1)) == -1) {
                            open.remove(channel);
                            channel.close();
                        }
                    } catch (IOException e) {
                        open.remove(channel); // reset after the server's close
                        channel.close();
                    }
                }
                aNormalClientIsServed();
                Thread.sleep(100);
            }
        } finally {
            for (SocketChannel channel : open) {
                channel.close();
            }
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue("every slow client closed, " + open.size() + " still open", open.isEmpty());
        assertTrue("closed about frame_timeout_ms after the first byte, took " + millis + " ms",
                millis >= FRAME_TIMEOUT_MS && millis < 5 * FRAME_TIMEOUT_MS);
        assertEquals(before + 20, stats().frameTimeouts());
    }

    @Test
    public void largePartialFramesAreHeldWithinTheMemoryBudget() throws Exception {
        long refusedBefore = stats().refusedByMemoryBudget();
        int bodyLength = 1_000_000;
        byte[] start = new byte[15 + 100_000];
        ByteBuffer.wrap(start).order(java.nio.ByteOrder.LITTLE_ENDIAN).put((byte) 0x0D).putInt(ECHO)
                .put((byte) 0x15).putInt(1).put((byte) 0x1D).putInt(bodyLength);
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                Socket socket = new Socket("127.0.0.1", port());
                sockets.add(socket);
                socket.getOutputStream().write(start);
                Thread.sleep(50); // one after the other, as the budget sees them
            }
            Await.until("the frames beyond the budget refused",
                    () -> stats().refusedByMemoryBudget() - refusedBefore >= 12);
            long admitted = 20 - (stats().refusedByMemoryBudget() - refusedBefore);
            assertEquals("as many 1 MB frames as 8 MB hold", MAX_BUFFERED_MB, admitted);
            assertTrue("within the budget: " + buffered(), buffered() <= (long) MAX_BUFFERED_MB << 20);
            aNormalClientIsServed();
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        Await.until("the memory of the partial frames given back once their clients left",
                () -> buffered() == 0);
    }

    @Test
    public void repliesOwedAreDeliveredBeforeTheCloseAfterAMalformedFrame() throws Exception {
        byte[] badHead = request(ECHO, 2, "x");
        badHead[10] = 0x1E;
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(concat(request(BIG_REPLY, 1, "big"), badHead, new byte[65536]));
            Thread.sleep(1000); // the server has long seen the bad head by now
            InputStream in = socket.getInputStream();
            WireClient.Frame reply = WireClient.read(in);
            assertEquals(1, reply.seq());
            assertEquals(BIG_REPLY_SIZE, reply.body().getData().size());
            assertEquals("then a clean end of stream, no reset", -1, in.read());
        }
    }

    @Test
    public void aClosingConnectionReadsWhatTheClientStillSendsSoItsRepliesSurvive() throws Exception {
        byte[] badHead = request(ECHO, 0, "x");
        badHead[5] = 0x16;
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(concat(pipelined(ECHO, 1, 1000), badHead));
            // The replies are written, then the FIN; the client goes on sending for longer than the 2 s a closing
            // connection waits for a client that sends nothing, and reads only then.
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3000);
            while (System.nanoTime() < until) {
                socket.getOutputStream().write(new byte[1000]);
                Thread.sleep(5);
            }
            InputStream in = socket.getInputStream();
            for (int seq = 1; seq <= 1000; seq++) {
                assertEquals(seq, WireClient.read(in).seq());
            }
            assertEquals("a FIN, no reset", -1, in.read());
        }
    }

    @Test
    public void aClientThatShutsItsWriteSideGetsEveryReplyOwed() throws Exception {
        gateOfBlockingCalls = new CountDownLatch(1);
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(pipelined(BLOCKING, 1, 3));
            socket.shutdownOutput();
            Thread.sleep(300);
            gateOfBlockingCalls.countDown();
            InputStream in = socket.getInputStream();
            for (int seq = 1; seq <= 3; seq++) {
                assertEquals(seq, WireClient.read(in).seq());
            }
            assertEquals(-1, in.read());
        }
    }

    @Test
    public void aClientThatShutsItsWriteSideBehindAFullQueueGetsEveryReply() throws Exception {
        int count = 3000; // more than the 1,024 that wait behind a blocking handler before reading stops
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(pipelined(BLOCKING, 1, count));
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            for (int seq = 1; seq <= count; seq++) {
                assertEquals(seq, WireClient.read(in).seq());
            }
            assertEquals(-1, in.read());
        }
    }

    @Test
    public void aBadHeadBehindAFullQueueIsCountedAndClosesOnceTheRepliesAreOut() throws Exception {
        long malformed = stats().malformedFrames();
        long late = stats().frameTimeouts();
        byte[] badHead = request(ECHO, 1, "x");
        badHead[0] = 0x0E;
        int count = 2000;
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(concat(pipelined(BLOCKING, 1, count), badHead));
            InputStream in = socket.getInputStream();
            for (int seq = 1; seq <= count; seq++) {
                assertEquals(seq, WireClient.read(in).seq());
            }
            assertEquals(-1, in.read());
        }
        assertEquals("decided from the head, not left to the frame deadline", malformed + 1,
                stats().malformedFrames());
        assertEquals(late, stats().frameTimeouts());
    }

    @Test
    public void framesJustUnderAnyCheapSizeAreHeldWithinTheBudgetToo() throws Exception {
        long refusedBefore = stats().refusedByMemoryBudget();
        int bodyLength = 65_000; // near 64 KiB: a body that many partial frames could hold each
        byte[] start = new byte[15 + bodyLength - 100];
        ByteBuffer.wrap(start).order(java.nio.ByteOrder.LITTLE_ENDIAN).put((byte) 0x0D).putInt(ECHO)
                .put((byte) 0x15).putInt(1).put((byte) 0x1D).putInt(bodyLength);
        List<SocketChannel> channels = new ArrayList<>();
        try {
            // 150 connections (max_clients is 200), from ten loopback addresses (max_clients_per_ip is 40): the
            // 8 MB budget holds about 128 such frames.
            for (int i = 0; i < 150; i++) {
                SocketChannel channel = SocketChannel.open();
                channel.bind(new InetSocketAddress("127.0.0." + (2 + i % 10), 0));
                channel.connect(new InetSocketAddress("127.0.0.1", port()));
                channels.add(channel);
                channel.write(ByteBuffer.wrap(start));
            }
            Await.until("the frames beyond the budget refused",
                    () -> stats().refusedByMemoryBudget() - refusedBefore >= 15);
            // A connection being refused holds what was read of it until it is closed (seen: 375 bytes over).
            Await.until("what is held within the budget",
                    () -> buffered() <= (long) MAX_BUFFERED_MB << 20);
            aNormalClientIsServed();
        } finally {
            for (SocketChannel channel : channels) {
                channel.close();
            }
        }
        Await.until("their memory given back", () -> buffered() == 0);
    }

    @Test
    public void aConfigurationChangeKeepsTheOpenConnectionsAndTheirCallsInProgress() throws Exception {
        Path config = KimServer.home(context).resolve("etc/kimserver.json");
        Path log = KimServer.home(context).resolve("log/kimserver.log");
        String original = Files.readString(config);
        long listenersBefore = linesWith(log, "GateServer - gate listening on");
        long changesBefore = linesWith(log, "gate configuration changed in place");
        gateOfBlockingCalls = new CountDownLatch(1);
        try (WireClient old = new WireClient(port())) {
            old.send(request(BLOCKING, 1, "in progress across the change"));
            Await.until("the blocking call to start", () -> blockingCallsStarted.get() == 1);
            Files.writeString(config, original.replace("\"keep_alive\": " + KEEP_ALIVE_MS,
                    "\"keep_alive\": " + (KEEP_ALIVE_MS + 1)));
            Await.until("the change applied", () -> linesWith(log, "gate configuration changed in place")
                    == changesBefore + 1);
            aNormalClientIsServed();
            gateOfBlockingCalls.countDown();
            assertEquals("the old connection's call answered", 1, old.read().seq());
            assertEquals("and the connection still served", "after", old.send(request(ECHO, 2, "after")).read()
                    .data());
            assertEquals("no new listener for a new keep_alive", listenersBefore,
                    linesWith(log, "GateServer - gate listening on"));
        } finally {
            Files.writeString(config, original);
        }
        Await.until("the original configuration back", () -> linesWith(log,
                "gate configuration changed in place") == changesBefore + 2);
        aNormalClientIsServed();
    }

    /** How many lines of the log contain the text. */
    private static long linesWith(Path log, String text) {
        try {
            return Files.readAllLines(log).stream().filter(l -> l.contains(text)).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    public void connectionsBeyondMaxClientsPerIpAreRefused() throws Exception {
        long before = stats().refusedMaxClientsPerIp();
        List<WireClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CLIENTS_PER_IP; i++) {
                WireClient client = new WireClient(port());
                clients.add(client);
                assertEquals(0, client.send(request(ECHO, i, "x")).read().code());
            }
            try (WireClient extra = new WireClient(port())) {
                assertTrue("closed at once", extra.closedByServer(1000));
            }
            assertEquals(before + 1, stats().refusedMaxClientsPerIp());
        } finally {
            for (WireClient client : clients) {
                client.close();
            }
        }
    }

    @Test
    public void aFloodOfBadFramesIsLoggedAtABoundedRateAndCountedExactly() throws Exception {
        long before = stats().malformedFrames();
        // A head with a marker in its cmd, so that this test's log lines can be told from the others'.
        byte[] bad = request(0x7A7A7A7A, 1, "x");
        bad[5] = 0x16;
        for (int i = 0; i < 50; i++) {
            try (Socket socket = new Socket("127.0.0.1", port())) {
                socket.getOutputStream().write(bad);
                socket.setSoTimeout(5000);
                assertEquals(-1, socket.getInputStream().read());
            }
        }
        assertEquals(before + 50, stats().malformedFrames());
        Path log = KimServer.home(context).resolve("log/kimserver.log");
        long logged = Files.readAllLines(log).stream().filter(l -> l.contains("malformed frame head 0d7a7a7a7a"))
                .count();
        // 5 lines a kind per 10 s window; the flood, well under 10 s, may straddle the end of one window and the
        // start of the next: at most 10, not one per bad client.
        assertTrue("at most 5 lines a kind per 10 s window, not one per bad client: " + logged, logged <= 10);
    }

    @Test
    public void dataInALogMessageCannotForgeALine() throws Exception {
        String marker = "forged-" + System.nanoTime();
        String forged = "[INFO][M0][1][2026-01-01 00:00:00.000][x] " + marker;
        LoggerFactory.getLogger("org.kimserver.itest").warn("client said: {}",
                "hi\r\n" + forged + " \u001b[31mred\u0000 \u2028next",
                new IllegalStateException("bad request\n" + forged + " in an exception"));
        Path log = KimServer.home(context).resolve("log/kimserver.log");
        Await.until("the message in the log", () -> {
            try {
                return Files.readString(log).contains(marker + " in an exception");
            } catch (IOException e) {
                return false;
            }
        });
        List<String> lines = Files.readAllLines(log);
        List<String> matching = lines.stream().filter(l -> l.contains(marker)).toList();
        assertEquals(matching.toString(), 2, matching.size());
        String message = matching.get(0);
        assertTrue(message, message.startsWith("[WARN][M0]"));
        assertTrue(message, message.contains("client said: hi\\r\\n" + forged + " ?[31mred? ?next"));
        assertEquals("the exception's second line is indented, not a line of its own", "\t" + forged
                + " in an exception", matching.get(1));
        assertFalse(lines.stream().anyMatch(l -> l.startsWith(forged)));
    }
}
