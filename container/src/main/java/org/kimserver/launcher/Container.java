package org.kimserver.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * One Felix framework with the bundles of the distribution's {@code system/} folder. Each numbered sub-folder is a
 * start level, so the order in which things start is visible on disk: logging first, then Config Admin, SCR and
 * the configuration, libraries, the kimserver bundles, and fileinstall (which deploys {@code deploy/}) last.
 * {@code system/console} holds the interactive shell, installed only for a foreground run.
 */
public final class Container {
    static final String CONSOLE_FOLDER = "console";

    private final Path home;
    private final String processTag;
    private final boolean interactive;
    private final List<Bundle> systemBundles = new ArrayList<>();
    private Framework framework;

    /**
     * @param processTag M0 for the manager, W&lt;n&gt; for worker n: shown in every log line
     * @param interactive whether to install the gogo console on this process's terminal
     */
    Container(Path home, String processTag, boolean interactive) {
        this.home = home;
        this.processTag = processTag;
        this.interactive = interactive;
    }

    /** The kimserver version, from the launcher jar's manifest. */
    static String version() {
        String v = Container.class.getPackage().getImplementationVersion();
        return v == null ? "(development)" : v;
    }

    /**
     * The framework properties of a kimserver process. Public so that the Pax Exam tests boot their framework
     * with the same settings.
     */
    public static Map<String, String> frameworkProperties(Path home, String processTag, int topLevel) {
        Path data = home.resolve("data");
        Map<String, String> p = new HashMap<>();
        p.put(Constants.FRAMEWORK_STORAGE, data.resolve("cache").toString());
        p.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        p.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, Integer.toString(topLevel));
        // Explicit boot delegation instead of Felix's implicit one, which leaks class-path classes into bundles:
        // sun.* for Netty's epoll JNI_OnLoad and Unsafe, jdk.jfr for Lettuce's flight-recorder events.
        p.put("felix.bootdelegation.implicit", "false");
        p.put(Constants.FRAMEWORK_BOOTDELEGATION, "sun.*,jdk.jfr,jdk.jfr.*");
        p.put("felix.log.level", "1");
        p.put("kimserver.home", home.toString());
        p.put("kimserver.process", processTag);
        p.put("kimserver.version", version());
        // Until the configuration from kimserver.json reaches Pax Logging, only warnings go to the console.
        p.put("org.ops4j.pax.logging.DefaultServiceLog.level", "WARN");
        p.put("felix.fileinstall.dir", home.resolve("deploy").toString());
        p.put("felix.fileinstall.filter", ".*\\.jar");
        p.put("felix.fileinstall.poll", "500");
        p.put("felix.fileinstall.noInitialDelay", "true");
        p.put("felix.fileinstall.tmpdir", data.resolve("tmp").resolve("fileinstall").toString());
        p.put("felix.fileinstall.log.level", "3");
        // The shell must not stop the framework when its standard input ends.
        p.put("gosh.args", "--noshutdown");
        return p;
    }

    /** Installs and starts everything; returns once the top start level is reached. */
    Framework boot() throws IOException, BundleException, InterruptedException {
        TreeMap<Integer, List<Path>> levels = bundleJarsByLevel();
        int top = levels.isEmpty() ? 1 : levels.lastKey();
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"));
        framework = factory.newFramework(frameworkProperties(home, processTag, top));
        framework.init();

        for (var level : levels.entrySet()) {
            for (Path jar : level.getValue()) {
                Bundle bundle;
                try (InputStream in = Files.newInputStream(jar)) {
                    bundle = framework.getBundleContext().installBundle(jar.toUri().toString(), in);
                }
                bundle.adapt(BundleStartLevel.class).setStartLevel(level.getKey());
                if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    bundle.start();
                }
                systemBundles.add(bundle);
            }
        }

        CountDownLatch started = new CountDownLatch(1);
        framework.getBundleContext().addFrameworkListener(e -> {
            if (e.getType() == FrameworkEvent.STARTED) {
                started.countDown();
            }
        });
        framework.start();
        if (!started.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the framework did not reach its start level in 120 s");
        }
        return framework;
    }

    /** system/N/*.jar by start level N; system/console goes one level above the others when interactive. */
    private TreeMap<Integer, List<Path>> bundleJarsByLevel() throws IOException {
        TreeMap<Integer, List<Path>> levels = new TreeMap<>();
        Path system = home.resolve("system");
        List<Path> folders;
        try (Stream<Path> s = Files.list(system)) {
            folders = s.filter(Files::isDirectory).toList();
        }
        for (Path folder : folders) {
            String name = folder.getFileName().toString();
            if (name.matches("\\d+")) {
                levels.put(Integer.parseInt(name), jars(folder));
            } else if (!name.equals(CONSOLE_FOLDER)) {
                throw new IllegalStateException(folder + ": system/ holds only start-level folders and console/");
            }
        }
        if (interactive && Files.isDirectory(system.resolve(CONSOLE_FOLDER))) {
            int consoleLevel = (levels.isEmpty() ? 0 : levels.lastKey()) + 1;
            levels.put(consoleLevel, jars(system.resolve(CONSOLE_FOLDER)));
        }
        return levels;
    }

    private static List<Path> jars(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
    }

    /** Each system bundle that is not ACTIVE (a fragment: not RESOLVED), with its state. */
    List<String> systemBundleProblems() {
        List<String> problems = new ArrayList<>();
        for (Bundle b : systemBundles) {
            boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            int expected = fragment ? Bundle.RESOLVED : Bundle.ACTIVE;
            if (b.getState() != expected) {
                problems.add(b.getSymbolicName() + " " + b.getVersion() + " (" + b.getLocation() + ") is in state "
                        + b.getState() + ", expected " + (fragment ? "RESOLVED" : "ACTIVE")
                        + "; see log/console.out and log/kimserver.log");
            }
        }
        return problems;
    }
}
