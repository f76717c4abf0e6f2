package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.testkit.WireClient.request;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.diag.Problem;
import org.kimserver.itest.failinghandler.FailingHandler;
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
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The gate's configuration changed while clients are connected, from the operator's side: a limit changed in place,
 * a move to a busy port, a move to a free port, a port taken before the gate starts, and a newer version of a module
 * dropped beside the old one.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GateReconfigureIT {
    private static final String GATE_PID = "kimserver.gate";
    private static final int ECHO = 9101;
    private static final int VERSIONED = 9103;
    private static final int FAILING = 9105;

    @Inject
    private BundleContext context;

    @Inject
    @Filter(timeout = 30000)
    private ConfigurationAdmin configAdmin;

    @Inject
    @Filter(timeout = 30000)
    private CommandProcessor commands;

    private ServiceRegistration<CommandHandler> echo;
    /** The values of the keys a test changed, as they were before. */
    private final Map<String, Object> changed = new HashMap<>();

    @Configuration
    public Option[] config() throws IOException {
        return KimContainer.create().options();
    }

    @Before
    public void registerEcho() throws Exception {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(CommandHandler.CMD, ECHO);
        properties.put(CommandHandler.NON_BLOCKING, true);
        echo = context.registerService(CommandHandler.class,
                request -> Reply.ok("ok", new String(request.data(), StandardCharsets.UTF_8)), properties);
        Await.until("the gate serving on its port", () -> served(port()));
    }

    @After
    public void restore() throws Exception {
        try {
            restoreConfiguration();
            Await.until("the gate listening on its port", () -> "listening".equals(state("kim.gate.state"))
                    && ("127.0.0.1:" + port()).equals(state("kim.gate.address")));
        } finally {
            echo.unregister();
        }
    }

    private static int port() {
        return KimServer.gatePort();
    }

    /** Changes keys of the gate's configuration through ConfigurationAdmin, remembering the first values. */
    private void change(Map<String, Object> values) throws IOException {
        org.osgi.service.cm.Configuration configuration = configAdmin.getConfiguration(GATE_PID, "?");
        Dictionary<String, Object> properties = configuration.getProperties();
        for (var e : values.entrySet()) {
            if (values != changed) {
                changed.putIfAbsent(e.getKey(), properties.get(e.getKey()));
            }
            properties.put(e.getKey(), e.getValue());
        }
        configuration.update(properties);
    }

    /** Puts back the keys the test changed, and waits for new clients to be served on the first port. */
    private void restoreConfiguration() throws Exception {
        if (!changed.isEmpty()) {
            change(changed);
            changed.clear();
        }
        Await.until("the gate back on its port", () -> served(port()));
    }

    /** Whether a new client on that port gets its echo. */
    private static boolean served(int port) {
        try (WireClient client = new WireClient(port)) {
            return "hi".equals(client.send(request(ECHO, 1, "hi")).read().data());
        } catch (IOException | AssertionError e) {
            return false;
        }
    }

    private static boolean connects(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A property of the gate's state service (the contract with the launcher), or {@code null}. */
    private Object state(String key) {
        try {
            ServiceReference<?>[] found = context.getServiceReferences((String) null, "(kim.gate.state=*)");
            return found == null ? null : found[0].getProperty(key);
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private List<Problem> problems() {
        return KimServer.problems(context);
    }

    private boolean aProblemSays(String text) {
        return problems().stream().anyMatch(p -> (p.subject() + ": " + p.reason()).contains(text));
    }

    private String echoed(WireClient client, int seq, String text) throws IOException {
        return client.send(request(ECHO, seq, text)).read().data();
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    public void aKeepAliveChangeKeepsOpenConnectionsAndAppliesToThem() throws Exception {
        try (WireClient old = new WireClient(port())) {
            assertEquals("a", echoed(old, 1, "a"));
            change(Map.of("keep.alive", 1500));
            Thread.sleep(1000); // ConfigurationAdmin delivers the change asynchronously
            assertEquals("the connection open before the change is still served", "b", echoed(old, 2, "b"));
            long idleSince = System.nanoTime();
            assertTrue("closed by the new keep_alive (the old one is 30 s)", old.closedByServer(8000));
            long idleMillis = (System.nanoTime() - idleSince) / 1_000_000;
            assertTrue("closed after " + idleMillis + " ms, not at once", idleMillis >= 1000);
        }
    }

    @Test
    public void aMoveToABusyPortKeepsTheOldPortServingAndReportsTheProblem() throws Exception {
        String busyAddress;
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             WireClient old = new WireClient(port())) {
            busyAddress = "127.0.0.1:" + busy.getLocalPort();
            assertEquals("a", echoed(old, 1, "a"));
            change(Map.of("gate.port", busy.getLocalPort()));
            Await.until("the failed move reported as a problem", () -> aProblemSays(busyAddress));
            assertEquals("b", echoed(old, 2, "b"));
            assertTrue("new clients are still served on the old port", served(port()));
            assertEquals("listening", state("kim.gate.state"));
            assertEquals("127.0.0.1:" + port(), state("kim.gate.address"));
        }
        restoreConfiguration();
        Await.until("the problem gone once the configuration is back", () -> !aProblemSays(busyAddress));
    }

    @Test
    public void aMoveToAFreePortTakesNewClientsThereWhileOldConnectionsAreServed() throws Exception {
        int moved = KimContainer.freePort();
        try (WireClient old = new WireClient(port())) {
            assertEquals("a", echoed(old, 1, "a"));
            change(Map.of("gate.port", moved));
            Await.until("new clients served on the new port", () -> served(moved));
            Await.until("the old port closed to new clients", () -> !connects(port()));
            Thread.sleep(500); // well past the 50 ms after which a drained connection that is quiet is closed
            assertEquals("the connection open before the move is still served", "b", echoed(old, 2, "b"));
            assertEquals("listening", state("kim.gate.state"));
            assertEquals("127.0.0.1:" + moved, state("kim.gate.address"));
        }
    }

    @Test
    public void aMoveToTheWildcardAddressOnTheSamePortKeepsTheOpenConnections() throws Exception {
        try (WireClient old = new WireClient(port())) {
            assertEquals("a", echoed(old, 1, "a"));
            // 0.0.0.0:port overlaps 127.0.0.1:port: the old listener has to free the port first.
            change(Map.of("gate.host", "0.0.0.0"));
            Await.until("the gate on 0.0.0.0", () -> ("0.0.0.0:" + port()).equals(state("kim.gate.address")));
            assertEquals("listening", state("kim.gate.state"));
            assertTrue(served(port()));
            assertEquals("the connection open before the move is still served", "b", echoed(old, 2, "b"));
        }
    }

    @Test
    public void aGateStartedOnATakenPortReportsTheFailureAndListensOnceThePortIsFree() throws Exception {
        Bundle gate = Arrays.stream(context.getBundles())
                .filter(b -> "org.kimserver.gate".equals(b.getSymbolicName())).findFirst().orElseThrow();
        gate.stop();
        try {
            try (ServerSocket taken = new ServerSocket()) {
                taken.setReuseAddress(true);
                taken.bind(new InetSocketAddress("127.0.0.1", port()));
                gate.start();
                Await.until("the gate's state: failed", () -> "failed".equals(state("kim.gate.state")));
                assertEquals("127.0.0.1:" + port(), state("kim.gate.address"));
                String error = String.valueOf(state("kim.gate.error"));
                assertTrue(error, error.contains("Address already in use"));
                assertTrue(problems().toString(), aProblemSays("not listening"));
                Thread.sleep(2500); // a retry or more, on a port still taken
                assertEquals("failed", state("kim.gate.state"));
            }
            Await.until("the gate listening once the port is free",
                    () -> "listening".equals(state("kim.gate.state")));
            assertTrue(served(port()));
            assertFalse(aProblemSays("not listening"));
        } finally {
            if (gate.getState() != Bundle.ACTIVE) {
                gate.start();
            }
        }
    }

    @Test
    public void theNewestVersionOfAModuleServesItsCommandsAndTheOlderIsSuperseded() throws Exception {
        Path deploy = KimServer.home(context).resolve("deploy");
        Path older = deploy.resolve("versioned-1.0.1.jar");
        Path newer = deploy.resolve("versioned-1.0.2.jar");
        try {
            TestBundles.versioned(older, VERSIONED, "1.0.1", TestBundles.Versioned.SERVES);
            Await.until("1.0.1 serving", () -> "1.0.1".equals(versionedReply()));
            TestBundles.versioned(newer, VERSIONED, "1.0.2", TestBundles.Versioned.SERVES);
            Await.until("both versions registered", () -> KimShell.runOrFail(commands, "kim:cmds")
                    .split("kim\\.itest\\.versioned", -1).length == 3);
            assertEquals("1.0.2", versionedReply());
            String cmds = KimShell.runOrFail(commands, "kim:cmds");
            assertTrue(cmds, cmds.contains("superseded"));
            assertFalse(cmds, cmds.contains("CONFLICT"));
            assertFalse(problems().toString(), aProblemSays("cmd " + VERSIONED));
        } finally {
            Files.deleteIfExists(older);
            Files.deleteIfExists(newer);
        }
        Await.until("both versions gone", () -> !KimShell.runOrFail(commands, "kim:cmds")
                .contains("kim.itest.versioned"));
    }

    @Test
    public void aHandlerWhoseComponentFailsToActivateIsNamedInTheGatesWarning() throws Exception {
        Path home = KimServer.home(context);
        Path jar = home.resolve("deploy/failinghandler.jar");
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\""
                + " name=\"kim.itest.failinghandler.component\" activate=\"activate\">\n"
                + "  <implementation class=\"" + FailingHandler.class.getName() + "\"/>\n"
                + "  <service><provide interface=\"" + CommandHandler.class.getName() + "\"/></service>\n"
                + "  <property name=\"" + CommandHandler.CMD + "\" type=\"Integer\" value=\"" + FAILING + "\"/>\n"
                + "</scr:component>\n";
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.failinghandler", "Bundle-Version", "1.0.0",
                "Import-Package", "org.kimserver.api", "Service-Component", "OSGI-INF/failinghandler.xml"),
                Map.of("OSGI-INF/failinghandler.xml", TestBundles.utf8(xml),
                        FailingHandler.class.getName().replace('.', '/') + ".class",
                        TestBundles.classBytes(FailingHandler.class)));
        Path log = home.resolve("log/kimserver.log");
        try {
            Await.until("a WARN naming the failing bundle and component", () -> {
                try {
                    return Files.readAllLines(log).stream().anyMatch(line -> line.startsWith("[WARN]")
                            && line.contains("kim.itest.failinghandler 1.0.0")
                            && line.contains("component kim.itest.failinghandler.component"));
                } catch (IOException e) {
                    return false;
                }
            });
        } finally {
            Files.delete(jar);
        }
    }

    private static String versionedReply() {
        try (WireClient client = new WireClient(port())) {
            WireClient.Frame reply = client.send(request(VERSIONED, 1, "x")).read();
            return reply.code() == 0 ? reply.data() : "code " + reply.code();
        } catch (IOException | AssertionError e) {
            return e.toString();
        }
    }
}
