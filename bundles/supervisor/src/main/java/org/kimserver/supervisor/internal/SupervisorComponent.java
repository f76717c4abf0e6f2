package org.kimserver.supervisor.internal;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.kimserver.api.diag.ProblemReporter;
import org.kimserver.api.diag.WorkerDiagnostics;
import org.kimserver.config.ConfigSchema;
import org.kimserver.config.RuntimeSocket;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.util.tracker.ServiceTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manager's supervisor: starts {@code worker_cnt} worker processes ({@link WorkerCommand}), keeps them
 * running ({@link WorkerSupervisor}) and publishes {@link WorkerDiagnostics} with the launcher's {@code
 * kim.gate.state} property: starting, then listening once every worker is up, or failed. A change of worker_cnt
 * starts or stops workers, one of worker_java_opts replaces them one at a time ({@link WorkerSupervisor}); a change of
 * server_name applies at the next start. Changes of deploy/ reach the workers through {@link ModuleRollout}, and
 * {@code kim:modules} ({@link ModulesCommand}) shows them.
 */
@Component(immediate = true, service = {}, configurationPolicy = ConfigurationPolicy.REQUIRE,
        configurationPid = {ConfigSchema.SERVER_PID, ConfigSchema.GATE_PID})
public final class SupervisorComponent {
    static final String MAIN_CLASS = "org.kimserver.launcher.Main";
    /** The property of the hand-off acceptor's service that holds its socket's path. */
    static final String HANDOFF_PROPERTY = "kim.handoff.socket";
    /** {@code data/run/control.sock}, or a link to it from a deep home ({@link RuntimeSocket}). */
    static final String CONTROL_SOCKET_NAME = "control.sock";
    /** How long the first start of the workers waits for the hand-off acceptor in hand-off mode. */
    static final Duration HANDOFF_PATIENCE = Duration.ofSeconds(10);
    /** Written in the manager's data folder by {@code bin/kimserver stop --now} before its SIGTERM. */
    static final String FAST_STOP_FILE = "stop-now";
    /** Framework property of the manager: the jars of system/ a worker boots, separated by the path separator. */
    static final String WORKER_JARS_PROPERTY = "kimserver.worker.jars";
    private static final Logger LOG = LoggerFactory.getLogger(SupervisorComponent.class);

    private WorkerSupervisor supervisor;
    private ServiceRegistration<?> registration;
    private ServiceRegistration<?> rolloutRegistration;
    private ServiceRegistration<?> modulesCommand;
    private ModuleRollout rollout;
    private BundleSets sets;
    /** The server home (kimserver.home). */
    private Path homePath;
    private Path fastStop;
    private ServiceTracker<Object, Object> handoff;
    private RuntimeSocket control;
    private SupervisorConfig config;
    private WorkerCommand command;

    @Activate
    void activate(SupervisorConfig config, BundleContext context) throws IOException, InvalidSyntaxException {
        this.config = config;
        String home = context.getProperty("kimserver.home");
        if (home == null) {
            throw new IllegalStateException("framework property kimserver.home is not set");
        }
        fastStop = Path.of(home, "data", String.valueOf(context.getProperty("kimserver.process"))
                .toLowerCase(Locale.ROOT), FAST_STOP_FILE);
        // One left by a stop --now that never reached a server must not make the next stop fast.
        Files.deleteIfExists(fastStop);
        control = RuntimeSocket.place(Path.of(home), CONTROL_SOCKET_NAME, SupervisorComponent::keptFolder);
        Path socket = control.socket();
        handoff = new ServiceTracker<>(context, context.createFilter("(" + HANDOFF_PROPERTY + "=*)"), null);
        handoff.open(true);
        command = new WorkerCommand(ProcessHandle.current().info().command().orElseThrow(),
                ManagementFactory.getRuntimeMXBean().getInputArguments(), Arrays.asList(config.worker_java_opts()),
                home, config.server_name(), socket, this::handoffSocket, System.getProperty("java.class.path"),
                MAIN_CLASS);
        Path deploy = Path.of(home, "deploy");
        homePath = Path.of(home);
        sets = new BundleSets(deploy, repositories(config, homePath), () -> workerJars(context),
                context.getDataFile("resolve").toPath());
        rollout = new ModuleRollout(deploy, context.getDataFile("modules").toPath(),
                command::deployFolder, () -> supervisor.views(), (index, why) -> supervisor.restart(index, why),
                canary(config), sets);
        rollout.seed();
        supervisor = new WorkerSupervisor(config.worker_cnt(), command, stopWait(config), this::publish, rollout,
                new ClassDataSharing(Path.of(home, "data", "cds")));
        registration = context.registerService(
                new String[] {WorkerDiagnostics.class.getName(), ProblemReporter.class.getName()}, supervisor,
                properties(WorkerSupervisor.UpState.STARTING));
        rolloutRegistration = context.registerService(ProblemReporter.class, rollout, null);
        modulesCommand = context.registerService(Object.class, new ModulesCommand(rollout, supervisor, deploy),
                new Hashtable<>(Map.of("osgi.command.scope", "kim",
                "osgi.command.function", new String[] {"modules", "install", "uninstall"})));
        // In hand-off mode the manager accepts on the gate port and the workers need the hand-off socket.
        boolean handoffMode = !config.is_reuseport() && !config.gate_host().isEmpty();
        try {
            supervisor.start(() -> !handoffMode || handoffSocket() != null,
                    handoffMode ? HANDOFF_PATIENCE : Duration.ZERO);
        } catch (IOException | RuntimeException e) {
            // No deactivate follows a failed activate: what it opened is closed here.
            modulesCommand.unregister();
            rolloutRegistration.unregister();
            registration.unregister();
            handoff.close();
            control.remove(SupervisorComponent::keptFolder);
            throw e;
        }
        try {
            control.secureAndLink();
        } catch (IOException e) {
            deactivate();
            throw e;
        }
        rollout.start();
        LOG.info("starting {} workers; control socket {}", config.worker_cnt(), socket);
    }

    @Modified
    void modified(SupervisorConfig changed) {
        supervisor.stopWait(stopWait(changed));
        rollout.canary(canary(changed));
        sets.repositories(repositories(changed, homePath));
        // New options first, so that the workers a larger worker_cnt adds start with them.
        if (!Arrays.equals(changed.worker_java_opts(), config.worker_java_opts())) {
            command = command.withWorkerOptions(Arrays.asList(changed.worker_java_opts()));
            supervisor.replaceWith(command);
        }
        if (changed.worker_cnt() != config.worker_cnt()) {
            supervisor.resize(changed.worker_cnt());
        }
        if (!changed.server_name().equals(config.server_name())) {
            LOG.warn("server_name changed: the workers' names change at the next start of the server");
        }
        config = changed;
    }

    @Deactivate
    void deactivate() throws IOException {
        rollout.stop();
        for (ServiceRegistration<?> r : List.of(modulesCommand, rolloutRegistration, registration)) {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // unregistered with the bundle already
            }
        }
        boolean fast = Files.deleteIfExists(fastStop);
        supervisor.stop(fast);
        handoff.close();
        control.remove(SupervisorComponent::keptFolder);
    }

    private static void keptFolder(Path folder) {
        LOG.warn("left {} in place: it holds more than the control socket", folder);
    }

    private static MavenRepositories repositories(SupervisorConfig config, Path home) {
        return new MavenRepositories(MavenRepositories.localRepository(config.maven_local_repository(), home),
                Arrays.stream(config.maven_repositories()).map(URI::create).toList());
    }

    /** The jars a worker boots, as the launcher found them for this manager ({@value #WORKER_JARS_PROPERTY}). */
    private static List<Path> workerJars(BundleContext context) {
        String jars = context.getProperty(WORKER_JARS_PROPERTY);
        if (jars == null) {
            throw new IllegalStateException("framework property " + WORKER_JARS_PROPERTY + " is not set");
        }
        return Arrays.stream(jars.split(File.pathSeparator)).map(Path::of).toList();
    }

    private static ModuleRollout.Canary canary(SupervisorConfig config) {
        return new ModuleRollout.Canary(Duration.ofMillis(config.canary_ms()), config.canary_failure_pct());
    }

    private static Duration stopWait(SupervisorConfig config) {
        return Duration.ofMillis(config.stop_timeout_ms()).plus(WorkerSupervisor.STOP_MARGIN);
    }

    private String handoffSocket() {
        ServiceReference<Object> ref = handoff.getServiceReference();
        Object path = ref == null ? null : ref.getProperty(HANDOFF_PROPERTY);
        return path == null ? null : path.toString();
    }

    private void publish(WorkerSupervisor.UpState state) {
        try {
            registration.setProperties(properties(state));
        } catch (IllegalStateException e) {
            // unregistered: the manager stops
        }
    }

    private static Hashtable<String, Object> properties(WorkerSupervisor.UpState state) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("kim.gate.state", state.state());
        if (state.error() != null) {
            properties.put("kim.gate.error", state.error());
        }
        if (state.address() != null) {
            properties.put("kim.gate.address", state.address());
        }
        return properties;
    }
}
