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
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
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
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Starts one kimserver process, in one of two roles: {@code run [--daemon]}, the manager (process tag M0), or
 * {@code worker <n>}, worker n (W&lt;n&gt;, n from 1). Either checks etc/kimserver.json, boots the OSGi framework's
 * system bundles, checks that they are active and that the process is up (below), then deploys the business
 * modules and waits until the framework stops. {@code bin/kimserver} is the user's entry point; it starts the
 * manager, and the manager its workers.
 *
 * <p>Each process keeps its own state under data/&lt;tag in lower case&gt;/ (the framework cache data/m0/cache,
 * data/w1/cache, ...), and writes its own log file and console socket. The manager also claims the home (one server
 * per home): data/kimserver.pid is written as soon as the home is claimed, and data/kimserver.state says
 * {@code starting}, {@code up} or {@code stopping}; both go when the server has stopped. A worker claims nothing:
 * the manager owns the home. SIGHUP ends no process: it reloads etc/kimserver.json (the config bundle's), and is
 * ignored while that is not active. A worker ignores SIGINT (Ctrl-C in {@code run} reaches the whole process group; the
 * manager decides what it means), stops gracefully on SIGTERM and exits 0, and stops the same way when its standard
 * input, a pipe from the manager, ends: the manager is gone, and no worker outlives it.
 *
 * <p>Up: at least one service carries {@code kim.gate.state} and every such service says {@code listening} (the
 * gate of a process that listens itself, the hand-off acceptor and the supervisor of a manager); one that says
 * {@code failed} (with {@code kim.gate.address} and {@code kim.gate.error}) means the process cannot come up. With
 * an empty gate_host no such service is needed, but each one there is must say {@code listening}.
 *
 * <p>Exit codes: 0 stopped normally (a Ctrl-C in {@code run} included, and a worker's SIGTERM or end of input),
 * 1 wrong usage or an unexpected failure, 2 the configuration is broken, 3 a system bundle did not start, 4 another
 * server runs on this home (manager only), 5 the gate cannot listen (a {@code failed} state), 6 the stop did not end
 * within its bound and the JVM was halted.
 */
public final class Main {
    static final int EXIT_USAGE = 1;
    static final int EXIT_BAD_CONFIG = 2;
    static final int EXIT_NOT_STARTED = 3;
    static final int EXIT_ALREADY_RUNNING = 4;
    static final int EXIT_GATE_FAILED = 5;
    static final int EXIT_STOP_STUCK = 6;

    /** How long the process may take, once the system bundles are active, to say whether it is up. */
    private static final Duration GATE_DECISION = Duration.ofSeconds(30);
    /** What a stop may take beyond the gate's stop_timeout_ms: the modules' and the system bundles' own stop. */
    static final Duration STOP_MARGIN = Duration.ofSeconds(5);
    /**
     * A manager's margin: its workers' (the supervisor waits for them up to stop_timeout_ms + 6 s: their own bound
     * and a second to say what was stuck), and 3 s for its own bundles.
     */
    static final Duration MANAGER_STOP_MARGIN = STOP_MARGIN.plusSeconds(4);
    /** After this, a module still starting is reported (and the server stays up). */
    private static final Duration MODULE_PATIENCE = Duration.ofSeconds(10);
    /** The services that say whether the process is up (see the class comment), read without any of their classes. */
    static final String GATE_STATE_FILTER = "(kim.gate.state=*)";
    /** A service property the launcher publishes, {@code up}, once the process is up by the rule above. */
    static final String PROCESS_STATE = "kim.process.state";
    static final String GATE_STATE = "kim.gate.state";
    static final String GATE_ADDRESS = "kim.gate.address";
    static final String GATE_ERROR = "kim.gate.error";

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

    /**
     * What this process is, from its command line: the manager ({@code run [--daemon]}) or worker n
     * ({@code worker <n>}).
     *
     * @param tag M0 for the manager, W&lt;n&gt; for worker n: in every log line, and the name of its data/ folder
     * @param daemon the manager started in the background: no console on the terminal, Ctrl-C is not its user's
     */
    record Role(String tag, boolean daemon) {
        static final String USAGE = "usage: kimserver run [--daemon]   (normally called by bin/kimserver)\n"
                + "       kimserver worker <n>      (n from 1; normally started by the manager, its standard input"
                + " a pipe from the manager)";

        /** The role the arguments ask for, or null when they are not one of the two forms. */
        static Role of(List<String> argv) {
            if (!argv.isEmpty() && argv.get(0).equals("run") && List.of("run", "--daemon").containsAll(argv)) {
                return new Role("M0", argv.contains("--daemon"));
            }
            if (argv.size() == 2 && argv.get(0).equals("worker") && argv.get(1).matches("[1-9][0-9]{0,8}")) {
                return new Role("W" + argv.get(1), true);
            }
            return null;
        }

        boolean manager() {
            return tag.startsWith("M");
        }

        /** How the launcher's own lines on the terminal start: which process says it. */
        String says() {
            return manager() ? "kimserver: " : "kimserver " + tag + ": ";
        }
    }

    /** The exit code, or -1 when the JVM is already shutting down (a signal) and must not be exited again. */
    private static int run(String[] args) throws IOException, BundleException, InterruptedException {
        Role role = Role.of(List.of(args));
        if (role == null) {
            System.err.println(Role.USAGE);
            return EXIT_USAGE;
        }
        // A hang-up never ends a process, as in the original: the config bundle makes it a reload of
        // etc/kimserver.json while it is active, and before and after that it does nothing. A handler that does
        // nothing, not SIG_IGN: the JVM lets no handler replace a signal that is ignored.
        Signal.handle(new Signal("HUP"), signal -> { });
        if (!role.manager()) {
            // First of all, so that a Ctrl-C while the worker starts does not end it either.
            Signal.handle(new Signal("INT"), SignalHandler.SIG_IGN);
        }
        Path home = Path.of(System.getProperty("kimserver.home", ".")).toAbsolutePath().normalize();

        Path configFile = home.resolve("etc").resolve("kimserver.json");
        Map<String, Object> gate;
        Path logFile;
        try {
            KimConfig config = KimConfig.load(configFile);
            if (role.manager()) { // a worker reads the same file a moment later: one warning on the terminal is enough
                config.warnings().forEach(w -> System.err.println(role.says() + "warning: " + configFile + ": " + w));
            }
            gate = config.configurations().get(ConfigSchema.GATE_PID);
            logFile = home.resolve("log").resolve(config.log().pathFor(role.tag()));
        } catch (ConfigException e) {
            System.err.println(role.says() + "configuration error: " + e.getMessage());
            System.err.println(role.says() + "not started");
            return EXIT_BAD_CONFIG;
        }
        OwnerOnly.restrict(home);

        StateFiles files = StateFiles.NONE;
        if (role.manager()) {
            files = ServerFiles.claim(home.resolve("data"));
            if (files == null) {
                System.err.println("kimserver is already running (" + ServerFiles.pidOf(home.resolve("data"))
                        + ") on " + home + "; not started");
                return EXIT_ALREADY_RUNNING;
            }
        }
        Container container = new Container(home, role.tag(), role.manager() ? BundleList.MANAGER : BundleList.WORKER);
        Stopper stopper = new Stopper(container, files, configFile, (int) gate.get("stop.timeout.ms"), role);
        Runtime.getRuntime().addShutdownHook(new Thread(stopper::stopAsTheJvmExits, "kimserver-shutdown"));

        Framework framework = container.bootSystem();
        if (!role.manager()) {
            stopOnSigterm(stopper);
            stopWhenTheManagerIsGone(stopper);
        } else if (!role.daemon()) {
            stopOnCtrlC(stopper);
        }
        List<String> problems = container.systemBundleProblems();
        if (!problems.isEmpty()) {
            return notStarted(stopper, role, logFile, EXIT_NOT_STARTED, "these system bundles did not start:\n  "
                    + String.join("\n  ", problems));
        }
        String gateProblem = upProblem(framework.getBundleContext(), gate,
                logFile.startsWith(home) ? home.relativize(logFile) : logFile, stopper);
        if (gateProblem != null) {
            return notStarted(stopper, role, logFile, EXIT_GATE_FAILED, gateProblem);
        }

        if (!stopper.stopRequested()) { // else a signal came while it started: the stop is under way
            files.state("up");
            // The launcher's verdict, for whoever in the framework waits on it (a worker's link to its manager).
            framework.getBundleContext().registerService(Object.class, new Object(),
                    FrameworkUtil.asDictionary(Map.of(PROCESS_STATE, "up")));
            long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
            int bundles = framework.getBundleContext().getBundles().length;
            if (role.manager()) {
                System.out.printf("kimserver %s up in %d ms: %d bundles, home %s, log %s; deploying deploy/%n",
                        Container.version(), uptime, bundles, home, home.resolve("log"));
            } else { // not "up in": bench/startup.sh reads the manager's line by those words
                // A worker deploys its manager's copy of deploy/ (data/w<n>/deploy).
                Path deploy = Path.of(framework.getBundleContext().getProperty("felix.fileinstall.dir"));
                System.out.printf("%sup (pid %d, %d ms after its JVM started): %d bundles, log %s; deploying"
                        + " %s/%n", role.says(), ProcessHandle.current().pid(), uptime, bundles, logFile,
                        deploy.startsWith(home) ? home.relativize(deploy) : deploy);
                ClassDataArchive.check(role.says());
            }
            try {
                container.deployModules(MODULE_PATIENCE, trouble -> System.err.println(role.says() + "warning: "
                        + trouble));
            } catch (IllegalStateException e) {
                if (!stopper.stopRequested()) {
                    throw e;
                } // else a stop came meanwhile: the framework is stopping
            }
            if (role.manager() && !role.daemon()) {
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

    /**
     * SIGTERM is how a manager (or an operator) stops a worker: the same bounded stop, then exit 0 rather than the
     * 143 of a JVM ended by the signal, so that the manager can tell a stop it asked for from a crash. Nothing is
     * said on the terminal: the manager's stop says what there is to say, and a clean stop says nothing.
     */
    private static void stopOnSigterm(Stopper stopper) {
        Signal.handle(new Signal("TERM"), signal -> stopper.stop(null));
    }

    /**
     * A worker's standard input is a pipe from its manager, which writes nothing into it: its end means that the
     * manager is gone (however it ended, kill -9 included, as the OS closes the pipe), and the worker stops with it.
     * What does come is read and dropped, so that a writer is never blocked.
     */
    private static void stopWhenTheManagerIsGone(Stopper stopper) {
        Thread.ofPlatform().name("kimserver-manager-watch").daemon().start(() -> {
            byte[] dropped = new byte[512];
            try {
                while (System.in.read(dropped) >= 0) {
                    // nothing to do with it
                }
            } catch (IOException e) {
                // an input that cannot be read is as gone as one that ended
            }
            stopper.stop("end of standard input (the manager is gone)");
        });
    }

    /** Says why on the terminal and, once the framework (and with it the log's writer) has stopped, in the log. */
    private static int notStarted(Stopper stopper, Role role, Path logFile, int code, String why) {
        System.err.println(role.says() + why);
        System.err.println(role.says() + "not started");
        stopper.stop(null);
        LauncherLog.error(logFile, role.tag(), "not started (exit code " + code + "): " + why);
        return code;
    }

    /**
     * Null when the process is up (see the class comment) or a stop was asked for meanwhile; else why it is not up.
     * Waits at most {@link #GATE_DECISION} for the services that say so to decide.
     */
    private static String upProblem(BundleContext context, Map<String, Object> gate, Path logFile, Stopper stopper)
            throws InterruptedException {
        boolean oneNeeded = !((String) gate.get("gate.host")).isEmpty();
        String configured = gate.get("gate.host") + ":" + gate.get("gate.port");
        long deadline = System.nanoTime() + GATE_DECISION.toNanos();
        while (!stopper.stopRequested()) {
            List<Map<String, Object>> states = gateStates(context);
            String failure = failure(states, configured);
            if (failure != null) {
                return failure;
            }
            if (up(states, oneNeeded)) {
                return null;
            }
            if (System.nanoTime() > deadline) {
                return "the gate did not say within " + GATE_DECISION.toSeconds() + " s whether it listens on "
                        + configured + pending(states) + "; see " + logFile;
            }
            Thread.sleep(20);
        }
        return null;
    }

    /** The properties of every service that carries kim.gate.state. */
    private static List<Map<String, Object>> gateStates(BundleContext context) {
        ServiceReference<?>[] references;
        try {
            references = context.getServiceReferences((String) null, GATE_STATE_FILTER);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<Map<String, Object>> states = new ArrayList<>();
        for (ServiceReference<?> reference : references == null ? new ServiceReference<?>[0] : references) {
            Map<String, Object> properties = new HashMap<>();
            for (String key : reference.getPropertyKeys()) {
                properties.put(key, reference.getProperty(key));
            }
            states.add(properties);
        }
        return states;
    }

    /** Up: at least one state when {@code oneNeeded}, and every one {@code listening}. */
    static boolean up(List<Map<String, Object>> states, boolean oneNeeded) {
        return (!oneNeeded || !states.isEmpty())
                && states.stream().allMatch(s -> "listening".equals(s.get(GATE_STATE)));
    }

    /**
     * Null when no state says {@code failed}; else each failed one's address (the configured one when it names
     * none) and error, in the order of their addresses.
     */
    static String failure(List<Map<String, Object>> states, String configured) {
        List<String> failed = new ArrayList<>();
        for (Map<String, Object> state : states) {
            if ("failed".equals(state.get(GATE_STATE))) {
                Object address = state.get(GATE_ADDRESS);
                failed.add("the gate cannot listen on " + (address == null ? configured : address) + ": "
                        + state.get(GATE_ERROR));
            }
        }
        Collections.sort(failed);
        return failed.isEmpty() ? null : String.join("; ", failed);
    }

    /** The states not yet {@code listening}, for a process that did not come up in time: "" when there are none. */
    static String pending(List<Map<String, Object>> states) {
        List<String> pending = new ArrayList<>();
        for (Map<String, Object> state : states) {
            if (!"listening".equals(state.get(GATE_STATE))) {
                Object address = state.get(GATE_ADDRESS);
                pending.add((address == null ? "" : address + ": ") + state.get(GATE_STATE));
            }
        }
        Collections.sort(pending);
        return pending.isEmpty() ? "" : " (not yet listening: " + String.join(", ", pending) + ")";
    }

    /**
     * Stops the process at most the gate's stop_timeout_ms plus {@link #STOP_MARGIN} (a manager: {@link
     * #MANAGER_STOP_MARGIN}) after it is asked to: on
     * SIGTERM or System.exit (the shutdown hook; a worker's SIGTERM has a handler of its own), on Ctrl-C in
     * {@code run}, at the end of a worker's input, or when it does not come up. A stop that takes longer is stuck (an
     * activator that blocks or spins): it says what is stuck, and halts the JVM.
     */
    private static final class Stopper {
        private final Container container;
        private final StateFiles files;
        private final Path configFile;
        private final int stopTimeoutAtStart;
        private final Role role;
        private final AtomicBoolean stopping = new AtomicBoolean();
        private volatile boolean jvmExiting;

        Stopper(Container container, StateFiles files, Path configFile, int stopTimeoutAtStart, Role role) {
            this.container = container;
            this.files = files;
            this.configFile = configFile;
            this.stopTimeoutAtStart = stopTimeoutAtStart;
            this.role = role;
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
                System.err.println(role.says() + "cannot remove the pid file: " + e);
            }
        }

        /** @param why said on the terminal when it is something the user (or the manager) did, else null */
        void stop(String why) {
            Duration bound = bound();
            if (!stopping.compareAndSet(false, true)) {
                if (why != null) {
                    System.err.println(role.says() + "already stopping (at most " + bound.toSeconds() + " s)");
                }
                return;
            }
            if (why != null) {
                System.err.println(role.says() + why + ": stopping (at most " + bound.toSeconds() + " s)");
            }
            try {
                files.state("stopping");
                if (!container.stop(bound)) {
                    System.err.println(role.says() + "the stop did not end within " + bound.toSeconds()
                            + " s (stop_timeout_ms + " + margin().toSeconds() + " s); still at work:");
                    System.err.print(container.stuckReport());
                    System.err.println(role.says() + "halting the JVM");
                    System.err.flush();
                    files.release();
                    Runtime.getRuntime().halt(EXIT_STOP_STUCK);
                }
            } catch (IOException | InterruptedException e) {
                System.err.println(role.says() + "stop failed: " + e);
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
            return Duration.ofMillis(stopTimeout).plus(margin());
        }

        private Duration margin() {
            return role.manager() ? MANAGER_STOP_MARGIN : STOP_MARGIN;
        }
    }

    /** What a process records about itself in data/: the manager its pid and state (ServerFiles), a worker nothing. */
    interface StateFiles {
        StateFiles NONE = new StateFiles() {
            @Override
            public void state(String state) {
            }

            @Override
            public void release() {
            }
        };

        /** Records {@code starting}, {@code up} or {@code stopping}. */
        void state(String state) throws IOException;

        /** Removes what was recorded: the process has stopped. */
        void release() throws IOException;
    }

    /**
     * One home, one server: data/kimserver.lock, locked for the JVM's life (the OS releases the lock when the
     * process ends, however it ends), then data/kimserver.pid and data/kimserver.state, owner-only.
     */
    static final class ServerFiles implements StateFiles {
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

        @Override
        public void state(String state) throws IOException {
            write(stateFile, state);
        }

        /** Removes the pid and state files; the lock goes with the process. */
        @Override
        public void release() throws IOException {
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
