package org.kimserver.testkit;

import static org.ops4j.pax.exam.CoreOptions.bootDelegationPackages;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.frameworkStartLevel;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.function.UnaryOperator;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.kimserver.launcher.BundleList;
import org.kimserver.launcher.Container;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Constants;

/**
 * A test class's kimserver: a new server home (the distribution's {@code etc/kimserver.json}, the gate on a free
 * port, an empty {@code deploy/}) and the Pax Exam options that boot the distribution's worker bundles on it, set up
 * as {@code bin/kimserver} sets them up. Modules go into its {@code deploy/} and are deployed as the server deploys
 * them. In a test class:
 *
 * <pre>{@code
 * @Configuration
 * public Option[] config() throws IOException {
 *     return KimContainer.create().projectModule().options();
 * }
 * }</pre>
 *
 * Runs outside the container (Pax Exam calls {@code @Configuration} methods there); in the test methods,
 * {@link KimServer} finds what this chose.
 */
public final class KimContainer {
    /** System property of the test JVM: an unpacked distribution to use instead of the kit's own version's. */
    public static final String DIST_PROPERTY = "kimserver.dist";
    /** System property that hands the gate port to the test methods ({@link KimServer#gatePort()}). */
    static final String GATE_PORT_PROPERTY = "kimserver.testkit.gate.port";
    /** Where a module's classes are built, relative to the project (Maven's working directory for its tests). */
    private static final Path PROJECT_CLASSES = Path.of("target/classes");

    private final Path home;
    private final int gatePort;

    private KimContainer(Path home, int gatePort) {
        this.home = home;
        this.gatePort = gatePort;
    }

    /** A new home on a free gate port (see the class). */
    public static KimContainer create() throws IOException {
        return create(freePort());
    }

    /**
     * A new home whose gate is on {@code gatePort}: 0 lets the system choose, as {@code gate_port} 0 does. It is
     * deleted as the test JVM exits, after Pax Exam has stopped the framework that ran on it.
     */
    public static KimContainer create(int gatePort) throws IOException {
        Path home = Files.createTempDirectory("kimserver-test");
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            try {
                deleteTree(home);
            } catch (IOException e) {
                System.err.println("could not delete the test server home " + home + ": " + e);
            }
        }));
        Files.createDirectories(home.resolve("etc"));
        Files.createDirectories(home.resolve("deploy"));
        String json = Files.readString(distribution().resolve("etc/kimserver.json"))
                .replaceFirst("\"gate_port\": \\d+", "\"gate_port\": " + gatePort)
                .replaceFirst("\"node_port\": \\d+", "\"node_port\": " + freePort());
        Files.writeString(home.resolve("etc/kimserver.json"), json);
        return new KimContainer(home, gatePort);
    }

    /** Changes the home's {@code etc/kimserver.json}: {@code edit} gets its text and returns the new one. */
    public KimContainer config(UnaryOperator<String> edit) throws IOException {
        Path config = home.resolve("etc/kimserver.json");
        Files.writeString(config, edit.apply(Files.readString(config)));
        return this;
    }

    /**
     * Puts a module jar into the home's {@code deploy/}: the server deploys it as it starts.
     *
     * @throws IllegalArgumentException when {@code jar} is no jar with a Bundle-SymbolicName
     */
    public KimContainer module(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            if (manifest == null || manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME) == null) {
                throw new IllegalArgumentException(jar + " is no bundle: its manifest has no Bundle-SymbolicName");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(jar + " is no jar: " + e.getMessage(), e);
        }
        Files.copy(jar, home.resolve("deploy").resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        return this;
    }

    /**
     * Puts the module this project builds into the home's {@code deploy/}: its {@code target/classes}, with the
     * manifest bnd-maven-plugin wrote there, packed into a jar, so that it works in Maven's test phase too, before
     * the project's own jar exists.
     *
     * @throws IllegalStateException when {@code target/classes} holds no bundle manifest
     */
    public KimContainer projectModule() throws IOException {
        Path manifestFile = PROJECT_CLASSES.resolve("META-INF/MANIFEST.MF");
        Manifest manifest;
        try (InputStream in = Files.newInputStream(manifestFile)) {
            manifest = new Manifest(in);
        } catch (IOException e) {
            throw new IllegalStateException(manifestFile.toAbsolutePath() + ": no bundle manifest (" + e
                    + "); the project's build writes it (bnd-maven-plugin): run the test with Maven", e);
        }
        String name = manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
        if (name == null) {
            throw new IllegalStateException(manifestFile.toAbsolutePath() + " has no Bundle-SymbolicName: the"
                    + " project does not build an OSGi bundle (bnd-maven-plugin)");
        }
        Path jar = home.resolve("deploy").resolve(name.replaceFirst(";.*", "").strip() + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream packed = new JarOutputStream(out,
                manifest); Stream<Path> files = Files.walk(PROJECT_CLASSES)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String entry = PROJECT_CLASSES.relativize(file).toString().replace('\\', '/');
                if (!entry.equals(JarFile.MANIFEST_NAME)) {
                    packed.putNextEntry(new JarEntry(entry));
                    Files.copy(file, packed);
                    packed.closeEntry();
                }
            }
        }
        return this;
    }

    /** The server home the framework will run on: files put here before {@link #options()} are there at start. */
    public Path home() {
        return home;
    }

    /** The gate port of {@code etc/kimserver.json} (0: the system chooses). */
    public int gatePort() {
        return gatePort;
    }

    /**
     * The options of the test class: the distribution's worker bundles at their start levels with the launcher's
     * framework properties on this home, the kit itself (its client and waits serve the test methods), JUnit.
     */
    public Option[] options() throws IOException {
        Path dist = distribution();
        List<Option> options = new ArrayList<>();
        BundleList worker = BundleList.read(dist.resolve("system"), BundleList.WORKER);
        int top = 0;
        for (BundleList.Entry entry : worker.entries()) {
            top = Math.max(top, entry.level());
            var provision = bundle(entry.jar().toUri().toString());
            if (entry.started()) {
                provision.startLevel(entry.level());
            }
            options.add(isFragment(entry.jar()) || !entry.started() ? provision.noStart() : provision);
        }
        Path kit = ownLocation();
        // Felix installs a folder with a manifest (the kit's classes in an IDE) by reference.
        options.add(bundle((Files.isDirectory(kit) ? "reference:" : "") + kit.toUri()).startLevel(top));
        Container.frameworkProperties(home, "M0", top).forEach((key, value) -> {
            // Pax Exam manages the storage; boot delegation is added to its own list below.
            if (!key.startsWith("org.osgi.framework.storage") && !key.equals(Constants.FRAMEWORK_BOOTDELEGATION)
                    && !key.equals(Constants.FRAMEWORK_BEGINNING_STARTLEVEL)) {
                options.add(frameworkProperty(key).value(value));
            }
        });
        options.add(frameworkProperty("felix.fileinstall.poll").value("200"));
        options.add(bootDelegationPackages("sun.*", "com.sun.*", "jdk.jfr", "jdk.jfr.*"));
        options.add(junitBundles());
        options.add(frameworkStartLevel(20));
        options.add(systemProperty(GATE_PORT_PROPERTY).value(Integer.toString(gatePort)));
        String localRepository = System.getProperty("org.ops4j.pax.url.mvn.localRepository");
        if (localRepository != null) {
            options.add(systemProperty("org.ops4j.pax.url.mvn.localRepository").value(localRepository));
        }
        options.add(cleanCaches());
        options.add(systemTimeout(60000));
        return options.toArray(new Option[0]);
    }

    /**
     * The unpacked distribution: the folder {@value #DIST_PROPERTY} names, or else the distribution zip of the kit's
     * own version from the local Maven repository the kit came from (the kit depends on it, so Maven fetched it),
     * unpacked once into {@code target/}.
     */
    public static Path distribution() throws IOException {
        String given = System.getProperty(DIST_PROPERTY);
        if (given != null) {
            return Path.of(given);
        }
        String version = version();
        Path kit = ownLocation();
        // <repository>/org/kimserver/kimserver-testkit/<version>/kimserver-testkit-<version>.jar
        Path group = kit.getParent() == null || kit.getParent().getParent() == null ? null
                : kit.getParent().getParent().getParent();
        Path zip = group == null ? null
                : group.resolve("kimserver-container").resolve(version).resolve("kimserver-container-" + version
                        + ".zip");
        if (zip == null || !Files.isRegularFile(zip)) {
            throw new IllegalStateException("no kimserver distribution: the test kit (" + kit + ") is not beside"
                    + " kimserver-container-" + version + ".zip in a Maven repository; set the system property "
                    + DIST_PROPERTY + " to an unpacked distribution");
        }
        Path into = Path.of("target", "kimserver-" + version).toAbsolutePath();
        Path dist = into.resolve("kimserver-" + version);
        Path stamp = into.resolve(".unpacked-from");
        String from = zip + " " + Files.getLastModifiedTime(zip).toMillis() + " " + Files.size(zip);
        if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(from) && Files.isDirectory(dist)) {
            return dist;
        }
        deleteTree(into);
        unzip(zip, into);
        if (!Files.isDirectory(dist)) {
            throw new IllegalStateException(zip + " holds no folder kimserver-" + version);
        }
        Files.writeString(stamp, from);
        return dist;
    }

    private static void unzip(Path zip, Path into) throws IOException {
        Path root = into.toAbsolutePath().normalize();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                Path target = root.resolve(entry.getName()).normalize();
                if (!target.startsWith(root)) {
                    throw new IOException(zip + ": entry " + entry.getName() + " points outside the folder");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** The server version this kit belongs to. */
    static String version() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = KimContainer.class.getResourceAsStream("kimserver.properties")) {
            properties.load(in);
        }
        return properties.getProperty("version");
    }

    /** The kit's own jar (or classes folder). */
    private static Path ownLocation() {
        try {
            return Path.of(KimContainer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes {@code folder} with everything in it; symbolic links are deleted, not followed. */
    public static void deleteTree(Path folder) throws IOException {
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (UncheckedIOException e) {
            throw new IOException("could not delete " + folder, e.getCause());
        }
    }

    /** A port nothing listens on now. */
    public static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    private static boolean isFragment(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            Attributes attributes = file.getManifest().getMainAttributes();
            return attributes.getValue(Constants.FRAGMENT_HOST) != null;
        }
    }
}
