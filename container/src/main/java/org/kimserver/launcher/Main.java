package org.kimserver.launcher;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.kimserver.config.ConfigException;
import org.kimserver.config.ConfigSchema;
import org.kimserver.config.KimConfig;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import sun.misc.Signal;

/**
 * Starts one kimserver process: checks etc/kimserver.json, claims the home (one server per home), boots the OSGi
 * framework's system bundles, checks that they and the gate are up, then deploys the business modules and waits
 * until the framework stops. {@code bin/kimserver} is the user's entry point; it calls this.
 *
 * <p>data/kimserver.pid is written as soon as the home is claimed, and data/kimserver.state says {@code starting},
 * {@code up} (system bundles active, the gate listening) or {@code stopping}; both go when the server has stopped.
 *
 * <p>Exit codes: 0 stopped normally (a Ctrl-C in {@code run} included), 1 wrong usage or an unexpected failure,
 * 2 the configuration is broken, 3 a system bundle did not start, 4 another server runs on this home, 5 the gate
 * cannot listen, 6 the stop did not end within its bound and the JVM was halted.
 */
public final class Main {
    static final int EXIT_USAGE = 1;
    static final int EXIT_BAD_CONFIG = 2;
    static final int EXIT_NOT_STARTED = 3;
    static final int EXIT_ALREADY_RUNNING = 4;
    static final int EXIT_GATE_FAILED = 5;
    static final int EXIT_STOP_STUCK = 6;

    /** How long the gate may take, once the system bundles are active, to say whether it listens. */
    private static final Duration GATE_DECISION = Duration.ofSeconds(30);
    /** What a stop may take beyond the gate's stop_timeout_ms: the modules' and the system bundles' own stop. */
    static final Duration STOP_MARGIN = Duration.ofSeconds(5);
    /** After this, a module still starting is reported (and the server stays up). */
    private static final Duration MODULE_PATIENCE = Duration.ofSeconds(10);
    /** The gate's listening state (the gate bundle's contract with the launcher), read without any gate class. */
    static final String GATE_STATE_FILTER = "(kim.gate.state=*)";

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
        Map<String, Object> gate;
        Path logFile;
        try {
            KimConfig config = KimConfig.load(configFile);
            config.warnings().forEach(w -> System.err.println("kimserver: warning: " + configFile + ": " + w));
            gate = config.configurations().get(ConfigSchema.GATE_PID);
            logFile = home.resolve("log").resolve(config.log().path());
        } catch (ConfigException e) {
            System.err.println("kimserver: configuration error: " + e.getMessage());
            System.err.println("kimserver: not started");
            return EXIT_BAD_CONFIG;
        }
        OwnerOnly.restrict(home);

        ServerFiles files = ServerFiles.claim(home.resolve("data"));
        if (files == null) {
            System.err.println("kimserver is already running (" + ServerFiles.pidOf(home.resolve("data")) + ") on "
                    + home + "; not started");
            return EXIT_ALREADY_RUNNING;
        }
        Container container = new Container(home, "M0", BundleList.WORKER); // the one process serves clients
        Stopper stopper = new Stopper(container, files, configFile, (int) gate.get("stop.timeout.ms"));
        Runtime.getRuntime().addShutdownHook(new Thread(stopper::stopAsTheJvmExits, "kimserver-shutdown"));

        Framework framework = container.bootSystem();
        if (!daemon) {
            stopOnCtrlC(stopper);
        }
        List<String> problems = container.systemBundleProblems();
        if (!problems.isEmpty()) {
            return notStarted(stopper, logFile, EXIT_NOT_STARTED, "these system bundles did not start:\n  "
                    + String.join("\n  ", problems));
        }
        String gateProblem = gateProblem(framework.getBundleContext(), gate, stopper);
        if (gateProblem != null) {
            return notStarted(stopper, logFile, EXIT_GATE_FAILED, gateProblem);
        }

        if (!stopper.stopRequested()) { // else a signal came while it started: the stop is under way
            files.state("up");
            System.out.printf("kimserver %s up in %d ms: %d bundles, home %s, log %s; deploying deploy/%n",
                    Container.version(), ManagementFactory.getRuntimeMXBean().getUptime(),
                    framework.getBundleContext().getBundles().length, home, home.resolve("log"));
            container.deployModules(MODULE_PATIENCE, trouble -> System.err.println("kimserver: warning: " + trouble));
            if (!daemon) {
                attachConsole(home, framework, stopper);
            }
        }

        framework.waitForStop(0);
        if (stopper.jvmExiting()) {
            return -1;
        }
        files.release();
        return 0;
    }

    /**
     * The console on this terminal, beside the main thread, which waits for the framework: Ctrl-C at its prompt
     * stops the server. It ends with the server, or when its user leaves it (Ctrl-D, exit, the end of a piped
     * input), and then the server keeps running. A daemon thread, so that it never holds up the JVM's exit (it may be
     * blocked reading a pipe).
     */
    private static void attachConsole(Path home, Framework framework, Stopper stopper) {
        Thread.ofPlatform().name("kimserver-console").daemon().start(() -> {
            ConsoleClient.attach(home, () -> stopper.stop("Ctrl-C"));
            stopOnCtrlC(stopper); // the console's terminal had SIGINT while it was attached
            if (!stopper.stopRequested() && framework.getState() == Framework.ACTIVE) {
                System.err.println("kimserver: the console is closed; the server keeps running (Ctrl-C or"
                        + " bin/kimserver stop stops it)");
            }
        });
    }

    /**
     * Ctrl-C is a normal way to stop a foreground server: stop it here, and exit 0 rather than 130. A JVM that
     * inherited SIGINT ignored (a background job) keeps it ignored.
     */
    private static void stopOnCtrlC(Stopper stopper) {
        Signal.handle(new Signal("INT"), signal -> stopper.stop("SIGINT (Ctrl-C)"));
    }

    /** Says why on the terminal and, once the framework (and with it the log's writer) has stopped, in the log. */
    private static int notStarted(Stopper stopper, Path logFile, int code, String why) {
        System.err.println("kimserver: " + why);
        System.err.println("kimserver: not started");
        stopper.stop(null);
        LauncherLog.error(logFile, "not started (exit code " + code + "): " + why);
        return code;
    }

    /**
     * Null when the gate listens or none is configured (an empty gate_host), or when a stop was asked for
     * meanwhile; else why the server is not up. Waits at most {@link #GATE_DECISION} for the gate to decide.
     */
    private static String gateProblem(BundleContext context, Map<String, Object> gate, Stopper stopper)
            throws InterruptedException {
        String host = (String) gate.get("gate.host");
        if (host.isEmpty()) {
            return null;
        }
        String configured = host + ":" + gate.get("gate.port");
        long deadline = System.nanoTime() + GATE_DECISION.toNanos();
        while (!stopper.stopRequested()) {
            ServiceReference<?>[] states;
            try {
                states = context.getServiceReferences((String) null, GATE_STATE_FILTER);
            } catch (InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
            String failure = null;
            for (ServiceReference<?> state : states == null ? new ServiceReference<?>[0] : states) {
                if ("listening".equals(state.getProperty("kim.gate.state"))) {
                    return null;
                }
                if ("failed".equals(state.getProperty("kim.gate.state"))) {
                    Object address = state.getProperty("kim.gate.address");
                    failure = "the gate cannot listen on " + (address == null ? configured : address) + ": "
                            + state.getProperty("kim.gate.error");
                }
            }
            if (failure != null) {
                return failure;
            }
            if (System.nanoTime() > deadline) {
                return "the gate did not say within " + GATE_DECISION.toSeconds() + " s whether it listens on "
                        + configured + "; see log/kimserver.log";
            }
            Thread.sleep(20);
        }
        return null;
    }

    /**
     * Stops the server at most the gate's stop_timeout_ms plus {@link #STOP_MARGIN} after it is asked to: on
     * SIGTERM or System.exit (the shutdown hook), on Ctrl-C in {@code run}, or when it does not come up. A stop
     * that takes longer is stuck (an activator that blocks or spins): it says what is stuck, and halts the JVM.
     */
    private static final class Stopper {
        private final Container container;
        private final ServerFiles files;
        private final Path configFile;
        private final int stopTimeoutAtStart;
        private final AtomicBoolean stopping = new AtomicBoolean();
        private volatile boolean jvmExiting;

        Stopper(Container container, ServerFiles files, Path configFile, int stopTimeoutAtStart) {
            this.container = container;
            this.files = files;
            this.configFile = configFile;
            this.stopTimeoutAtStart = stopTimeoutAtStart;
        }

        boolean jvmExiting() {
            return jvmExiting;
        }

        boolean stopRequested() {
            return stopping.get();
        }

        void stopAsTheJvmExits() {
            jvmExiting = true;
            stop(null);
            try {
                files.release();
            } catch (IOException e) {
                System.err.println("kimserver: cannot remove the pid file: " + e);
            }
        }

        /** @param why said on the terminal when it is something the user did (Ctrl-C), else null */
        void stop(String why) {
            Duration bound = bound();
            if (!stopping.compareAndSet(false, true)) {
                if (why != null) {
                    System.err.println("kimserver: already stopping (at most " + bound.toSeconds() + " s)");
                }
                return;
            }
            if (why != null) {
                System.err.println("kimserver: " + why + ": stopping (at most " + bound.toSeconds() + " s)");
            }
            try {
                files.state("stopping");
                if (!container.stop(bound)) {
                    System.err.println("kimserver: the stop did not end within " + bound.toSeconds()
                            + " s (stop_timeout_ms + " + STOP_MARGIN.toSeconds() + " s); still at work:");
                    System.err.print(container.stuckReport());
                    System.err.println("kimserver: halting the JVM");
                    System.err.flush();
                    files.release();
                    Runtime.getRuntime().halt(EXIT_STOP_STUCK);
                }
            } catch (IOException | InterruptedException e) {
                System.err.println("kimserver: stop failed: " + e);
            }
        }

        /** stop_timeout_ms as the file says now (it may have been edited since the start), plus the margin. */
        private Duration bound() {
            int stopTimeout = stopTimeoutAtStart;
            try {
                stopTimeout = (int) KimConfig.load(configFile).configurations().get(ConfigSchema.GATE_PID)
                        .get("stop.timeout.ms");
            } catch (ConfigException e) {
                // a broken edit changes nothing, here as in the running server
            }
            return Duration.ofMillis(stopTimeout).plus(STOP_MARGIN);
        }
    }

    /**
     * One home, one server: data/kimserver.lock, locked for the JVM's life (the OS releases the lock when the
     * process ends, however it ends), then data/kimserver.pid and data/kimserver.state, owner-only.
     */
    static final class ServerFiles {
        private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

        // Held, not used: the lock lasts as long as its channel is open and reachable.
        private final FileChannel lockChannel;
        private final FileLock lock;
        private final Path pidFile;
        private final Path stateFile;

        private ServerFiles(FileChannel lockChannel, FileLock lock, Path data) {
            this.lockChannel = lockChannel;
            this.lock = lock;
            this.pidFile = data.resolve("kimserver.pid");
            this.stateFile = data.resolve("kimserver.state");
        }

        /** Claims the home and writes the pid file, or returns null when another process holds the home. */
        static ServerFiles claim(Path data) throws IOException {
            Files.createDirectories(data);
            Path lockFile = data.resolve("kimserver.lock");
            FileChannel channel = FileChannel.open(lockFile,
                    Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), OWNER_ONLY);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                return null;
            }
            ServerFiles files = new ServerFiles(channel, lock, data);
            files.state("starting");
            write(files.pidFile, Long.toString(ProcessHandle.current().pid()));
            return files;
        }

        /** "pid N" of the server that holds the home, as far as its pid file says. */
        static String pidOf(Path data) {
            try {
                return "pid " + Files.readString(data.resolve("kimserver.pid")).trim();
            } catch (IOException e) {
                return "its pid file is not written yet";
            }
        }

        void state(String state) throws IOException {
            write(stateFile, state);
        }

        /** Removes the pid and state files; the lock goes with the process. */
        void release() throws IOException {
            Files.deleteIfExists(pidFile);
            Files.deleteIfExists(stateFile);
        }

        private static void write(Path file, String line) throws IOException {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.write(Files.createFile(tmp, OWNER_ONLY), (line + "\n").getBytes(StandardCharsets.US_ASCII));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /**
     * etc/ holds database passwords, log/ what clients sent, data/ the server's state: none of it is for other
     * users. The folders and the files directly in them lose every group and other permission, at each start (an
     * operator's chmod or a copy made with a loose umask is undone), and each change is said.
     */
    static final class OwnerOnly {
        private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.complementOf(EnumSet.of(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));

        private OwnerOnly() {
        }

        static void restrict(Path home) throws IOException {
            for (String name : List.of("etc", "log", "data")) {
                Path folder = home.resolve(name);
                Files.createDirectories(folder);
                restrictOne(folder);
                try (Stream<Path> entries = Files.list(folder)) {
                    for (Path entry : entries.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                        restrictOne(entry);
                    }
                }
            }
        }

        private static void restrictOne(Path path) {
            try {
                Set<PosixFilePermission> now = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
                Set<PosixFilePermission> wanted = EnumSet.noneOf(PosixFilePermission.class);
                wanted.addAll(now);
                wanted.removeAll(NOT_OWNER);
                if (!wanted.equals(now)) {
                    Files.setPosixFilePermissions(path, wanted);
                    System.out.println("kimserver: " + path + " was " + PosixFilePermissions.toString(now)
                            + ", set to " + PosixFilePermissions.toString(wanted)
                            + " (etc/, log/ and data/ are for the server's user only)");
                }
            } catch (NoSuchFileException e) {
                // gone meanwhile (a log file rotated away): nothing to restrict
            } catch (IOException | UnsupportedOperationException e) {
                System.err.println("kimserver: warning: cannot make " + path + " owner-only: " + e);
            }
        }
    }
}
