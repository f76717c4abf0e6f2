package org.kimserver.handoff.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.felix.framework.Felix;
import org.junit.After;
import org.junit.Test;
import org.kimserver.config.RuntimeSocket;
import org.kimserver.handoff.HandoffDiagnostics;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The hand-off component in a real (bare) Felix framework: the service and properties the launcher and the
 * supervisor read, the socket's place, and a gate port that is taken.
 */
public class HandoffServerTest {
    private Path home;
    private Felix framework;
    private HandoffServer server;

    private static HandoffServer.Config config(String host, int port, boolean reusePort) {
        Map<String, Object> values = Map.of("gate_host", host, "gate_port", port, "is_reuseport", reusePort);
        return (HandoffServer.Config) Proxy.newProxyInstance(HandoffServer.Config.class.getClassLoader(),
                new Class<?>[] {HandoffServer.Config.class}, (proxy, method, args) -> values.get(method.getName()));
    }

    private BundleContext start(Path home) throws Exception {
        this.home = home;
        framework = new Felix(Map.of("org.osgi.framework.storage", home.resolve("cache").toString(),
                "org.osgi.framework.storage.clean", "onFirstInit", "kimserver.home", home.toString()));
        framework.start();
        return framework.getBundleContext();
    }

    @After
    public void stop() throws Exception {
        if (server != null) {
            server.deactivate();
        }
        if (framework != null) {
            framework.stop();
            framework.waitForStop(10_000);
        }
        if (home != null) {
            try (Stream<Path> all = Files.walk(home)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private ServiceReference<?> handoffService(BundleContext context) throws Exception {
        ServiceReference<?>[] found = context.getServiceReferences(HandoffDiagnostics.class.getName(), null);
        return found == null ? null : found[0];
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 6_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within 6 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    private static Object property(BundleContext context, String key) {
        try {
            ServiceReference<?>[] found = context.getServiceReferences(HandoffDiagnostics.class.getName(), null);
            return found == null ? null : found[0].getProperty(key);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    public void aTakenPortIsReportedAsFailedWithTheReasonAndTakenOnceFree() throws Exception {
        BundleContext context = start(Files.createTempDirectory(Path.of("/tmp"), "kh"));
        ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        int port = taken.getLocalPort();
        server = new HandoffServer();
        server.activate(config("127.0.0.1", port, false), context);

        ServiceReference<?> service = handoffService(context);
        assertEquals("failed", service.getProperty("kim.gate.state"));
        assertEquals("127.0.0.1:" + port, service.getProperty("kim.gate.address"));
        assertTrue(String.valueOf(service.getProperty("kim.gate.error")),
                String.valueOf(service.getProperty("kim.gate.error")).contains("Address already in use"));
        Path socket = Path.of((String) service.getProperty(HandoffDiagnostics.SOCKET_PROPERTY));
        assertEquals("the hand-off socket listens while the port is taken, so workers can start",
                home.resolve("data/run/handoff.sock").toAbsolutePath(), socket);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        assertEquals(1, server.problems().size());

        taken.close();
        await("listening once the port is free", () -> "listening".equals(property(context, "kim.gate.state")));
        assertNull(property(context, "kim.gate.error"));
        assertTrue(server.problems().isEmpty());

        server.deactivate();
        server = null;
        assertNull("unregistered", handoffService(context));
        assertFalse("socket removed", Files.exists(socket));
    }

    @Test
    public void withReusePortOrNoGateHostThereIsNoHandoffAndNoService() throws Exception {
        BundleContext context = start(Files.createTempDirectory(Path.of("/tmp"), "kh"));
        server = new HandoffServer();
        server.activate(config("127.0.0.1", 0, true), context);
        assertNull(handoffService(context));
        server.modified(config("127.0.0.1", 0, false));
        assertEquals("listening", property(context, "kim.gate.state"));
        server.modified(config("", 0, false));
        assertNull(handoffService(context));
        assertFalse(Files.exists(home.resolve("data/run/handoff.sock")));
    }

    /** Where the short socket goes and what is removed is RuntimeSocket's (tested there): the workers get it. */
    @Test
    public void aDeepHomeGivesTheWorkersTheShortSocket() throws Exception {
        Path deep = Files.createTempDirectory(Path.of("/tmp"), "kh");
        Path home = deep.resolve("x".repeat(60)).resolve("y".repeat(60));
        Files.createDirectories(home);
        BundleContext context = start(home);
        this.home = deep;
        server = new HandoffServer();
        server.activate(config("127.0.0.1", 0, false), context);
        String socket = (String) property(context, HandoffDiagnostics.SOCKET_PROPERTY);
        assertTrue(socket, RuntimeSocket.fits(Path.of(socket)));
        Path link = home.resolve("data/run/handoff.sock");
        assertEquals(Path.of(socket), Files.readSymbolicLink(link));
        try (TestWorker worker = new TestWorker(Path.of(socket), "W1")) {
            await("the worker connected", () -> server.statistics().connectedWorkers().contains("W1"));
        }
        server.deactivate();
        server = null;
        assertFalse("short folder removed", Files.exists(Path.of(socket).getParent()));
        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
    }
}
