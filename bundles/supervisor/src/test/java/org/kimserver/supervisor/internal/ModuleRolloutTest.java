package org.kimserver.supervisor.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.supervisor.internal.ControlLinkTest.await;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.api.diag.ModuleState;
import org.kimserver.proto.Module;
import org.kimserver.proto.ModuleReport;
import org.kimserver.shell.deploy.DeployJar;
import org.kimserver.supervisor.internal.WorkerSupervisor.WorkerView;

/**
 * The roll-out's decisions against two simulated workers: each deploys its folder at once and reports what is
 * there, serving, unless the test makes a version fail on it or its process exit. The real workers' side is
 * {@code ModuleRolloutIT}'s.
 */
public class ModuleRolloutTest {
    private Path dir;
    private Path deploy;
    private ModuleRollout rollout;
    private final Map<Integer, Long> pids = new ConcurrentHashMap<>(Map.of(1, 101L, 2, 102L));
    /** Digests that fail (state failed) on a worker when it deploys them: digest to worker indices. */
    private final Map<String, Set<Integer>> failing = new ConcurrentHashMap<>();
    /** Workers whose modules no longer follow their folder (stuck in a module), with what they report for ever. */
    private final Map<Integer, ModuleReport> stuck = new ConcurrentHashMap<>();
    /** The workers the roll-out asked to start again. */
    private final List<Integer> restarted = new CopyOnWriteArrayList<>();

    @Before
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("kim-rollout");
        deploy = Files.createDirectories(dir.resolve("deploy"));
    }

    @After
    public void tearDown() throws IOException {
        if (rollout != null) {
            rollout.stop();
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The local Maven repository the bundle sets' bundles come from. */
    private Path repository() {
        return dir.resolve("repository");
    }

    /** A bundle of {@code headers} in the local repository as org.example:{@code artifactId}:1.0.0. */
    private void inRepository(String artifactId, Map<String, String> headers) throws IOException {
        TestJars.bundle(repository().resolve("org/example/" + artifactId + "/1.0.0/" + artifactId + "-1.0.0.jar"),
                "org.example." + artifactId, "1.0.0", headers);
    }

    private Path folder(int index) {
        return dir.resolve("w" + index);
    }

    /** What a worker reports: every jar of its folder, serving unless its digest fails there. */
    private List<WorkerView> views() {
        List<WorkerView> views = new ArrayList<>();
        for (int index = 1; index <= 2; index++) {
            ModuleReport stuckAt = stuck.get(index);
            if (stuckAt != null) {
                views.add(new WorkerView(index, pids.get(index), true, false, stuckAt));
                continue;
            }
            ModuleReport.Builder report = ModuleReport.newBuilder();
            try (DirectoryStream<Path> jars = Files.newDirectoryStream(folder(index), "*.jar")) {
                for (Path jar : jars) {
                    String digest = DeployJar.digest(jar);
                    DeployJar read = DeployJar.read(jar);
                    boolean fails = failing.getOrDefault(digest, Set.of()).contains(index);
                    report.addModules(Module.newBuilder().setFile(jar.getFileName().toString()).setDigest(digest)
                            .setSymbolicName(read.symbolicName()).setVersion(read.version().toString())
                            .setState(fails ? ModuleState.FAILED : ModuleState.SERVING)
                            .setProblem(fails ? "component x failed to activate: no" : ""));
                }
            } catch (IOException e) {
                // no folder yet: nothing deployed
            }
            views.add(new WorkerView(index, pids.get(index), true, false, report.build()));
        }
        return views;
    }

    private void start(Duration canary) throws IOException {
        BundleSets sets = new BundleSets(deploy, new MavenRepositories(repository(), List.of()), List::of,
                dir.resolve("resolve"));
        rollout = new ModuleRollout(deploy, dir.resolve("store"), this::folder, this::views,
                (index, why) -> restarted.add(index), new ModuleRollout.Canary(canary, 1), sets);
        rollout.seed();
        rollout.prepare(1);
        rollout.prepare(2);
        rollout.start();
    }

    /** Writes a bundle jar as a copy tool would: whole, moved in. */
    private String bundle(String file, String version) throws IOException {
        Path part = TestJars.bundle(deploy.resolve(file + ".part"), "m", version, Map.of());
        Files.move(part, deploy.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return DeployJar.digest(deploy.resolve(file));
    }

    /** A worker's folder: file to digest. */
    private Map<String, String> deployed(int index) {
        Map<String, String> jars = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder(index), "*.jar")) {
            for (Path jar : files) {
                jars.put(jar.getFileName().toString(), DeployJar.digest(jar));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return jars;
    }

    @Test
    public void everyWorkerStartsWithDeployAsItIsThenAChangeReachesBoth() throws Exception {
        String first = bundle("m.jar", "1.0.0");
        start(Duration.ZERO);
        assertEquals(Map.of("m.jar", first), deployed(1));
        assertEquals(Map.of("m.jar", first), deployed(2));
        String second = bundle("m.jar", "1.0.1");
        await(() -> "rolled out".equals(rollout.outcome("m.jar", second)), 10_000);
        assertEquals(Map.of("m.jar", second), deployed(1));
        assertEquals(Map.of("m.jar", second), deployed(2));
        Files.delete(deploy.resolve("m.jar"));
        await(() -> "rolled out".equals(rollout.outcome("m.jar", "")), 10_000);
        assertEquals(Map.of(), deployed(1));
        assertEquals(Map.of(), deployed(2));
    }

    @Test
    public void aVersionThatFailsOnTheCanaryGoesBackThereNeverReachesTheOtherAndWaitsForANewJar() throws Exception {
        String good = bundle("m.jar", "1.0.0");
        start(Duration.ofMillis(300));
        String bad = bundle("m.jar", "1.0.1");
        failing.put(bad, Set.of(1));
        await(() -> bad.equals(deployed(1).get("m.jar")), 10_000);
        assertEquals("the canary first: worker 2 serves the version in force", Map.of("m.jar", good), deployed(2));
        await(() -> rollout.outcome("m.jar", bad) != null, 10_000);
        assertEquals("rolled back: on worker 1: m 1.0.1 (deploy/m.jar) failed: component x failed to activate: no",
                rollout.outcome("m.jar", bad));
        assertEquals("worker 1 has the previous jar back", Map.of("m.jar", good), deployed(1));
        assertEquals(Map.of("m.jar", good), deployed(2));
        assertEquals(1, rollout.problems().size());
        assertTrue(rollout.problems().get(0).reason(), rollout.problems().get(0).reason().startsWith(
                "m 1.0.1 was rolled back: on worker 1: "));
        // Refused while it stays: nothing is tried again.
        Thread.sleep(1500);
        assertEquals(Map.of("m.jar", good), deployed(1));
        // A new jar is a new change; the refusal goes with the old one.
        String fixed = bundle("m.jar", "1.0.2");
        await(() -> "rolled out".equals(rollout.outcome("m.jar", fixed)), 10_000);
        assertEquals(Map.of("m.jar", fixed), deployed(2));
        assertTrue(rollout.problems().isEmpty());
    }

    @Test
    public void aCanaryStuckInTheChangeIsStartedAgainAfterTheRollBack() throws Exception {
        String good = bundle("m.jar", "1.0.0");
        start(Duration.ofMillis(300));
        String bad = bundle("m.jar", "1.0.1");
        failing.put(bad, Set.of(1));
        await(() -> bad.equals(deployed(1).get("m.jar")), 10_000);
        stuck.put(1, views().get(0).modules()); // from now on it reports 1.0.1 failing, whatever its folder holds
        await(() -> rollout.outcome("m.jar", bad) != null, 30_000);
        assertEquals(List.of(1), restarted);
        assertEquals("its folder holds the previous jar for the new process", Map.of("m.jar", good), deployed(1));
    }

    @Test
    public void aCanaryWhoseProcessExitsRollsTheChangeBack() throws Exception {
        String good = bundle("m.jar", "1.0.0");
        start(Duration.ofSeconds(2));
        String next = bundle("m.jar", "1.0.1");
        await(() -> next.equals(deployed(1).get("m.jar")), 10_000);
        assertEquals("the canary first: worker 2 serves the version in force", Map.of("m.jar", good), deployed(2));
        pids.put(1, 201L); // worker 1's process exited and was started again meanwhile
        await(() -> rollout.outcome("m.jar", next) != null, 10_000);
        assertEquals("rolled back: on worker 1: its process (pid 101) exited", rollout.outcome("m.jar", next));
        assertEquals(Map.of("m.jar", good), deployed(1));
        assertEquals(Map.of("m.jar", good), deployed(2));
    }

    @Test
    public void aDeletionGoesOnWhenTheCanaryExitsBeforeItCouldApplyIt() throws Exception {
        // A module that ends its worker's process soon after it starts, deleted to stop that: the canary dies of
        // the module still loaded, not of its removal, and its next process starts without it.
        bundle("m.jar", "1.0.0");
        start(Duration.ofSeconds(2));
        stuck.put(1, views().get(0).modules()); // worker 1 still runs the module, whatever its folder holds
        Files.delete(deploy.resolve("m.jar"));
        await(() -> deployed(1).isEmpty(), 10_000);
        pids.put(1, 201L);
        stuck.remove(1);
        await(() -> rollout.outcome("m.jar", "") != null, 10_000);
        assertEquals("rolled out", rollout.outcome("m.jar", ""));
        assertEquals(Map.of(), deployed(1));
        assertEquals(Map.of(), deployed(2));
    }

    @Test
    public void aBundleSetReachesTheWorkersWholeAndGoesWithItsFile() throws Exception {
        inRepository("lib", Map.of("Export-Package", "org.example.lib"));
        inRepository("app", Map.of("Import-Package", "org.example.lib"));
        start(Duration.ZERO);
        Path set = deploy.resolve("tools.bundles");
        Files.writeString(set, "# the app and its library\nmvn:org.example/app/1.0.0\n\nmvn:org.example/lib/1.0.0\n");
        String digest = DeployJar.digest(set);
        await(() -> "rolled out".equals(rollout.outcome("tools.bundles", digest)), 10_000);
        for (int worker = 1; worker <= 2; worker++) {
            assertEquals(Set.of("tools~app-1.0.0.jar", "tools~lib-1.0.0.jar"), deployed(worker).keySet());
        }
        Files.delete(set);
        await(() -> "rolled out".equals(rollout.outcome("tools.bundles", "")), 10_000);
        assertEquals(Map.of(), deployed(1));
        assertEquals(Map.of(), deployed(2));
    }

    @Test
    public void aSetThatDoesNotResolveIsRefusedNamingWhatIsMissingAndNothingOfItIsInstalled() throws Exception {
        inRepository("app", Map.of("Import-Package", "org.example.lib"));
        inRepository("lib", Map.of("Export-Package", "org.example.lib"));
        start(Duration.ZERO);
        Path set = deploy.resolve("tools.bundles");
        Files.writeString(set, "mvn:org.example/app/1.0.0\n");
        String digest = DeployJar.digest(set);
        await(() -> rollout.outcome("tools.bundles", digest) != null, 10_000);
        assertEquals("refused: tools~app-1.0.0.jar (org.example.app 1.0.0) does not resolve: nothing provides"
                + " osgi.wiring.package (osgi.wiring.package=org.example.lib)", rollout.outcome("tools.bundles", digest));
        assertEquals(Map.of(), deployed(1));
        assertEquals(Map.of(), deployed(2));
        assertEquals(1, rollout.problems().size());
        assertEquals("deploy/tools.bundles", rollout.problems().get(0).subject());
        // The missing bundle dropped into deploy/ beside it: the set is looked at again and goes.
        Files.copy(repository().resolve("org/example/lib/1.0.0/lib-1.0.0.jar"), deploy.resolve("lib.jar"));
        await(() -> "rolled out".equals(rollout.outcome("tools.bundles", digest)), 10_000);
        assertEquals(Set.of("lib.jar", "tools~app-1.0.0.jar"), deployed(1).keySet());
        assertTrue(rollout.problems().isEmpty());
    }

    @Test
    public void aSetWithALineThatIsNoArtifactOrAnArtifactNowhereIsRefusedSayingSo() throws Exception {
        start(Duration.ZERO);
        Path set = deploy.resolve("tools.bundles");
        Files.writeString(set, "mvn:org.example/app\n");
        String bad = DeployJar.digest(set);
        await(() -> rollout.outcome("tools.bundles", bad) != null, 10_000);
        assertEquals("refused: line 1: 'mvn:org.example/app' is not mvn:<groupId>/<artifactId>/<version>"
                + "[/<type>[/<classifier>]]", rollout.outcome("tools.bundles", bad));
        Files.writeString(set, "mvn:org.example/nowhere/1.0.0\n");
        String absent = DeployJar.digest(set);
        await(() -> rollout.outcome("tools.bundles", absent) != null, 10_000);
        assertEquals("refused: mvn:org.example/nowhere/1.0.0: not in the local repository " + repository()
                + " (no maven_repositories configured)", rollout.outcome("tools.bundles", absent));
        Files.write(set, new byte[] {'m', 'v', 'n', ':', (byte) 0xff, (byte) 0xfe});
        String binary = DeployJar.digest(set);
        await(() -> rollout.outcome("tools.bundles", binary) != null, 10_000);
        assertEquals("refused: it is not UTF-8 text", rollout.outcome("tools.bundles", binary));
        Files.write(set, new byte[(int) BundleSets.MAX_FILE_BYTES + 1]);
        String big = DeployJar.digest(set);
        await(() -> rollout.outcome("tools.bundles", big) != null, 10_000);
        assertEquals("refused: it is larger than 64 KiB: no list of coordinates", rollout.outcome("tools.bundles", big));
        Path misnamed = Files.writeString(deploy.resolve("a~b.bundles"), "mvn:org.example/app/1.0.0\n");
        String named = DeployJar.digest(misnamed);
        await(() -> rollout.outcome("a~b.bundles", named) != null, 10_000);
        assertEquals("refused: '~' in a set's name is kept for the names of its bundles; rename it",
                rollout.outcome("a~b.bundles", named));
        assertEquals(Map.of(), deployed(1));
    }

    @Test
    public void aJarThatIsNoBundleChangesNothing() throws Exception {
        String good = bundle("m.jar", "1.0.0");
        start(Duration.ZERO);
        Files.write(deploy.resolve("m.jar"), new byte[] {'P', 'K', 3, 4, 0}); // a copy cut short, in place
        Files.write(deploy.resolve("other.jar"), new byte[] {1, 2, 3});
        Thread.sleep(1500);
        assertEquals(Map.of("m.jar", good), deployed(1));
        assertEquals(Map.of("m.jar", good), deployed(2));
        assertFalse(rollout.snapshot().rolling() != null);
    }

    @Test
    public void aWorkerStartedDuringARollOutGetsWhatItWasGivenAndOneStartedAfterGetsTheNewSet() throws Exception {
        String good = bundle("m.jar", "1.0.0");
        start(Duration.ofSeconds(2));
        String next = bundle("m.jar", "1.0.1");
        await(() -> next.equals(deployed(1).get("m.jar")), 10_000);
        // During worker 1's canary: worker 2, not given the change yet, restarts with the version in force.
        Files.delete(folder(2).resolve("m.jar"));
        rollout.prepare(2);
        assertEquals(Map.of("m.jar", good), deployed(2));
        rollout.prepare(1);
        assertEquals(Map.of("m.jar", next), deployed(1));
        await(() -> "rolled out".equals(rollout.outcome("m.jar", next)), 10_000);
        rollout.prepare(2);
        assertEquals(Map.of("m.jar", next), deployed(2));
    }
}
