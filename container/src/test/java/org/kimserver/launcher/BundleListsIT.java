package org.kimserver.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * The build's check of the assembled distribution's {@code system/}: every jar is named by a role's list, every
 * entry of a list has its jar, and each role's set resolves in a framework of its own, as the launcher would boot
 * it. Runs after the distribution is assembled (failsafe, {@code mvn verify}/{@code install}), so that a broken set
 * fails the build rather than a start.
 */
public class BundleListsIT {
    private static final List<String> ROLES = List.of(BundleList.MANAGER, BundleList.WORKER);
    private Path scratch;

    @Before
    public void scratch() throws IOException {
        scratch = Files.createTempDirectory("bundle-lists");
    }

    @After
    public void deleteScratch() throws IOException {
        try (Stream<Path> paths = Files.walk(scratch)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static Path system() {
        return Path.of(System.getProperty("kimserver.dist")).resolve("system");
    }

    @Test
    public void theDistributionsSystemFolderHasEachRolesSetAndEachResolves() throws Exception {
        List<String> problems = problems(system());
        assertTrue("system/ of the distribution:\n  " + String.join("\n  ", problems), problems.isEmpty());
    }

    @Test
    public void theManagerBootsNoGateNoSessionNoRedisClientAndDeploysNothing() throws Exception {
        BundleList manager = BundleList.read(system(), BundleList.MANAGER);
        Set<String> artifacts = new HashSet<>();
        manager.entries().stream().filter(BundleList.Entry::started).forEach(e -> artifacts.add(e.artifactId()));
        for (String absent : List.of("kimserver-gate", "kimserver-session", "kimserver-wrap-lettuce", "reactor-core",
                BundleList.DEPLOYER)) {
            assertTrue(absent + " is in " + manager.file(), !artifacts.contains(absent));
        }
        assertEquals("the manager's deploy level", 0, manager.deployLevel());
        assertTrue(artifacts.containsAll(List.of("kimserver-wire", "kimserver-shell", "netty-transport-classes-epoll",
                "kimserver-wrap-curator", "kimserver-config")));
    }

    @Test
    public void theWorkerDeploysAtItsLastLevelAfterTheGate() throws Exception {
        BundleList worker = BundleList.read(system(), BundleList.WORKER);
        int deployLevel = worker.deployLevel();
        assertEquals(worker.jarsByLevel().lastKey().intValue(), deployLevel);
        assertTrue(worker.entries().stream().anyMatch(
                e -> e.artifactId().equals("kimserver-gate") && e.level() < deployLevel));
    }

    @Test
    public void aListWithoutAJarTheOthersNeedFailsNamingTheBundleAndTheMissingPackage() throws Exception {
        Path system = copyOfSystem(list -> list.replaceAll("(?m)^3 netty-buffer$", ""));
        List<String> problems = problems(system);
        assertTrue(String.join("\n", problems), problems.stream().anyMatch(p -> p.startsWith("worker: ")
                && p.contains("io.netty.transport") && p.contains("(osgi.wiring.package=io.netty.buffer)")));
        assertTrue(String.join("\n", problems), problems.stream().anyMatch(p -> p.startsWith("manager: ")
                && p.contains("(osgi.wiring.package=io.netty.buffer)")));
        // ... and it is then in no list at all
        assertTrue(String.join("\n", problems), problems.stream().anyMatch(
                p -> p.startsWith("netty-buffer-") && p.endsWith(".jar is in no list of " + system)));
    }

    @Test
    public void aBundleWhoseProviderDoesNotResolveIsNamedToo() throws Exception {
        // without netty-common nothing of Netty resolves, and the wire codec above it neither
        Path system = copyOfSystem(list -> list.replaceAll("(?m)^3 netty-common$", ""));
        List<String> problems = problems(system);
        assertTrue(String.join("\n", problems), problems.stream().anyMatch(
                p -> p.startsWith("worker: ") && p.contains("does not resolve: its providers [")));
    }

    @Test
    public void aJarNoListNamesFailsTheCheck() throws Exception {
        Path system = copyOfSystem(list -> list);
        Files.copy(system().resolve(jarOf(system(), "jspecify")), system.resolve("stray-1.0.jar"));
        assertTrue(problems(system).contains("stray-1.0.jar is in no list of " + system));
    }

    @Test
    public void anEntryWithoutItsJarFailsTheCheck() throws Exception {
        Path system = copyOfSystem(list -> list + "4 kimserver-nowhere\n");
        List<String> problems = problems(system);
        assertTrue(String.join("\n", problems), problems.stream().anyMatch(p -> p.startsWith("worker: ")
                && p.contains("no jar kimserver-nowhere-<version>.jar")));
    }

    @Test
    public void aMissingRoleListAndABrokenExtraListFailTheCheck() throws Exception {
        Path system = copyOfSystem(list -> list);
        Files.delete(system.resolve("manager.bundles"));
        Files.writeString(system.resolve("spare.bundles"), "4 kimserver-gate\nfour kimserver-session\n");
        List<String> problems = problems(system);
        assertTrue(String.join("\n", problems), problems.contains(
                "manager: " + system.resolve("manager.bundles") + ": no bundle list for the role 'manager'"));
        assertTrue(String.join("\n", problems), problems.contains("spare: " + system.resolve("spare.bundles")
                + ":2: 'four kimserver-session' is not '<start level> <artifactId>'"));
    }

    @Test
    public void anEntryIsTheArtifactWithAVersionNotAnotherThatStartsLikeIt() throws Exception {
        assertTrue(BundleList.artifactOf("netty-transport-4.2.18.Final.jar", "netty-transport"));
        assertTrue(!BundleList.artifactOf("netty-transport-classes-epoll-4.2.18.Final.jar", "netty-transport"));
        assertTrue(!BundleList.artifactOf("netty-transport.jar", "netty-transport"));
    }

    /**
     * Each problem of {@code system}: a jar no list names, a list that cannot be read (an entry without its jar, a
     * role's list missing), and, for each list, each bundle that does not resolve with the rest of its set and why.
     */
    static List<String> problems(Path system) throws Exception {
        List<String> problems = new ArrayList<>();
        Set<Path> named = new HashSet<>();
        Set<String> roles = new TreeSet<>(ROLES);
        try (Stream<Path> lists = Files.list(system)) {
            lists.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".bundles"))
                    .forEach(n -> roles.add(n.substring(0, n.length() - ".bundles".length())));
        }
        for (String role : roles) {
            BundleList list;
            try {
                list = BundleList.read(system, role);
                list.deployLevel();
            } catch (IllegalStateException e) {
                problems.add(role + ": " + e.getMessage());
                continue;
            }
            list.entries().forEach(e -> named.add(e.jar()));
            for (String unresolved : unresolved(list)) {
                problems.add(role + ": " + unresolved);
            }
        }
        try (Stream<Path> jars = Files.list(system)) {
            for (Path jar : jars.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                if (!named.contains(jar)) {
                    problems.add(jar.getFileName() + " is in no list of " + system);
                }
            }
        }
        return problems;
    }

    /** Installs the list's jars in a framework of their own and says, of each that does not resolve, why. */
    private static List<String> unresolved(BundleList list) throws Exception {
        Path home = Files.createTempDirectory("bundle-lists-" + list.file().getFileName());
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow();
        Map<String, String> properties = Container.frameworkProperties(home, "check", 1);
        properties.put("felix.log.level", "0");
        Framework framework = factory.newFramework(properties);
        framework.init();
        try {
            List<Bundle> bundles = new ArrayList<>();
            for (BundleList.Entry e : list.entries()) {
                try (InputStream in = Files.newInputStream(e.jar())) {
                    bundles.add(framework.getBundleContext().installBundle(e.jar().toUri().toString(), in));
                }
            }
            if (framework.adapt(FrameworkWiring.class).resolveBundles(bundles)) {
                return List.of();
            }
            List<BundleCapability> capabilities = new ArrayList<>();
            for (Bundle b : framework.getBundleContext().getBundles()) {
                capabilities.addAll(b.adapt(BundleRevision.class).getDeclaredCapabilities(null));
            }
            List<String> reasons = new ArrayList<>();
            for (Bundle b : bundles) {
                if (b.getState() == Bundle.INSTALLED) {
                    reasons.add(b.getSymbolicName() + " " + b.getVersion() + " (" + Path.of(URI.create(b.getLocation())).getFileName() + ") does not resolve: "
                            + why(b.adapt(BundleRevision.class), capabilities));
                }
            }
            return reasons;
        } finally {
            framework.stop();
            framework.waitForStop(10_000);
            deleteTree(home);
        }
    }

    /**
     * The mandatory requirements of {@code revision} that no bundle of the set (nor the framework) provides; when
     * each has a provider, those of its providers that did not resolve themselves.
     */
    private static String why(BundleRevision revision, List<BundleCapability> capabilities)
            throws InvalidSyntaxException {
        List<String> missing = new ArrayList<>();
        Set<String> unresolvedProviders = new HashSet<>();
        for (BundleRequirement r : revision.getDeclaredRequirements(null)) {
            String resolution = r.getDirectives().get(Constants.RESOLUTION_DIRECTIVE);
            String effective = r.getDirectives().getOrDefault(Constants.EFFECTIVE_DIRECTIVE, Constants.EFFECTIVE_RESOLVE);
            if (Constants.RESOLUTION_OPTIONAL.equals(resolution) || "dynamic".equals(resolution)
                    || !Constants.EFFECTIVE_RESOLVE.equals(effective)) {
                continue;
            }
            String filterText = r.getDirectives().get(Constants.FILTER_DIRECTIVE);
            Filter filter = filterText == null ? null : FrameworkUtil.createFilter(filterText);
            List<BundleCapability> providers = capabilities.stream()
                    .filter(c -> c.getNamespace().equals(r.getNamespace()))
                    .filter(c -> filter == null || filter.matches(c.getAttributes())).toList();
            if (providers.isEmpty()) {
                missing.add(r.getNamespace() + " " + (filterText == null ? "" : filterText));
            } else if (providers.stream().allMatch(c -> c.getRevision() != revision
                    && c.getRevision().getBundle().getState() == Bundle.INSTALLED)) {
                providers.forEach(c -> unresolvedProviders.add(c.getRevision().getSymbolicName()));
            }
        }
        if (!missing.isEmpty()) {
            return "missing requirement " + String.join(", missing requirement ", missing);
        }
        if (!unresolvedProviders.isEmpty()) {
            return "its providers " + unresolvedProviders + " do not resolve";
        }
        return "every requirement has a resolved provider: a uses constraint conflicts";
    }

    /** A copy of the distribution's system/ whose lists are edited by {@code edit}. */
    private Path copyOfSystem(UnaryOperator<String> edit) throws IOException {
        Path copy = Files.createDirectories(scratch.resolve("system"));
        try (Stream<Path> files = Files.list(system())) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".bundles")) {
                    Files.writeString(copy.resolve(name), edit.apply(Files.readString(f)));
                } else {
                    Files.createSymbolicLink(copy.resolve(name), f);
                }
            }
        }
        return copy;
    }

    private static String jarOf(Path system, String artifactId) throws IOException {
        try (Stream<Path> files = Files.list(system)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> BundleList.artifactOf(n, artifactId))
                    .findFirst().orElseThrow();
        }
    }

    private static void deleteTree(Path folder) throws IOException {
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
