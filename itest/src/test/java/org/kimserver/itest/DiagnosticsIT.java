package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ServerInfo;
import org.kimserver.api.diag.ServerInfoService;
import org.kimserver.itest.failing.SpinningComponent;
import org.kimserver.itest.failing.ThrowingActivator;
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
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * What an operator finds wrong, as the ProblemReporter services report it (records, asserted on their values)
 * and as kim:info shows it: a misspelled, deleted or broken etc/kimserver.json, jars in deploy/ that are no
 * bundles or are superseded, and a component activation that does not end.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DiagnosticsIT {
    /** Problems wait for a scan (1 s), a settled jar (2 s) or a long activation (5 s); the spinner delays deploys. */
    private static final Duration WAIT = Duration.ofSeconds(40);

    @Inject
    private BundleContext context;

    @Inject
    @Filter(timeout = 30000)
    private CommandProcessor commands;

    @Inject
    @Filter(timeout = 30000)
    private ServerInfoService server;

    @Inject
    private ServiceComponentRuntime scr;

    @Configuration
    public Option[] config() throws IOException {
        return KimContainer.create().options();
    }

    private Path home() {
        return KimServer.home(context);
    }

    private List<Problem> problems() {
        return KimServer.problems(context);
    }

    private Optional<Problem> problem(String subject, Predicate<String> reason) {
        return problems().stream().filter(p -> p.subject().equals(subject) && reason.test(p.reason())).findFirst();
    }

    private static <T> T await(String what, Supplier<Optional<T>> probe) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Optional<T> found = probe.get();
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for: " + what);
            }
            Thread.sleep(100);
        }
    }

    private void awaitGone(String subject) throws InterruptedException {
        await(subject + " no longer a problem", () -> problem(subject, r -> true).isPresent() ? Optional.empty()
                : Optional.of(true));
    }

    /** Lines of log/kimserver.log that contain {@code text}. */
    private long logLines(String text) throws IOException {
        try (var lines = Files.lines(home().resolve("log/kimserver.log"))) {
            return lines.filter(l -> l.contains(text)).count();
        }
    }

    private Bundle bundleNamed(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }

    private String info() {
        return KimShell.runOrFail(commands, "kim:info");
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    public void serverInfoIsARecordOfTheConfiguredValues() throws Exception {
        ServerInfo info = await("configuration applied", () -> Optional.of(server.info())
                .filter(i -> i.nodeType().equals("gate")));
        assertEquals("kim-gate", info.serverName());
        assertEquals(1, info.workerCount());
        assertEquals("M0", info.processTag());
        assertEquals(ProcessHandle.current().pid(), info.pid());
        assertTrue(info.gateAddress(), info.gateAddress().startsWith("127.0.0.1:"));
        Matcher nodePort = Pattern.compile("\"node_port\": (\\d+)")
                .matcher(Files.readString(home().resolve("etc/kimserver.json")));
        assertTrue(nodePort.find());
        assertEquals("127.0.0.1:" + nodePort.group(1), info.nodeAddress());
        assertTrue(info.bundles() > 20);
        assertTrue(info.components() > 5);
    }

    @Test
    public void aMisspelledKeyIsAProblemNamingTheKeyItProbablyMeant() throws Exception {
        Path file = home().resolve("etc/kimserver.json");
        String original = Files.readString(file);
        try {
            Files.writeString(file, original.replace("\"keep_alive\"", "\"keep_alvie\"")
                    .replace("\"max_conn_cnt\": 3", "\"max_conn_cnt\": 3, \"prot\": 1"));
            await("keep_alvie reported", () -> problem("etc/kimserver.json",
                    r -> r.equals("unknown key 'keep_alvie' is ignored; did you mean 'keep_alive'?")));
            await("redis.test.prot reported", () -> problem("etc/kimserver.json",
                    r -> r.equals("unknown key 'redis.test.prot' is ignored; did you mean 'redis.test.port'?")));
            String info = info();
            assertTrue(info, info.contains("etc/kimserver.json: unknown key 'keep_alvie' is ignored; did you mean"
                    + " 'keep_alive'? (since "));
        } finally {
            Files.writeString(file, original);
        }
        awaitGone("etc/kimserver.json");
    }

    @Test
    public void aDeletedOrBrokenFileIsAProblemUntilItIsBack() throws Exception {
        Path file = home().resolve("etc/kimserver.json");
        String original = Files.readString(file);
        try {
            Files.delete(file);
            Problem missing = await("missing file reported", () -> problem("etc/kimserver.json",
                    r -> r.contains("file not found")));
            Thread.sleep(3500);
            assertEquals("the time first seen stays", missing.since(),
                    problem("etc/kimserver.json", r -> r.contains("file not found")).orElseThrow().since());
            assertEquals("a missing file is logged once, not once a second", 1, logLines("file not found"));

            Files.writeString(file, original.replace("\"node_type\": \"gate\",", "\"node_type\": \"gate\",,"));
            await("broken file reported", () -> problem("etc/kimserver.json",
                    r -> r.contains("not valid JSON at line") && r.contains("column")));
            String info = info();
            assertTrue(info, info.contains("a restart would fail"));
        } finally {
            Files.writeString(file, original);
        }
        awaitGone("etc/kimserver.json");
    }

    @Test
    public void jarsInDeployThatAreNoBundlesOrAreSupersededAreProblems() throws Exception {
        Path deploy = home().resolve("deploy");
        Path garbage = deploy.resolve("garbage.jar");
        Path plain = deploy.resolve("plain.jar");
        Path older = deploy.resolve("mymodule-1.0.1.jar");
        Path newer = deploy.resolve("mymodule-1.0.2.jar");
        try {
            Files.writeString(garbage, "not a zip at all");
            TestBundles.write(plain, Map.of(), Map.of("readme.txt", TestBundles.utf8("no bundle")));
            TestBundles.write(older, Map.of("Bundle-SymbolicName", "kim.itest.mymodule", "Bundle-Version", "1.0.1"),
                    Map.of());
            TestBundles.write(newer, Map.of("Bundle-SymbolicName", "kim.itest.mymodule", "Bundle-Version", "1.0.2"),
                    Map.of());
            await("garbage.jar reported", () -> problem("deploy/garbage.jar", r -> r.contains("not a zip")));
            await("plain.jar reported", () -> problem("deploy/plain.jar", r -> r.contains("no Bundle-SymbolicName")));
            await("the older version reported", () -> problem("deploy/mymodule-1.0.1.jar",
                    r -> r.startsWith("superseded by mymodule-1.0.2.jar (kim.itest.mymodule 1.0.2)")));
            assertTrue(problems().toString(), problem("deploy/mymodule-1.0.2.jar", r -> true).isEmpty());
            String info = info();
            assertTrue(info, info.contains("deploy/garbage.jar: not a jar"));
        } finally {
            for (Path jar : List.of(garbage, plain, older, newer)) {
                Files.deleteIfExists(jar);
            }
        }
        awaitGone("deploy/garbage.jar");
        awaitGone("deploy/mymodule-1.0.1.jar");
    }

    @Test
    public void aJarWithTheNameAndVersionOfABundleInstalledElsewhereIsRefusedAndLeavesThatBundleAlone()
            throws Exception {
        Path elsewhere = Files.createTempFile("twin", ".jar");
        TestBundles.write(elsewhere, Map.of("Bundle-SymbolicName", "kim.itest.twin", "Bundle-Version", "1.0.0"),
                Map.of());
        Bundle installed;
        try (var in = Files.newInputStream(elsewhere)) {
            installed = context.installBundle("itest:twin", in);
        }
        long modified = installed.getLastModified();
        Path twin = home().resolve("deploy/twin.jar");
        Files.move(elsewhere, twin);
        try {
            await("the twin reported", () -> problem("deploy/twin.jar", r -> r.equals("not installed: it is bundle "
                    + installed.getBundleId() + " kim.itest.twin 1.0.0 of the system (from itest:twin); remove it")));
            assertEquals("the bundle was updated from the twin", modified, installed.getLastModified());
            Files.delete(twin);
            awaitGone("deploy/twin.jar");
            Thread.sleep(1000);
            assertEquals("the bundle after the twin went", Bundle.INSTALLED, installed.getState());
        } finally {
            Files.deleteIfExists(twin);
            if (installed.getState() != Bundle.UNINSTALLED) {
                installed.uninstall();
            }
        }
    }

    @Test
    public void anActivationThatDoesNotEndIsAProblemNamingItsComponentAndThread() throws Exception {
        // A module copied from another keeps its component class: the same class name in two bundles.
        Path calm = home().resolve("deploy/calm.jar");
        TestBundles.write(calm, Map.of("Bundle-SymbolicName", "kim.itest.calm", "Bundle-Version", "1.0.0",
                "Service-Component", "OSGI-INF/calm.xml"),
                Map.of("OSGI-INF/calm.xml", TestBundles.utf8("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"kim.itest.calm\""
                        + " immediate=\"false\">\n"
                        + "  <implementation class=\"" + SpinningComponent.class.getName() + "\"/>\n"
                        + "  <service><provide interface=\"java.lang.Runnable\"/></service>\n"
                        + "</scr:component>\n"),
                        SpinningComponent.class.getName().replace('.', '/') + ".class",
                        TestBundles.classBytes(SpinningComponent.class)));
        await("the calm bundle active", () -> Optional.ofNullable(bundleNamed("kim.itest.calm"))
                .filter(b -> b.getState() == Bundle.ACTIVE));
        Path jar = home().resolve("deploy/spinning.jar");
        Path waiting = home().resolve("deploy/waiting.jar");
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"kim.itest.spinning\""
                + " immediate=\"true\" activate=\"activate\">\n"
                + "  <implementation class=\"" + SpinningComponent.class.getName() + "\"/>\n"
                + "</scr:component>\n";
        Instant written = Instant.now();
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.spinning", "Bundle-Version", "1.0.0",
                "Service-Component", "OSGI-INF/spinning.xml"),
                Map.of("OSGI-INF/spinning.xml", TestBundles.utf8(xml),
                        SpinningComponent.class.getName().replace('.', '/') + ".class",
                        TestBundles.classBytes(SpinningComponent.class)));
        try {
            Problem spinning = await("the spinning activation reported", () -> problems().stream()
                    .filter(p -> p.subject().startsWith("component") && p.subject().contains("kim.itest.spinning"))
                    .findFirst());
            assertEquals("component kim.itest.spinning (bundle kim.itest.spinning)", spinning.subject());
            assertTrue(spinning.reason(), spinning.reason().contains(SpinningComponent.class.getName() + ".activate"));
            assertTrue(spinning.reason(), spinning.reason().contains("on thread \""));
            assertTrue("since " + spinning.since() + ", written " + written,
                    !spinning.since().isBefore(written.minusSeconds(1)));
            String info = info();
            assertTrue(info, info.contains("component kim.itest.spinning (bundle kim.itest.spinning): component method"));

            // Another jar dropped meanwhile waits for fileinstall, which the spinning activation holds up.
            TestBundles.write(waiting, Map.of("Bundle-SymbolicName", "kim.itest.waiting", "Bundle-Version", "1.0.0"),
                    Map.of());
            long spinner = bundleNamed("kim.itest.spinning").getBundleId();
            Problem held = await("the waiting jar reported", () -> problem("deploy/waiting.jar", r -> true));
            assertTrue(held.reason(), held.reason().startsWith("not installed yet: fileinstall is blocked, starting"
                    + " bundle " + spinner + " kim.itest.spinning 1.0.0 (deploy/spinning.jar) since "));
            assertTrue(held.reason(), held.reason().endsWith(", which has not returned"));
        } finally {
            Files.delete(jar);
            Files.deleteIfExists(waiting);
            Files.delete(calm);
        }
        await("the spinning bundle gone", () -> problems().stream().anyMatch(p -> p.subject().contains(
                "kim.itest.spinning")) ? Optional.empty() : Optional.of(true));
    }

    @Test
    public void aComponentThatStaysDisabledIsAProblemAndOneDisabledForAMomentIsNot() throws Exception {
        Path jar = home().resolve("deploy/versioned.jar");
        TestBundles.versioned(jar, 9102, "1.0.0", TestBundles.Versioned.SERVES);
        String subject = "component kim.itest.versioned (bundle kim.itest.versioned)";
        try {
            ComponentDescriptionDTO component = await("the versioned component", () -> Optional.ofNullable(
                    bundleNamed("kim.itest.versioned")).map(b -> scr.getComponentDescriptionDTO(b,
                    "kim.itest.versioned")));
            await("the versioned component enabled", () -> Optional.of(true).filter(x -> scr.isComponentEnabled(
                    component)));
            long disabled = System.nanoTime();
            scr.disableComponent(component).getValue();
            // SCR shows the components of a bundle that starts or stops disabled for a moment: no problem yet.
            List<Problem> first = problems();
            assertTrue("looked within the moment", System.nanoTime() - disabled < 1_000_000_000L);
            assertTrue(first.toString(), first.stream().noneMatch(p -> p.subject().equals(subject)));
            Problem stays = await("the disabled component reported", () -> problem(subject, "disabled"::equals));
            assertTrue("reported after " + (System.nanoTime() - disabled) / 1_000_000 + " ms",
                    System.nanoTime() - disabled >= 2_000_000_000L);
            assertTrue(info(), info().contains(subject + ": disabled (since " + stays.since().truncatedTo(ChronoUnit.SECONDS)));
            scr.enableComponent(component).getValue();
            awaitGone(subject);
        } finally {
            Files.delete(jar);
        }
    }

    @Test
    public void anActivatorThatThrowsIsAProblemWithItsReasonAndKeepsItsTime() throws Exception {
        Path jar = home().resolve("deploy/throwing.jar");
        Path other = home().resolve("deploy/other.jar");
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.throwing", "Bundle-Version", "1.0.0",
                "Bundle-Activator", ThrowingActivator.class.getName(), "Import-Package", "org.osgi.framework"),
                Map.of(ThrowingActivator.class.getName().replace('.', '/') + ".class",
                        TestBundles.classBytes(ThrowingActivator.class)));
        try {
            // Between its install and its start a bundle is INSTALLED, and reported so for that moment.
            Problem thrown = await("the activator's failure reported", () -> problems().stream()
                    .filter(p -> p.subject().contains("kim.itest.throwing"))
                    .filter(p -> p.reason().startsWith("RESOLVED: not started: ")).findFirst());
            assertTrue(thrown.reason(), thrown.reason().startsWith("RESOLVED: not started: "));
            assertTrue(thrown.reason(), thrown.reason().contains("itest activator refuses to start"));
            TestBundles.write(other, Map.of("Bundle-SymbolicName", "kim.itest.other", "Bundle-Version", "1.0.0"),
                    Map.of());
            await("the other bundle active", () -> Optional.ofNullable(bundleNamed("kim.itest.other"))
                    .filter(b -> b.getState() == Bundle.ACTIVE));
            Thread.sleep(1000);
            Problem later = problem(thrown.subject(), r -> true).orElseThrow();
            assertEquals("the problem's time after another deploy", thrown.since(), later.since());
        } finally {
            Files.delete(jar);
            Files.deleteIfExists(other);
        }
        await("the throwing bundle gone", () -> bundleNamed("kim.itest.throwing") == null ? Optional.of(true)
                : Optional.empty());
    }

    @Test
    public void anActivatorThatThrowsWhenTheFrameworkStartsItIsAProblemWithItsReason() throws Exception {
        Path jar = Files.createTempFile("throwing", ".jar");
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.throwing.level", "Bundle-Version", "1.0.0",
                "Bundle-Activator", ThrowingActivator.class.getName(), "Import-Package", "org.osgi.framework"),
                Map.of(ThrowingActivator.class.getName().replace('.', '/') + ".class",
                        TestBundles.classBytes(ThrowingActivator.class)));
        Bundle bundle;
        try (var in = Files.newInputStream(jar)) {
            bundle = context.installBundle("itest:throwing-level", in);
        }
        FrameworkStartLevel levels = context.getBundle(0).adapt(FrameworkStartLevel.class);
        int level = levels.getStartLevel();
        try {
            bundle.adapt(BundleStartLevel.class).setStartLevel(level + 1);
            bundle.start(); // marked to start; the framework starts it when it reaches its level
            levels.setStartLevel(level + 1);
            String subject = "bundle " + bundle.getBundleId() + " kim.itest.throwing.level 1.0.0";
            Problem thrown = await("the activator's failure reported", () -> problem(subject,
                    r -> r.contains("itest activator refuses to start")));
            assertTrue(thrown.reason(), thrown.reason().startsWith("RESOLVED: not started: "));
        } finally {
            levels.setStartLevel(level);
            bundle.uninstall();
            Files.delete(jar);
        }
    }

    @Test
    public void helpDescribesTheKimCommands() throws Exception {
        String info = KimShell.runOrFail(commands, "help kim:info");
        assertTrue(info, info.contains("everything that is wrong"));
        assertTrue(info, info.contains("(usage: kim:info)"));
        String log = KimShell.runOrFail(commands, "help kim:log");
        assertTrue(log, log.contains("notice") && log.contains("emerg"));
        String loglevel = KimShell.runOrFail(commands, "help kim:loglevel");
        assertTrue(loglevel, loglevel.contains("sets the log level of one logger"));
        assertTrue(loglevel, loglevel.contains("a class or package name"));
    }
}
