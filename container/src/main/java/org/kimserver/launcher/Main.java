package org.kimserver.launcher;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.kimserver.config.ConfigException;
import org.kimserver.config.KimConfig;
import org.osgi.framework.BundleException;
import org.osgi.framework.launch.Framework;

/**
 * Starts one kimserver process: checks etc/kimserver.json, then boots the OSGi framework with the bundles of
 * system/ and waits until it stops. {@code bin/kimserver} is the user's entry point; it calls this.
 *
 * <p>Exit codes: 0 stopped normally, 1 wrong usage or an unexpected failure, 2 the configuration is broken,
 * 3 a system bundle did not start.
 */
public final class Main {
    static final int EXIT_USAGE = 1;
    static final int EXIT_BAD_CONFIG = 2;
    static final int EXIT_NOT_STARTED = 3;

    private Main() {
    }

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (Exception e) {
            System.err.println("kimserver: " + e);
            e.printStackTrace();
            code = EXIT_USAGE;
        }
        if (code >= 0) {
            System.exit(code);
        }
    }

    /** The exit code, or -1 when the JVM is already shutting down (a signal) and must not be exited again. */
    private static int run(String[] args) throws IOException, BundleException, InterruptedException {
        List<String> argv = List.of(args);
        if (argv.isEmpty() || !argv.get(0).equals("run") || !List.of("run", "--daemon").containsAll(argv)) {
            System.err.println("usage: kimserver run [--daemon]   (normally called by bin/kimserver)");
            return EXIT_USAGE;
        }
        boolean daemon = argv.contains("--daemon");
        Path home = Path.of(System.getProperty("kimserver.home", ".")).toAbsolutePath().normalize();

        Path configFile = home.resolve("etc").resolve("kimserver.json");
        try {
            KimConfig config = KimConfig.load(configFile);
            config.warnings().forEach(w -> System.err.println("kimserver: warning: " + configFile + ": " + w));
        } catch (ConfigException e) {
            System.err.println("kimserver: configuration error: " + e.getMessage());
            System.err.println("kimserver: not started");
            return EXIT_BAD_CONFIG;
        }

        Container container = new Container(home, "M0", !daemon);
        Framework framework = container.boot();
        List<String> problems = container.systemBundleProblems();
        if (!problems.isEmpty()) {
            System.err.println("kimserver: these system bundles did not start:");
            problems.forEach(p -> System.err.println("  " + p));
            framework.stop();
            framework.waitForStop(30_000);
            return EXIT_NOT_STARTED;
        }

        PidFile pidFile = new PidFile(home.resolve("data").resolve("kimserver.pid"));
        ShutdownHook hook = new ShutdownHook(framework, pidFile);
        Runtime.getRuntime().addShutdownHook(hook);
        pidFile.write();
        System.out.printf("kimserver %s up in %d ms: %d bundles, home %s, log %s%n", Container.version(),
                ManagementFactory.getRuntimeMXBean().getUptime(), framework.getBundleContext().getBundles().length,
                home, home.resolve("log"));

        framework.waitForStop(0);
        if (hook.isRunning()) {
            return -1;
        }
        pidFile.delete();
        return 0;
    }

    /** Stops the framework gracefully on SIGTERM or SIGINT, then removes the pid file. */
    private static final class ShutdownHook extends Thread {
        private final Framework framework;
        private final PidFile pidFile;
        private volatile boolean running;

        ShutdownHook(Framework framework, PidFile pidFile) {
            super("kimserver-shutdown");
            this.framework = framework;
            this.pidFile = pidFile;
        }

        boolean isRunning() {
            return running;
        }

        @Override
        public void run() {
            running = true;
            try {
                framework.stop();
                framework.waitForStop(30_000);
            } catch (BundleException | InterruptedException e) {
                System.err.println("kimserver: stop failed: " + e);
            } finally {
                try {
                    pidFile.delete();
                } catch (IOException e) {
                    System.err.println("kimserver: cannot remove " + pidFile + ": " + e);
                }
            }
        }
    }

    /** data/kimserver.pid: written once the server is up, so its presence means "ready". */
    record PidFile(Path path) {
        void write() throws IOException {
            Files.createDirectories(path.getParent());
            Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
            Files.writeString(tmp, ProcessHandle.current().pid() + "\n");
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
        }

        void delete() throws IOException {
            Files.deleteIfExists(path);
        }
    }
}
