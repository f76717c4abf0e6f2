package org.kimserver.supervisor.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.proto.Module;
import org.kimserver.proto.ModuleReport;
import org.kimserver.proto.Payload;
import org.kimserver.proto.WorkerHello;
import org.kimserver.proto.WorkerProblem;
import org.kimserver.proto.WorkerState;
import org.kimserver.wire.Frames;
import org.kimserver.wire.MsgBodyView;
import org.kimserver.worker.internal.ControlClient;
import org.kimserver.worker.internal.GateReadiness;

/** The control protocol end to end in one JVM: the manager's server and the worker's client over a real socket. */
public class ControlLinkTest {
    private Path dir;
    private ControlServer server;
    private final List<WorkerHello> hellos = new CopyOnWriteArrayList<>();
    private final List<Payload> payloads = new CopyOnWriteArrayList<>();
    private final List<WorkerState> states = new CopyOnWriteArrayList<>();
    private final List<Integer> closed = new CopyOnWriteArrayList<>();
    private final List<ModuleReport> modules = new CopyOnWriteArrayList<>();
    private final AtomicReference<ModuleReport> deployed = new AtomicReference<>(ModuleReport.getDefaultInstance());
    private volatile long counter;

    @Before
    public void listen() throws Exception {
        dir = Files.createTempDirectory("kimc");
        server = ControlServer.listen(dir.resolve("c.sock"), new ControlServer.Listener() {
            @Override
            public String registered(Channel link, WorkerHello hello) {
                hellos.add(hello);
                return hello.getWorkerIndex() == 7 ? "invalid worker index 7 (1..2)" : null;
            }

            @Override
            public void payload(int index, Payload payload) {
                payloads.add(payload);
            }

            @Override
            public void state(int index, WorkerState state) {
                states.add(state);
            }

            @Override
            public void modules(int index, ModuleReport report) {
                modules.add(report);
            }

            @Override
            public void closed(int index, Channel link) {
                closed.add(index);
            }
        });
    }

    @After
    public void close() throws Exception {
        server.close();
        Files.deleteIfExists(dir);
    }

    private ControlClient.Sample sample() {
        counter += 5;
        return new ControlClient.Sample(3, counter, counter, counter * 10, counter, counter * 20,
                new GateReadiness(GateReadiness.LISTENING, null, "127.0.0.1:1"), 1000, 2000, deployed.get(),
                List.of(WorkerProblem.newBuilder().setSubject("bundle 7 x").setReason("not resolved").setSinceMs(5)
                        .build()));
    }

    @Test
    public void registersThenReportsEverySecondTheCountsSinceTheLastReport() throws Exception {
        CountDownLatch lost = new CountDownLatch(1);
        try (ControlClient client = ControlClient.connect(dir.resolve("c.sock"), 2, 4242, this::sample,
                lost::countDown)) {
            long start = System.nanoTime();
            await(() -> payloads.size() >= 3, 5000);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue("3 reports took " + seconds + " s: one a second", seconds > 2.5 && seconds < 4.5);
            assertEquals(1, hellos.size());
            assertEquals(2, hellos.get(0).getWorkerIndex());
            assertEquals(4242, hellos.get(0).getPid());
            assertEquals("listening", hellos.get(0).getState().getGateState());
            Payload p = payloads.get(1);
            assertEquals(2, p.getWorkerIndex());
            assertEquals(3, p.getConnCnt());
            assertEquals("counts since the previous report", 5, p.getCmdCnt());
            assertEquals(50, p.getReadBytes());
            assertEquals(100, p.getWriteBytes());
            assertTrue(p.getCreateTime() > 0);
            await(() -> !states.isEmpty(), 2000);
            assertEquals(1000, states.get(0).getHeapUsed());
            assertEquals("bundle 7 x", states.get(0).getProblems(0).getSubject());
            assertEquals(5, states.get(0).getProblems(0).getSinceMs());
            assertTrue(client.isOpen());
            assertEquals("the client closing is not the manager going", 1, lost.getCount());
        }
        assertFalse(lost.await(500, TimeUnit.MILLISECONDS));
    }

    @Test
    public void aChangeOfTheGateStateIsReportedAtOnceAndAnUnchangedOneNotAtAll() throws Exception {
        AtomicReference<GateReadiness> gate = new AtomicReference<>(
                new GateReadiness(GateReadiness.STARTING, null, null));
        CountDownLatch lost = new CountDownLatch(1);
        ControlClient closedClient;
        try (ControlClient client = ControlClient.connect(dir.resolve("c.sock"), 1, 1,
                () -> new ControlClient.Sample(0, 0, 0, 0, 0, 0, gate.get(), 1, 2, ModuleReport.getDefaultInstance(),
                        List.of()),
                lost::countDown)) {
            closedClient = client;
            await(() -> hellos.size() == 1, 2000);
            assertEquals("starting", hellos.get(0).getState().getGateState());
            // Told of a change that is none (a service of another gate came): nothing is sent.
            client.gateStateChanged();
            gate.set(new GateReadiness(GateReadiness.LISTENING, null, "127.0.0.1:1"));
            client.gateStateChanged();
            client.gateStateChanged();
            await(() -> !states.isEmpty(), 2000);
            // The reports of every second send the payload first: a state before any payload is the immediate one.
            assertTrue("the change was reported before the first report of the second", payloads.isEmpty());
            assertEquals("listening", states.get(0).getGateState());
            await(() -> payloads.size() >= 1 && states.size() >= 2, 3000);
            assertEquals("one immediate report for one change, then the report of the second", 2, states.size());
        }
        // After the link closed there is no one to tell, and no error either.
        gate.set(new GateReadiness(GateReadiness.FAILED, "gone", "127.0.0.1:1"));
        closedClient.gateStateChanged();
    }

    @Test
    public void aChangeOfTheModulesIsReportedAtOnce() throws Exception {
        CountDownLatch lost = new CountDownLatch(1);
        try (ControlClient client = ControlClient.connect(dir.resolve("c.sock"), 1, 1, this::sample,
                lost::countDown)) {
            await(() -> hellos.size() == 1, 2000);
            ModuleReport report = ModuleReport.newBuilder().addModules(Module.newBuilder().setFile("m.jar")
                    .setDigest("ab").setSymbolicName("m").setVersion("1.0.1").setState("serving").setCalls(7)
                    .setFailures(1)).build();
            deployed.set(report);
            long told = System.nanoTime();
            client.modulesChanged();
            await(() -> modules.contains(report), 2000);
            assertTrue("reported at once, not with the report of the second",
                    (System.nanoTime() - told) / 1_000_000 < 500 && payloads.isEmpty());
            await(() -> payloads.size() >= 1 && modules.size() >= 2, 3000);
            assertEquals("every second's report carries the modules too", report, modules.get(modules.size() - 1));
        }
    }

    @Test
    public void theWorkerNoticesWhenTheManagerCloses() throws Exception {
        CountDownLatch lost = new CountDownLatch(1);
        try (ControlClient client = ControlClient.connect(dir.resolve("c.sock"), 1, 1, this::sample,
                lost::countDown)) {
            await(() -> hellos.size() == 1, 2000);
            server.close();
            assertTrue("the worker side noticed the link closing", lost.await(2, TimeUnit.SECONDS));
            assertFalse(client.isOpen());
        }
    }

    @Test
    public void aRefusedRegistrationClosesTheLink() throws Exception {
        CountDownLatch lost = new CountDownLatch(1);
        try (ControlClient client = ControlClient.connect(dir.resolve("c.sock"), 7, 1, this::sample,
                lost::countDown)) {
            assertTrue("refused: the link closes", lost.await(2, TimeUnit.SECONDS));
            assertTrue("no report reaches the manager from a refused link", payloads.isEmpty());
            assertTrue("a link that never registered is not reported closed", closed.isEmpty());
        }
    }

    @Test
    public void aCommandTheManagerDoesNotServeClosesTheLink() throws Exception {
        // A raw client sends a well-framed request of an unknown command: answered with code 4, then closed.
        try (var raw = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("c.sock")))) {
            var out = Unpooled.buffer();
            Frames.writeRequest(out, 998, 1, new byte[] {1});
            raw.write(out.nioBuffer());
            ByteBuffer in = ByteBuffer.allocate(256);
            int total = 0;
            int n;
            while ((n = raw.read(in)) > 0) {
                total += n;
            }
            assertEquals("closed after the reply", -1, n);
            var reply = Unpooled.wrappedBuffer(in.array(), 0, total);
            assertEquals(999, Frames.cmd(reply, 0));
            MsgBodyView body = new MsgBodyView();
            assertTrue(body.parse(reply, 15, Frames.bodyLength(reply, 0)));
            assertEquals(4, body.code());
        }
    }

    static void await(BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("not within " + millis + " ms");
            }
            Thread.sleep(20);
        }
    }
}
