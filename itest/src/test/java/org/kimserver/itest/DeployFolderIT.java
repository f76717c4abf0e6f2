package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
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
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * What a careless copy into deploy/ must not do: a copy of a system jar must not replace or, once deleted,
 * uninstall that system bundle; a broken or half-written jar over a deployed module must not take it down.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DeployFolderIT {
    @Inject
    private BundleContext context;

    @Inject
    @Filter(timeout = 30000)
    private CommandProcessor commands;

    @Configuration
    public Option[] config() throws IOException {
        KimContainer container = KimContainer.create();
        try (Stream<Path> shipped = Files.list(KimContainer.distribution().resolve("deploy"))) {
            for (Path jar : shipped.filter(p -> p.toString().endsWith(".jar")).toList()) {
                container.module(jar);
            }
        }
        return container.options();
    }

    private Path deploy() {
        return KimServer.home(context).resolve("deploy");
    }

    private Optional<Problem> problem(String subject, Predicate<String> reason) {
        return KimServer.problems(context).stream()
                .filter(p -> p.subject().equals(subject) && reason.test(p.reason())).findFirst();
    }

    private Bundle bundleNamed(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName()))
                .findFirst().orElse(null);
    }

    /** The version of each installed bundle of that name, if they all are ACTIVE; else an empty list. */
    private List<String> activeVersions(String symbolicName) {
        List<Bundle> named = Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName()))
                .toList();
        return named.stream().allMatch(b -> b.getState() == Bundle.ACTIVE)
                ? named.stream().map(b -> b.getVersion().toString()).toList() : List.of();
    }

    /** Every bundle that is ACTIVE now, by id, with the time it was last installed or updated. */
    private Map<Long, Long> activeBundles() {
        return Arrays.stream(context.getBundles()).filter(b -> b.getState() == Bundle.ACTIVE)
                .collect(Collectors.toMap(Bundle::getBundleId, Bundle::getLastModified));
    }

    /** Asks module-test's hello handler (cmd 1001) on a new connection; the reply's code. */
    private int hello() throws IOException {
        try (WireClient client = new WireClient(KimServer.gatePort())) {
            client.send(WireClient.request(1001, 1, "1 - hello"));
            return client.read().code();
        }
    }

    private Path moduleTestJar() throws IOException {
        try (Stream<Path> jars = Files.list(deploy())) {
            return jars.filter(p -> p.getFileName().toString().startsWith("kimserver-module-test")).findFirst()
                    .orElseThrow();
        }
    }

    /** The reply data (the version that answered) of a request for {@code cmd}, or "code N" when it failed. */
    private String answer(int cmd) {
        try (WireClient client = new WireClient(KimServer.gatePort())) {
            WireClient.Frame reply = client.send(WireClient.request(cmd, 1, "x")).read();
            return reply.code() == 0 ? reply.data() : "code " + reply.code();
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    public void aNewVersionWhoseComponentIsUnsatisfiedLeavesTheOldOneServingUntilTheOldJarComesBack()
            throws Exception {
        int cmd = 9201;
        Path jar = deploy().resolve("versioned.jar");
        Path v1 = Files.createTempFile("versioned", ".jar");
        TestBundles.versioned(v1, cmd, "1.0.0", TestBundles.Versioned.SERVES);
        Files.copy(v1, jar);
        try {
            Await.until("1.0.0 serving", () -> answer(cmd).equals("1.0.0"));
            Path v2 = Files.createTempFile(deploy(), "versioned", ".tmp"); // deploy/ takes only *.jar
            TestBundles.versioned(v2, cmd, "1.0.1", TestBundles.Versioned.NEEDS_A_MISSING_SERVICE);
            Files.move(v2, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Await.until("1.0.1 installed beside 1.0.0", () -> Arrays.stream(context.getBundles())
                    .filter(b -> b.getSymbolicName().equals("kim.itest.versioned")).count() == 2);
            Thread.sleep(1000); // five polls of deploy/: the old version must not go meanwhile
            assertEquals("the version before serves while the new one's component is unsatisfied", "1.0.0",
                    answer(cmd));
            // A roll-back: the old jar again. Only the new version goes; the old one never stopped serving.
            Bundle old = Arrays.stream(context.getBundles()).filter(b -> b.getVersion().toString().equals("1.0.0")
                    && b.getSymbolicName().equals("kim.itest.versioned")).findFirst().orElseThrow();
            // Renamed in, as the new version was: Files.copy replaces a file by deleting it first, and a poll of
            // deploy/ in between would see the jar removed (every version uninstalled), then a new jar.
            Path again = Files.createTempFile(deploy(), "versioned", ".tmp");
            Files.copy(v1, again, StandardCopyOption.REPLACE_EXISTING);
            Files.move(again, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Await.until("1.0.1 uninstalled", () -> activeVersions("kim.itest.versioned")
                    .equals(List.of("1.0.0")));
            assertEquals("the same bundle, never stopped", Bundle.ACTIVE, old.getState());
            assertEquals("1.0.0", answer(cmd));
        } finally {
            Files.deleteIfExists(jar);
            Files.deleteIfExists(v1);
        }
        Await.until("versioned uninstalled", () -> bundleNamed("kim.itest.versioned") == null);
    }

    @Test
    public void aCopyOfASystemJarIsRefusedAtOnceAndDeletingItChangesNothing() throws Exception {
        Await.until("module-test deployed", () -> bundleNamed("org.kimserver.module-test") != null
                && bundleNamed("org.kimserver.module-test").getState() == Bundle.ACTIVE);
        Bundle jspecify = bundleNamed("org.jspecify.jspecify");
        Map<Long, Long> before = activeBundles();
        Path system = KimContainer.distribution().resolve("system/jspecify-1.0.0.jar");
        Path copy = deploy().resolve("jspecify-copy.jar");
        Files.copy(system, copy);
        try {
            Await.until("the copy reported", () -> problem("deploy/jspecify-copy.jar", r -> r.equals(
                    "not installed: it is bundle " + jspecify.getBundleId() + " org.jspecify.jspecify 1.0.0 of the"
                            + " system (from " + jspecify.getLocation() + "); remove it")).isPresent());
            Thread.sleep(1000); // five more polls of deploy/
            assertEquals("bundles stopped or updated by the copy", before, activeBundles());
        } finally {
            Files.delete(copy);
        }
        Thread.sleep(2000); // ten polls of deploy/
        assertEquals("bundles stopped, updated or uninstalled when the copy went", before, activeBundles());
        Await.until("the problem gone", () -> problem("deploy/jspecify-copy.jar", r -> true).isEmpty());
    }

    @Test
    public void aBrokenJarOverADeployedModuleLeavesTheRunningVersionServing() throws Exception {
        Await.until("module-test's hello handler",
                () -> KimShell.runOrFail(commands, "kim:cmds").contains("\n1001 "));
        assertEquals(0, hello());
        Path jar = moduleTestJar();
        byte[] good = Files.readAllBytes(jar);
        Bundle module = bundleNamed("org.kimserver.module-test");
        long updated = module.getLastModified();
        Files.write(jar, Arrays.copyOf(good, 3000)); // a copy cut short, written in place
        try {
            long until = System.nanoTime() + 4_000_000_000L; // 20 polls of deploy/, past handler_grace_ms
            while (System.nanoTime() < until) {
                assertEquals("module-test's state", Bundle.ACTIVE, module.getState());
                Thread.sleep(100);
            }
            assertEquals("module-test updated from the broken jar", updated, module.getLastModified());
            assertEquals("hello's code while the broken jar is there", 0, hello());
            String subject = "deploy/" + jar.getFileName();
            Await.until("the broken jar reported", () -> problem(subject, r -> r.startsWith("not a jar")
                    && r.endsWith("bundle " + module.getBundleId() + " org.kimserver.module-test "
                            + module.getVersion() + " keeps running the version installed before, until a good jar"
                            + " replaces this one")).isPresent());
        } finally {
            Files.write(jar, good);
        }
        Await.until("the problem gone", () -> problem("deploy/" + jar.getFileName(), r -> true).isEmpty());
        assertEquals(Bundle.ACTIVE, module.getState());
        assertEquals(0, hello());
    }

    @Test
    public void aGoodJarAfterABrokenOneUpdatesTheBundle() throws Exception {
        Path jar = deploy().resolve("phoenix.jar");
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.phoenix", "Bundle-Version", "1.0.0"),
                Map.of());
        try {
            Await.until("phoenix 1.0.0 active", () -> bundleNamed("kim.itest.phoenix") != null
                    && bundleNamed("kim.itest.phoenix").getState() == Bundle.ACTIVE);
            Bundle phoenix = bundleNamed("kim.itest.phoenix");
            Files.write(jar, new byte[] {'P', 'K', 3, 4, 0, 0});
            Thread.sleep(1500);
            assertEquals(Bundle.ACTIVE, phoenix.getState());
            assertEquals("1.0.0", phoenix.getVersion().toString());
            TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.phoenix", "Bundle-Version", "1.0.1"),
                    Map.of());
            Await.until("phoenix replaced by 1.0.1", () -> activeVersions("kim.itest.phoenix")
                    .equals(List.of("1.0.1")) && phoenix.getState() == Bundle.UNINSTALLED);
        } finally {
            Files.delete(jar);
        }
        Await.until("phoenix uninstalled", () -> bundleNamed("kim.itest.phoenix") == null);
        List<Problem> left = KimServer.problems(context).stream()
                .filter(p -> p.subject().contains("phoenix")).toList();
        assertTrue(left.toString(), left.isEmpty());
    }

    @Test
    public void aJarTheFrameworkRefusesAsAnUpdateLeavesTheBundleRunning() throws Exception {
        Path jar = deploy().resolve("stubborn.jar");
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.stubborn", "Bundle-Version", "1.0.0"),
                Map.of());
        try {
            Await.until("stubborn 1.0.0 active", () -> bundleNamed("kim.itest.stubborn") != null
                    && bundleNamed("kim.itest.stubborn").getState() == Bundle.ACTIVE);
            Bundle stubborn = bundleNamed("kim.itest.stubborn");
            // A zip with a manifest that names the bundle, but one the framework cannot read.
            TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.stubborn", "Bundle-Version", "1.0.1",
                    "Import-Package", "kim.itest.a;version=\"[1,\""), Map.of());
            Thread.sleep(2000); // ten polls of deploy/
            assertEquals(Bundle.ACTIVE, stubborn.getState());
            assertEquals("1.0.0", stubborn.getVersion().toString());
            String log = Files.readString(KimServer.home(context).resolve("log/kimserver.log"));
            assertTrue(log, log.contains("deploy/stubborn.jar: not updated: "));
            assertTrue(log, log.contains("; bundle " + stubborn.getBundleId() + " kim.itest.stubborn 1.0.0 keeps"
                    + " running the version installed before"));
        } finally {
            Files.delete(jar);
        }
        Await.until("stubborn uninstalled", () -> bundleNamed("kim.itest.stubborn") == null);
    }

    @Test
    public void aSlowCopyInPlaceIsLeftAloneUntilItIsWhole() throws Exception {
        Path jar = deploy().resolve("slow.jar");
        Path next = Files.createTempFile("slow", ".jar");
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.slow", "Bundle-Version", "1.0.0"), Map.of());
        TestBundles.write(next, Map.of("Bundle-SymbolicName", "kim.itest.slow", "Bundle-Version", "1.0.1"),
                Map.of("kim/itest/slow/padding.txt", TestBundles.utf8("x".repeat(2000))));
        byte[] bytes = Files.readAllBytes(next);
        Files.delete(next);
        try {
            Await.until("slow 1.0.0 active", () -> bundleNamed("kim.itest.slow") != null
                    && bundleNamed("kim.itest.slow").getState() == Bundle.ACTIVE);
            Bundle slow = bundleNamed("kim.itest.slow");
            // As scp writes: the file truncated, then its bytes arriving over 2 s, over ten polls of deploy/.
            try (var out = Files.newOutputStream(jar)) {
                int chunk = bytes.length / 20 + 1;
                int at = 0;
                for (; at + chunk < bytes.length; at += chunk) {
                    out.write(bytes, at, chunk);
                    out.flush();
                    Thread.sleep(100);
                    assertEquals("slow's state while its jar is written", Bundle.ACTIVE, slow.getState());
                    assertEquals("1.0.0", slow.getVersion().toString());
                }
                out.write(bytes, at, bytes.length - at); // the last bytes make it whole
            }
            Await.until("slow replaced by 1.0.1", () -> activeVersions("kim.itest.slow").equals(List.of("1.0.1"))
                    && slow.getState() == Bundle.UNINSTALLED);
        } finally {
            Files.delete(jar);
        }
        Await.until("slow uninstalled", () -> bundleNamed("kim.itest.slow") == null);
    }
}
