package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.felix.framework.Felix;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.api.Reply;
import org.kimserver.api.diag.ProblemReporter;
import org.kimserver.handoff.internal.ConnectionHandoff;
import org.kimserver.wire.Frames;
import org.kimserver.wire.MsgBodyView;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;

/**
 * The connection hand-off end to end in one JVM: the manager's hand-off ({@link ConnectionHandoff}) and two workers'
 * gates ({@link GateServer}, each in a bare Felix framework with the properties a worker is started with). A real
 * TCP client connects to the manager's port and is answered by a worker's handler.
 */
public class HandoffGateTest {
    private Path folder;
    private ConnectionHandoff manager;
    private int port;
    private final List<Worker> workers = new ArrayList<>();

    /** A worker's gate; its hello handler answers with the worker's tag. */
    private final class Worker implements AutoCloseable {
        final String tag;
        final Felix framework;
        final GateServer gate = new GateServer();
        final GateCounters counters = new GateCounters();

        Worker(String tag, Map<String, Object> config) throws Exception {
            this.tag = tag;
            framework = new Felix(Map.of("org.osgi.framework.storage", folder.resolve(tag).toString(),
                    "org.osgi.framework.storage.clean", "onFirstInit", "kimserver.process", tag,
                    "kimserver.handoff", manager.socketPath().toString()));
            framework.start();
            HandlerRegistry registry = new HandlerRegistry();
            registry.add(new HandlerEntry(request -> Reply.ok("ok", tag), 1001, true, "test", Version.emptyVersion,
                    1, 0));
            set("registry", registry);
            set("counters", counters);
            gate.activate(config(config), framework.getBundleContext());
            workers.add(this);
        }

        private void set(String field, Object value) throws ReflectiveOperationException {
            Field f = GateServer.class.getDeclaredField(field); // an @Reference SCR would set
            f.setAccessible(true);
            f.set(gate, value);
        }

        /** A property of the gate's service, as the launcher reads it. */
        Object property(String key) {
            try {
                ServiceReference<?>[] found = framework.getBundleContext()
                        .getServiceReferences(ProblemReporter.class.getName(), "(kim.gate.state=*)");
                return found == null ? null : found[0].getProperty(key);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public void close() throws Exception {
            gate.deactivate();
            framework.stop();
            framework.waitForStop(10_000);
        }
    }

    private GateConfig config(Map<String, Object> overrides) {
        Map<String, Object> values = new HashMap<>(Map.of("gate_host", "127.0.0.1", "gate_port", port,
                "io_threads", 1, "max_clients", 100, "stop_timeout_ms", 1000));
        values.putAll(overrides);
        return (GateConfig) Proxy.newProxyInstance(GateConfig.class.getClassLoader(), new Class<?>[] {GateConfig.class},
                (proxy, method, args) -> values.containsKey(method.getName()) ? values.get(method.getName())
                        : method.getDefaultValue());
    }

    @Before
    public void startManager() throws Exception {
        folder = Files.createTempDirectory(Path.of("/tmp"), "gate-handoff");
        manager = ConnectionHandoff.open(folder.resolve("h.sock"), 2);
        port = manager.listen("127.0.0.1", 0).getPort();
    }

    @After
    public void stopAll() throws Exception {
        for (Worker worker : workers) {
            worker.close();
        }
        manager.close();
        try (Stream<Path> all = Files.walk(folder)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 6_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within 6 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    private void awaitConnected(String... tags) throws InterruptedException {
        await("workers " + List.of(tags) + " connected to the hand-off", () -> manager.statistics("", "", null)
                .connectedWorkers().stream().sorted().toList().equals(List.of(tags)));
    }

    /** A client of the manager's port. */
    private final class Client implements AutoCloseable {
        final Socket socket;

        Client() throws IOException {
            this(port);
        }

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(5000);
        }

        /** Sends a hello and returns the answering worker's tag; checks the reply's head. */
        String hello(int seq) throws IOException {
            ByteBuf request = Unpooled.buffer();
            Frames.writeRequest(request, 1001, seq, "hello world!".getBytes(StandardCharsets.UTF_8));
            byte[] bytes = new byte[request.readableBytes()];
            request.readBytes(bytes);
            socket.getOutputStream().write(bytes);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] head = new byte[Frames.HEAD_LENGTH];
            in.readFully(head);
            ByteBuf headBuf = Unpooled.wrappedBuffer(head);
            assertEquals(1002, Frames.cmd(headBuf, 0));
            assertEquals(seq, Frames.seq(headBuf, 0));
            byte[] body = new byte[Frames.bodyLength(headBuf, 0)];
            in.readFully(body);
            MsgBodyView view = new MsgBodyView();
            assertTrue(view.parse(Unpooled.wrappedBuffer(body), 0, body.length));
            assertEquals(0, view.code());
            return new String(view.data(), StandardCharsets.UTF_8);
        }

        /** Whether the server closes this connection (end of stream or a reset) within {@code millis}. */
        boolean closedByServer(int millis) throws IOException {
            socket.setSoTimeout(millis);
            try {
                return socket.getInputStream().read() == -1;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException reset) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    public void aClientOfTheManagersPortIsAnsweredByTheWorkersInTurn() throws Exception {
        Worker w1 = new Worker("W1", Map.of());
        Worker w2 = new Worker("W2", Map.of());
        for (Worker worker : List.of(w1, w2)) {
            assertEquals("listening", worker.property("kim.gate.state"));
            assertEquals("127.0.0.1:" + port, worker.property("kim.gate.address"));
        }
        awaitConnected("W1", "W2");
        List<String> answeredBy = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            try (Client client = new Client()) {
                answeredBy.add(client.hello(i));
                assertEquals("the same connection stays with its worker", answeredBy.get(i - 1), client.hello(100 + i));
            }
        }
        for (int i = 2; i < 6; i++) {
            assertEquals("round-robin: " + answeredBy, answeredBy.get(i - 2), answeredBy.get(i));
        }
        assertTrue(answeredBy.toString(), answeredBy.containsAll(List.of("W1", "W2")));
        assertEquals("counted as the gate's own connections", 3, w1.counters.accepted.sum());
        assertEquals(3, w2.counters.accepted.sum());
    }

    @Test
    public void aWorkerThatStopsGetsNoMoreConnectionsAndNoClientIsDropped() throws Exception {
        Worker w1 = new Worker("W1", Map.of());
        Worker w2 = new Worker("W2", Map.of());
        awaitConnected("W1", "W2");
        try (Client before = new Client()) {
            assertTrue(List.of("W1", "W2").contains(before.hello(1)));
        }
        w2.close();
        workers.remove(w2);
        // At once, without waiting for the manager to see the link close.
        for (int i = 1; i <= 20; i++) {
            try (Client client = new Client()) {
                assertEquals("client " + i + " after W2 stopped", "W1", client.hello(i));
            }
        }
        assertEquals(List.of("W1"), manager.statistics("", "", null).connectedWorkers());
        assertEquals(0, manager.statistics("", "", null).closedWithoutWorker());
        assertTrue(w1.counters.accepted.sum() >= 20);
    }

    @Test
    public void clientsConnectingWhileAWorkerStopsAreAllAnswered() throws Exception {
        Worker w1 = new Worker("W1", Map.of());
        Worker w2 = new Worker("W2", Map.of());
        awaitConnected("W1", "W2");
        AtomicBoolean connecting = new AtomicBoolean(true);
        AtomicInteger answered = new AtomicInteger();
        List<String> failed = new CopyOnWriteArrayList<>();
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            clients.add(Thread.ofPlatform().start(() -> {
                for (int seq = 1; connecting.get(); seq++) {
                    try (Client client = new Client()) {
                        client.hello(seq);
                        answered.incrementAndGet();
                    } catch (IOException | AssertionError e) {
                        failed.add(e.toString());
                    }
                }
            }));
        }
        Thread.sleep(300);
        // Sockets the manager sends while W2 stops are taken by W2 (and served before its stop ends) or by W1.
        w2.close();
        workers.remove(w2);
        Thread.sleep(300);
        connecting.set(false);
        for (Thread client : clients) {
            client.join(10_000);
        }
        assertEquals("of " + (answered.get() + failed.size()), List.of(), failed);
        assertEquals(0, manager.statistics("", "", null).closedWithoutWorker());
        assertTrue(w1.counters.accepted.sum() > 0);
    }

    @Test
    public void aHandedConnectionMeetsTheGatesLimitsAsAnAcceptedOne() throws Exception {
        Worker w1 = new Worker("W1", Map.of("max_clients", 1));
        awaitConnected("W1");
        try (Client first = new Client(); Client second = new Client()) {
            assertEquals("W1", first.hello(1));
            assertTrue("over max_clients: closed at once", second.closedByServer(2000));
            assertEquals(1, w1.counters.refused.sum());
            assertEquals("W1", first.hello(2));
        }
    }

    @Test
    public void whenTheManagerGoesTheGateSaysItFailedAndServesItsOpenConnections() throws Exception {
        Worker w1 = new Worker("W1", Map.of());
        awaitConnected("W1");
        try (Client client = new Client()) {
            assertEquals("W1", client.hello(1));
            manager.close();
            await("the gate to say it failed", () -> "failed".equals(w1.property("kim.gate.state")));
            Object error = w1.property("kim.gate.error");
            assertNotNull(error);
            assertTrue(error.toString(), error.toString().contains("hand-off link"));
            assertEquals("127.0.0.1:" + port, w1.property("kim.gate.address"));
            assertEquals("a connection it holds is still served", "W1", client.hello(2));
        }
    }

    @Test
    public void noHandoffSocketThereIsAFailureWithTheReason() throws Exception {
        manager.close();
        Files.deleteIfExists(manager.socketPath());
        Worker w1 = new Worker("W1", Map.of());
        assertEquals("failed", w1.property("kim.gate.state"));
        assertTrue(String.valueOf(w1.property("kim.gate.error")),
                String.valueOf(w1.property("kim.gate.error")).contains("hand-off socket " + manager.socketPath()));
    }

    @Test
    public void withReusePortTheGateListensItselfAndIgnoresTheHandoff() throws Exception {
        Worker w1 = new Worker("W1", Map.of("is_reuseport", true, "gate_port", 0));
        assertEquals("listening", w1.property("kim.gate.state"));
        String address = (String) w1.property("kim.gate.address");
        assertEquals(List.of(), manager.statistics("", "", null).connectedWorkers());
        int own = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        assertTrue("a port of its own", own != port);
        try (Client client = new Client(own)) {
            assertEquals("W1", client.hello(1));
        }
    }
}
