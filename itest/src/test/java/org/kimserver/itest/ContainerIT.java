package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.kimserver.itest.failing.FailingComponent;
import org.kimserver.testkit.Await;
import org.kimserver.testkit.KimContainer;
import org.kimserver.testkit.KimServer;
import org.kimserver.testkit.KimShell;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.ops4j.pax.exam.util.Filter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The distribution's system bundles in a real Felix framework, with the launcher's framework properties: they all
 * start, their components are satisfied, etc/kimserver.json reaches them, deploy/ works.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ContainerIT {
    private static final String SERVER_NAME = "itest-node";

    @Inject
    private BundleContext context;

    @Inject
    @Filter(timeout = 30000)
    private ConfigurationAdmin configAdmin;

    @Inject
    @Filter(timeout = 30000)
    private ServiceComponentRuntime scr;

    @Inject
    @Filter(timeout = 30000)
    private CommandProcessor commands;

    @Configuration
    public Option[] config() throws IOException {
        return KimContainer.create().config(json -> json
                .replace("\"server_name\": \"kim-gate\"", "\"server_name\": \"" + SERVER_NAME + "\"")).options();
    }

    // ---------------------------------------------------------------------------------------------------------

    private Path home() {
        return KimServer.home(context);
    }

    private String shell(String command) throws Exception {
        return KimShell.run(commands, command);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Await.until(what, condition);
    }

    private void awaitInfo(String what, Predicate<String> test) throws InterruptedException {
        await(what, () -> {
            try {
                return test.test(shell("kim:info"));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    private Bundle bundleNamed(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst()
                .orElse(null);
    }

    private static boolean isFragment(Bundle b) {
        return (b.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    private Object property(String pid, String key) {
        try {
            var props = configAdmin.getConfiguration(pid, "?").getProperties();
            return props == null ? null : props.get(key);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    public void everyBundleIsActiveAndEveryFragmentResolved() {
        List<String> wrong = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            int expected = isFragment(b) ? Bundle.RESOLVED : Bundle.ACTIVE;
            if (b.getState() != expected) {
                wrong.add(b.getSymbolicName() + " state " + b.getState());
            }
        }
        assertEquals(List.of(), wrong);
        for (String core : List.of("org.kimserver.config", "org.kimserver.shell", "org.kimserver.api",
                "org.kimserver.proto", "org.apache.zookeeper", "org.apache.curator", "io.lettuce.core")) {
            assertNotNull(core + " is installed", bundleNamed(core));
        }
    }

    @Test
    public void everyComponentIsSatisfied() {
        List<String> names = new ArrayList<>();
        List<String> unsatisfied = new ArrayList<>();
        for (ComponentDescriptionDTO desc : scr.getComponentDescriptionDTOs()) {
            names.add(desc.name);
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(desc)) {
                if (c.state != ComponentConfigurationDTO.ACTIVE && c.state != ComponentConfigurationDTO.SATISFIED) {
                    unsatisfied.add(desc.name + " state " + c.state + " " + c.failure);
                }
            }
        }
        assertEquals(List.of(), unsatisfied);
        assertTrue(names.toString(), names.containsAll(List.of(
                "org.kimserver.config.internal.JsonConfigPublisher",
                "org.kimserver.config.internal.LogLevelCommand",
                "org.kimserver.shell.internal.InfoCommand",
                "org.kimserver.shell.internal.LocalServerInfo",
                "org.kimserver.shell.internal.BundleProblems",
                "org.kimserver.shell.internal.ComponentProblems",
                "org.kimserver.shell.internal.DeployFolderProblems",
                "org.kimserver.shell.internal.ActivationWatch",
                "org.kimserver.shell.internal.ConsoleSocketServer")));
    }

    @Test
    public void configurationFromKimserverJsonReachesTheComponents() throws Exception {
        await("kimserver.server configuration", () -> SERVER_NAME.equals(property("kimserver.server", "server.name")));
        assertEquals(KimServer.gatePort(), property("kimserver.gate", "gate.port"));
        assertEquals(6379, property("kimserver.redis~test", "port"));
        assertEquals("root", property("kimserver.mysql~test", "user"));
        assertEquals("INFO", property("org.ops4j.pax.logging", "log4j2.rootLogger.level"));
        // The shell component receives the same values as typed configuration.
        String info = shell("kim:info");
        assertTrue(info, info.contains(SERVER_NAME + " (node type gate, 1 worker)"));
        assertTrue(info, info.contains("gate 127.0.0.1:" + KimServer.gatePort()));
        assertTrue(info, info.contains("problems    none"));
    }

    @Test
    public void anEditOfTheFileIsAppliedLiveAndABrokenOneIsNot() throws Exception {
        Path file = home().resolve("etc/kimserver.json");
        String original = Files.readString(file);
        try {
            Files.writeString(file, original.replace("\"log_level\": \"info\"", "\"log_level\": \"debug\"")
                    .replace(SERVER_NAME, "renamed-node"));
            await("log level DEBUG", () -> "DEBUG".equals(property("org.ops4j.pax.logging", "log4j2.rootLogger.level")));
            awaitInfo("kim:info shows the new name", info -> info.contains("renamed-node"));

            Files.writeString(file, original.replace("\"max_clients\": 20000", "\"max_clients\": \"many\""));
            Thread.sleep(2500); // more than two watch periods: a broken file must change nothing
            assertEquals("renamed-node", property("kimserver.server", "server.name"));
            assertEquals(20000, property("kimserver.gate", "max.clients"));
        } finally {
            Files.writeString(file, original);
        }
        await("original restored", () -> SERVER_NAME.equals(property("kimserver.server", "server.name")));
    }

    @Test
    public void theLogLevelCanBeChangedFromTheShell() throws Exception {
        String before = String.valueOf(property("org.ops4j.pax.logging", "log4j2.rootLogger.level"));
        try {
            assertTrue(shell("kim:loglevel warn").contains("WARN"));
            assertEquals("WARN", property("org.ops4j.pax.logging", "log4j2.rootLogger.level"));
            shell("kim:loglevel debug org.kimserver");
            assertEquals("DEBUG", property("org.ops4j.pax.logging", "log4j2.logger.org_kimserver.level"));
            assertTrue(shell("kim:loglevel").contains("org.kimserver: DEBUG"));
        } finally {
            shell("kim:loglevel " + before);
        }
    }

    @Test
    public void aLogLevelSetFromTheShellLastsUntilAnEditOfLogLevelNotOfAnotherKey() throws Exception {
        Path file = home().resolve("etc/kimserver.json");
        String original = Files.readString(file);
        String kept = "log4j2.logger.org_kimserver_itest_kept.level";
        try {
            shell("kim:loglevel debug org.kimserver.itest.kept");
            assertEquals("DEBUG", property("org.ops4j.pax.logging", kept));
            Files.writeString(file, original.replace("\"max_clients\": 20000", "\"max_clients\": 19999"));
            await("max_clients applied", () -> Integer.valueOf(19999).equals(property("kimserver.gate", "max.clients")));
            assertEquals("the shell's level after an edit of max_clients", "DEBUG",
                    property("org.ops4j.pax.logging", kept));

            Files.writeString(file, original.replace("\"max_clients\": 20000", "\"max_clients\": 19999")
                    .replace("\"log_level\": \"info\"", "\"log_level\": \"warn\""));
            await("log_level applied", () -> "WARN".equals(property("org.ops4j.pax.logging",
                    "log4j2.rootLogger.level")));
            assertEquals("the shell's level after an edit of log_level", null,
                    property("org.ops4j.pax.logging", kept));
        } finally {
            Files.writeString(file, original);
        }
        await("original restored", () -> "INFO".equals(property("org.ops4j.pax.logging", "log4j2.rootLogger.level"))
                && Integer.valueOf(20000).equals(property("kimserver.gate", "max.clients")));
    }

    @Test
    public void deployInstallsUpdatesAndRemovesBundlesRefreshingOnlyWhatIsWired() throws Exception {
        Path deploy = home().resolve("deploy");
        Path provider = deploy.resolve("hot-provider.jar");
        Path consumer = deploy.resolve("hot-consumer.jar");
        Map<String, byte[]> noEntries = Map.of("kim/itest/hot/marker.txt", TestBundles.utf8("v1"));
        TestBundles.write(provider, Map.of("Bundle-SymbolicName", "kim.itest.hot.provider", "Bundle-Version", "1.0.0",
                "Export-Package", "kim.itest.hot;version=1.0.0"), noEntries);
        TestBundles.write(consumer, Map.of("Bundle-SymbolicName", "kim.itest.hot.consumer", "Bundle-Version", "1.0.0",
                "Import-Package", "kim.itest.hot"), Map.of());
        await("both bundles active", () -> {
            Bundle p = bundleNamed("kim.itest.hot.provider");
            Bundle c = bundleNamed("kim.itest.hot.consumer");
            return p != null && c != null && p.getState() == Bundle.ACTIVE && c.getState() == Bundle.ACTIVE;
        });

        Set<String> stopped = ConcurrentHashMap.newKeySet();
        BundleListener listener = e -> {
            if (e.getType() == BundleEvent.STOPPED) {
                stopped.add(e.getBundle().getSymbolicName());
            }
        };
        context.addBundleListener(listener);
        try {
            TestBundles.write(provider, Map.of("Bundle-SymbolicName", "kim.itest.hot.provider",
                    "Bundle-Version", "1.0.1", "Export-Package", "kim.itest.hot;version=1.0.1"),
                    Map.of("kim/itest/hot/marker.txt", TestBundles.utf8("v2")));
            await("provider updated to 1.0.1", () -> {
                Bundle p = bundleNamed("kim.itest.hot.provider");
                return p.getVersion().toString().equals("1.0.1") && p.getState() == Bundle.ACTIVE;
            });
            await("consumer refreshed and active again", () -> stopped.contains("kim.itest.hot.consumer")
                    && bundleNamed("kim.itest.hot.consumer").getState() == Bundle.ACTIVE);
            Thread.sleep(500);
            Set<String> others = new HashSet<>(stopped);
            others.removeAll(Set.of("kim.itest.hot.provider", "kim.itest.hot.consumer"));
            assertEquals("bundles restarted by the update", Set.of(), others);
        } finally {
            context.removeBundleListener(listener);
        }

        Files.delete(consumer);
        Files.delete(provider);
        await("both bundles uninstalled", () -> bundleNamed("kim.itest.hot.provider") == null
                && bundleNamed("kim.itest.hot.consumer") == null);
    }

    @Test
    public void aJarThatDoesNotResolveIsReportedWithTheReason() throws Exception {
        Path jar = home().resolve("deploy/unresolvable.jar");
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.unresolvable", "Bundle-Version", "1.0.0",
                "Import-Package", "kim.itest.nobody.exports.this"), Map.of());
        try {
            await("bundle installed", () -> bundleNamed("kim.itest.unresolvable") != null);
            awaitInfo("kim:info reports it", info ->
                    info.contains("kim.itest.unresolvable 1.0.0: INSTALLED: missing requirement")
                            && info.contains("kim.itest.nobody.exports.this"));
        } finally {
            Files.delete(jar);
        }
        await("bundle uninstalled", () -> bundleNamed("kim.itest.unresolvable") == null);
    }

    @Test
    public void aComponentThatFailsToActivateIsReportedWithTheReason() throws Exception {
        Path jar = home().resolve("deploy/failing.jar");
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"kim.itest.failing\""
                + " immediate=\"true\" activate=\"activate\">\n"
                + "  <implementation class=\"" + FailingComponent.class.getName() + "\"/>\n"
                + "</scr:component>\n";
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.failing", "Bundle-Version", "1.0.0",
                "Service-Component", "OSGI-INF/failing.xml"),
                Map.of("OSGI-INF/failing.xml", TestBundles.utf8(xml),
                        FailingComponent.class.getName().replace('.', '/') + ".class",
                        TestBundles.classBytes(FailingComponent.class)));
        try {
            awaitInfo("kim:info reports the failure", info ->
                    info.contains("component kim.itest.failing (bundle kim.itest.failing): failed to activate")
                            && info.contains("itest component refuses to start"));
        } finally {
            Files.delete(jar);
        }
        await("bundle uninstalled", () -> bundleNamed("kim.itest.failing") == null);
    }

    @Test
    public void theConsoleSocketRunsCommandsForItsOwnerOnly() throws Exception {
        Path socket = home().resolve("data/run/console.sock");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));

        String ok = console(socket, "kim:info");
        assertTrue(ok, ok.contains(SERVER_NAME));
        assertTrue(ok, ok.endsWith("\0status 0\n"));

        String failed = console(socket, "kim:no-such-command");
        assertTrue(failed, failed.contains("error:"));
        assertTrue(failed, failed.endsWith("\0status 1\n"));
        assertFalse(failed, failed.contains("\0status 0"));
    }

    private static String console(Path socket, String command) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
            // The output, then a status record: NUL "status <0|1>" and a newline.
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            boolean inStatus = false;
            while (ch.read(buf) >= 0) {
                for (int i = 0; i < buf.position(); i++) {
                    all.write(buf.get(i));
                    inStatus |= buf.get(i) == 0;
                    if (inStatus && buf.get(i) == '\n') {
                        return all.toString(StandardCharsets.UTF_8);
                    }
                }
                buf.clear();
            }
            return all.toString(StandardCharsets.UTF_8);
        }
    }
}
