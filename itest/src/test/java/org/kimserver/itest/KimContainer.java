package org.kimserver.itest;

import static org.ops4j.pax.exam.CoreOptions.bootDelegationPackages;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.frameworkStartLevel;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.kimserver.launcher.BundleList;
import org.kimserver.launcher.Container;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/** The distribution's worker bundles in Pax Exam's native container, set up as the launcher sets them up. */
final class KimContainer {
    /** System property that hands the gate port chosen by a test's configuration to its test methods. */
    static final String GATE_PORT_PROPERTY = "kimserver.itest.gate.port";
    private KimContainer() {
    }

    /** The unpacked distribution the build made. */
    static Path dist() {
        return Path.of(System.getProperty("kimserver.dist"));
    }

    /**
     * A new server home with the distribution's etc/kimserver.json, its gate on {@code gatePort}, changed further
     * by {@code edit}, and an empty deploy/. It is deleted as the test JVM exits, after Pax Exam has stopped the
     * framework that ran on it.
     */
    static Path home(String prefix, int gatePort, UnaryOperator<String> edit) throws IOException {
        Path home = Files.createTempDirectory(prefix);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            try {
                deleteTree(home);
            } catch (IOException e) {
                System.err.println("could not delete the test server home " + home + ": " + e);
            }
        }));
        Files.createDirectories(home.resolve("etc"));
        Files.createDirectories(home.resolve("deploy"));
        String json = Files.readString(dist().resolve("etc/kimserver.json"))
                .replace("\"gate_port\": 3355", "\"gate_port\": " + gatePort);
        Files.writeString(home.resolve("etc/kimserver.json"), edit.apply(json));
        return home;
    }

    /**
     * A test class's configuration: a new home (see {@link #home(String, int, UnaryOperator)}) with its gate on a
     * free port, which its test methods read with {@link #gatePort()}.
     */
    static Option[] configuration(String prefix, UnaryOperator<String> edit) throws IOException {
        int gatePort = freePort();
        return configuration(home(prefix, gatePort, edit), gatePort);
    }

    /** A test class's configuration: the distribution on {@code home}, whose gate is on {@code gatePort}. */
    static Option[] configuration(Path home, int gatePort) throws IOException {
        return new Option[] {
            composite(options(dist(), home)),
            systemProperty(GATE_PORT_PROPERTY).value(Integer.toString(gatePort)),
        };
    }

    /** In a test method: the gate port its class's {@link #configuration} chose. */
    static int gatePort() {
        return Integer.getInteger(GATE_PORT_PROPERTY);
    }

    /** In a test method: the server home the framework runs on. */
    static Path home(BundleContext context) {
        return Path.of(context.getProperty("kimserver.home"));
    }

    /** Every problem of every ProblemReporter service now, as kim:info lists them. */
    static List<Problem> problems(BundleContext context) {
        List<Problem> all = new ArrayList<>();
        try {
            for (ServiceReference<ProblemReporter> ref : context.getServiceReferences(ProblemReporter.class, null)) {
                ProblemReporter reporter = context.getService(ref);
                if (reporter != null) {
                    all.addAll(reporter.problems());
                    context.ungetService(ref);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
        return all;
    }

    /** The jars of the distribution's worker list at their start levels, with the launcher's framework properties. */
    static Option[] options(Path dist, Path home) throws IOException {
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
        options.add(systemProperty("org.ops4j.pax.url.mvn.localRepository")
                .value(System.getProperty("org.ops4j.pax.url.mvn.localRepository")));
        options.add(cleanCaches());
        options.add(systemTimeout(60000));
        return options.toArray(new Option[0]);
    }

    /** Deletes {@code folder} with everything in it; symbolic links are deleted, not followed. */
    static void deleteTree(Path folder) throws IOException {
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

    /** A port nothing listens on now, for a gate under test. */
    static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    private static boolean isFragment(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            return file.getManifest().getMainAttributes().getValue(Constants.FRAGMENT_HOST) != null;
        }
    }

    /** Runs a gogo command and returns what it printed and returned. */
    static String shell(CommandProcessor commands, String command) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        CommandSession session = commands.createSession(System.in, out, out);
        try {
            Object result = session.execute(command);
            if (result != null) {
                out.println(session.format(result, Converter.INSPECT));
            }
        } finally {
            session.close();
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    /** Runs a gogo command; its failure fails the test. */
    static String shellOrFail(CommandProcessor commands, String command) {
        try {
            return shell(commands, command);
        } catch (Exception e) {
            throw new AssertionError(command + " failed", e);
        }
    }

    /** A number from kim:stats, the first group of {@code regex}, e.g. {@code "(\\d+) malformed"}. */
    static long stat(CommandProcessor commands, String regex) {
        String stats = shellOrFail(commands, "kim:stats");
        Matcher m = Pattern.compile(regex).matcher(stats);
        if (!m.find()) {
            throw new AssertionError("kim:stats has no " + regex + ":\n" + stats);
        }
        return Long.parseLong(m.group(1));
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after 10 s waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }
}
