package org.kimserver.launcher;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleWiring;

/**
 * One Felix framework with the bundles its role's list names ({@code system/manager.bundles} or
 * {@code system/worker.bundles}, see {@link BundleList}), each at the start level the list gives it: logging first,
 * then Config Admin, SCR and the configuration, libraries, the kimserver bundles, and, in a role that deploys
 * modules, fileinstall (which deploys {@code deploy/}) last.
 */
public final class Container {
    private final Path home;
    private final String processTag;
    /** The manager's framework property naming the jars a worker boots (the supervisor reads it). */
    static final String WORKER_JARS_PROPERTY = "kimserver.worker.jars";
    private final String role;
    private final List<Bundle> systemBundles = new ArrayList<>();
    private volatile Framework framework;
    /** The level of fileinstall, which deploys deploy/; 0 when the role deploys nothing. */
    private int deployLevel;

    /**
     * @param processTag M0 for the manager, W&lt;n&gt; for worker n: shown in every log line
     * @param role {@link BundleList#MANAGER} or {@link BundleList#WORKER}: which list of {@code system/} it boots
     */
    Container(Path home, String processTag, String role) {
        this.home = home;
        this.processTag = processTag;
        this.role = role;
    }

    /** The kimserver version, from the launcher jar's manifest. */
    static String version() {
        String v = Container.class.getPackage().getImplementationVersion();
        return v == null ? "(development)" : v;
    }

    /**
     * The folder of a process's own state under data/: data/m0 for the manager, data/w&lt;n&gt; for worker n. Its
     * framework cache and temporary files go there, so that processes on one home never share them.
     */
    static Path processData(Path home, String processTag) {
        return home.resolve("data").resolve(processTag.toLowerCase(Locale.ROOT));
    }

    /**
     * The framework properties of a kimserver process. Public so that the Pax Exam tests boot their framework
     * with the same settings.
     */
    public static Map<String, String> frameworkProperties(Path home, String processTag, int beginningLevel) {
        Path data = processData(home, processTag);
        Map<String, String> p = new HashMap<>();
        p.put(Constants.FRAMEWORK_STORAGE, data.resolve("cache").toString());
        p.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        p.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, Integer.toString(beginningLevel));
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
        // A worker deploys the copy of deploy/ its manager keeps for it (the manager rolls changes out one worker
        // after another); it names the folder on the worker's command line.
        p.put("felix.fileinstall.dir", System.getProperty("kimserver.deploy", home.resolve("deploy").toString()));
        p.put("felix.fileinstall.filter", ".*\\.jar");
        p.put("felix.fileinstall.poll", "500");
        p.put("felix.fileinstall.noInitialDelay", "true");
        p.put("felix.fileinstall.tmpdir", data.resolve("tmp").resolve("fileinstall").toString());
        p.put("felix.fileinstall.log.level", "3");
        // The shell must not stop the framework when its standard input ends.
        p.put("gosh.args", "--noshutdown");
        return p;
    }

    /**
     * Installs the role's bundles and starts the system: every start level but fileinstall's, which is the last (a
     * role without fileinstall: every level). Returns once those levels are reached; {@link #deployModules} raises
     * the framework to fileinstall's.
     */
    Framework bootSystem() throws IOException, BundleException, InterruptedException {
        BundleList list = BundleList.read(home.resolve("system"), role);
        TreeMap<Integer, List<Path>> levels = list.jarsByLevel();
        deployLevel = list.deployLevel();
        Integer below = levels.lowerKey(deployLevel == 0 ? Integer.MAX_VALUE : deployLevel);
        int systemLevel = below == null || below == 0 ? Math.max(1, deployLevel) : below;
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"));
        Map<String, String> properties = frameworkProperties(home, processTag, systemLevel);
        if (role.equals(BundleList.MANAGER)) {
            // The manager checks that bundle sets resolve in a worker before the workers get them (supervisor).
            properties.put(WORKER_JARS_PROPERTY, BundleList.read(home.resolve("system"), BundleList.WORKER).entries()
                    .stream().map(entry -> entry.jar().toString()).collect(Collectors.joining(File.pathSeparator)));
        }
        framework = factory.newFramework(properties);
        framework.init();

        for (var level : levels.entrySet()) {
            for (Path jar : level.getValue()) {
                Bundle bundle;
                try (InputStream in = Files.newInputStream(jar)) {
                    bundle = framework.getBundleContext().installBundle(jar.toUri().toString(), in);
                }
                if (level.getKey() == 0) {
                    continue; // installed for its packages only
                }
                bundle.adapt(BundleStartLevel.class).setStartLevel(level.getKey());
                if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    bundle.start();
                }
                if (deployLevel == 0 || level.getKey() < deployLevel) {
                    systemBundles.add(bundle);
                }
            }
        }

        CountDownLatch started = new CountDownLatch(1);
        FrameworkListener listener = e -> {
            if (e.getType() == FrameworkEvent.STARTED) {
                started.countDown();
            }
        };
        framework.getBundleContext().addFrameworkListener(listener);
        framework.start();
        if (!started.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the framework did not reach start level " + systemLevel + " in 120 s");
        }
        framework.getBundleContext().removeFrameworkListener(listener);
        return framework;
    }

    /**
     * Raises the framework to the last start level, where fileinstall deploys {@code deploy/}, without waiting:
     * fileinstall's first scan runs inside its start, so a module that is slow to start would hold up whoever
     * waits. {@code trouble} (which must not block) is told of each module still starting after {@code patience},
     * and of a bundle of that level's system/ folder that did not start. Does nothing in a role that deploys nothing.
     */
    void deployModules(Duration patience, Consumer<String> trouble) {
        if (deployLevel == 0) {
            return;
        }
        CountDownLatch reached = new CountDownLatch(1);
        framework.adapt(FrameworkStartLevel.class).setStartLevel(deployLevel, e -> {
            if (e.getType() == FrameworkEvent.STARTLEVEL_CHANGED) {
                reached.countDown();
            }
        });
        Thread.ofPlatform().name("kimserver-deploy-watch").daemon().start(() -> {
            try {
                if (!reached.await(patience.toMillis(), TimeUnit.MILLISECONDS)) {
                    // A bundle whose activator is slow is STARTING; one whose component is slow is ACTIVE already,
                    // and only fileinstall, which starts them one after another, is still starting.
                    List<String> starting = new ArrayList<>();
                    for (Bundle b : framework.getBundleContext().getBundles()) {
                        if (b.getState() == Bundle.STARTING && !fromSystemFolder(b)) {
                            starting.add(describe(b));
                        }
                    }
                    trouble.accept("the modules of deploy/ are still starting after " + patience.toSeconds() + " s"
                            + (starting.isEmpty() ? "" : ": " + String.join(", ", starting) + " is STARTING")
                            + "; until they are, those after it are not served (bin/kimserver console kim:info says"
                            + " what runs)");
                    reached.await();
                }
                for (Bundle b : framework.getBundleContext().getBundles()) {
                    if (fromSystemFolder(b) && b.adapt(BundleStartLevel.class).getStartLevel() == deployLevel
                            && b.getState() != Bundle.ACTIVE && framework.getState() == Bundle.ACTIVE) {
                        trouble.accept(describe(b) + " did not start; see log/kimserver.log");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IllegalStateException e) {
                // the framework stopped meanwhile: nothing is still starting
            }
        });
    }

    private boolean fromSystemFolder(Bundle bundle) {
        return bundle.getBundleId() == 0 || bundle.getLocation().startsWith(home.resolve("system").toUri().toString());
    }

    private static String describe(Bundle bundle) {
        return bundle.getSymbolicName() + " " + bundle.getVersion() + " (" + bundle.getLocation() + ")";
    }

    /**
     * What holds up a stop: each bundle still STARTING or STOPPING, and the stack of each thread that runs code of
     * one of them.
     */
    String stuckReport() {
        StringBuilder report = new StringBuilder();
        Map<Thread, StackTraceElement[]> stacks = Thread.getAllStackTraces();
        for (Bundle b : framework.getBundleContext().getBundles()) {
            int state = b.getState();
            if (b.getBundleId() == 0 || state != Bundle.STARTING && state != Bundle.STOPPING) {
                continue;
            }
            report.append("  ").append(describe(b)).append(" is ")
                    .append(state == Bundle.STARTING ? "STARTING" : "STOPPING").append('\n');
            Set<String> classes = localClasses(b);
            for (var thread : stacks.entrySet()) {
                if (Arrays.stream(thread.getValue()).anyMatch(f -> classes.contains(f.getClassName()))) {
                    report.append("    thread \"").append(thread.getKey().getName()).append("\"\n");
                    for (StackTraceElement frame : thread.getValue()) {
                        report.append("      at ").append(frame).append('\n');
                    }
                }
            }
        }
        return report.toString();
    }

    /** The names of the classes a bundle holds itself (not those it imports). */
    private static Set<String> localClasses(Bundle bundle) {
        BundleWiring wiring = bundle.adapt(BundleWiring.class);
        if (wiring == null) {
            return Set.of();
        }
        Set<String> names = new HashSet<>();
        for (String resource : wiring.listResources("/", "*.class",
                BundleWiring.LISTRESOURCES_LOCAL | BundleWiring.LISTRESOURCES_RECURSE)) {
            names.add(resource.substring(0, resource.length() - ".class".length()).replace('/', '.'));
        }
        return names;
    }

    /**
     * Stops the framework and waits for it at most {@code bound}; true when it has stopped (or never existed). The
     * stop runs in a thread of its own, so that a stop that blocks does not block the caller beyond the bound.
     */
    boolean stop(Duration bound) throws InterruptedException {
        if (framework == null) {
            return true;
        }
        Thread.ofPlatform().name("kimserver-framework-stop").daemon().start(() -> {
            try {
                framework.stop();
            } catch (BundleException e) {
                System.err.println("kimserver: stop failed: " + e);
            }
        });
        return framework.waitForStop(Math.max(1, bound.toMillis())).getType() != FrameworkEvent.WAIT_TIMEDOUT;
    }

    /** Each system bundle (start levels below fileinstall's) that is not ACTIVE (a fragment: not RESOLVED). */
    List<String> systemBundleProblems() {
        List<String> problems = new ArrayList<>();
        for (Bundle b : systemBundles) {
            boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            int expected = fragment ? Bundle.RESOLVED : Bundle.ACTIVE;
            if (b.getState() != expected) {
                problems.add(describe(b) + " is in state "
                        + b.getState() + ", expected " + (fragment ? "RESOLVED" : "ACTIVE")
                        + "; see log/console.out and log/kimserver.log");
            }
        }
        return problems;
    }
}
