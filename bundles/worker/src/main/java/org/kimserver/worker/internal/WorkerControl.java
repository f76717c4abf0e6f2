package org.kimserver.worker.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kimserver.api.diag.GateDiagnostics;
import org.kimserver.api.diag.GateStatistics;
import org.kimserver.api.diag.HandlerCalls;
import org.kimserver.api.diag.ModuleDiagnostics;
import org.kimserver.api.diag.ModuleState;
import org.kimserver.api.diag.ProblemReporter;
import org.kimserver.proto.Module;
import org.kimserver.proto.ModuleReport;
import org.kimserver.proto.WorkerProblem;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's link to its manager, in a worker process only (framework property {@code kimserver.control} = the
 * manager's control socket; elsewhere this component does nothing). It registers, reports every second (see
 * {@link ControlClient}), its deploy folder's modules at each bundle event (the manager's roll-out of a change waits
 * for them), and each change of a {@code kim.gate.state} service at once (a restarted worker is ready
 * for clients as soon as its gate is; the manager should not learn it up to a second late), and, when the link closes, the manager is gone: the worker stops its framework (the
 * launcher does the same when the worker's standard input, a pipe from the manager, ends), and if that has not ended within {@link #STOP_BOUND} the JVM halts with code 252 (the original's
 * exit code for a worker whose manager died), so no orphan keeps the gate port.
 */
@Component(immediate = true, service = {})
public final class WorkerControl {
    /** The control socket's path; set by the manager on the worker's command line. */
    static final String CONTROL_PROPERTY = "kimserver.control";
    /** The process tag the launcher gives worker n: {@code W<n>}. */
    static final String PROCESS_PROPERTY = "kimserver.process";
    /** The launcher's service property saying that the process is up. */
    static final String PROCESS_STATE = "kim.process.state";
    static final Duration STOP_BOUND = Duration.ofSeconds(30);
    static final int EXIT_MANAGER_GONE = 252;
    private static final Pattern WORKER_TAG = Pattern.compile("W([1-9]\\d*)");
    private static final Logger LOG = LoggerFactory.getLogger(WorkerControl.class);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile GateDiagnostics gate;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ModuleDiagnostics modules;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<ProblemReporter> reporters;

    private BundleContext context;
    private ControlClient client;
    private ServiceListener gateStateListener;
    private BundleListener moduleListener;
    private final AtomicBoolean managerGone = new AtomicBoolean();
    private volatile boolean deactivated;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
        String socket = context.getProperty(CONTROL_PROPERTY);
        if (socket == null) {
            return; // not a worker
        }
        int index = workerIndex(context.getProperty(PROCESS_PROPERTY));
        long pid = ProcessHandle.current().pid();
        try {
            client = ControlClient.connect(Path.of(socket), index, pid, this::sample,
                    () -> managerGone("the control link to the manager closed"));
        } catch (IOException e) {
            // A worker its manager cannot see would serve unsupervised: it stops instead.
            LOG.error("cannot reach the manager", e);
            managerGone("no control link to the manager");
            return;
        }
        ControlClient connected = client;
        gateStateListener = event -> connected.gateStateChanged();
        try {
            // The readiness depends on both: a gate state, and the launcher's verdict that the process is up.
            context.addServiceListener(gateStateListener,
                    "(|(" + GateReadiness.STATE + "=*)(" + PROCESS_STATE + "=*))");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        moduleListener = event -> connected.modulesChanged();
        context.addBundleListener(moduleListener);
        // A change between the hello's sample and the listeners is reported too.
        client.gateStateChanged();
        client.modulesChanged();
        LOG.info("worker {} (pid {}) connected to the manager on {}", index, pid, socket);
    }

    @Deactivate
    void deactivate() {
        deactivated = true;
        if (gateStateListener != null) {
            context.removeServiceListener(gateStateListener);
            context.removeBundleListener(moduleListener);
        }
        if (client != null) {
            client.close();
        }
    }

    /** The worker's index from its process tag, {@code W<index>}. */
    static int workerIndex(String tag) {
        Matcher m = tag == null ? null : WORKER_TAG.matcher(tag);
        if (m == null || !m.matches()) {
            throw new IllegalStateException("framework property " + PROCESS_PROPERTY + " (" + tag
                    + ") is not W<worker index>, as the launcher tags a worker");
        }
        return Integer.parseInt(m.group(1));
    }

    private ControlClient.Sample sample() {
        GateDiagnostics diagnostics = gate;
        GateStatistics s = diagnostics == null ? null : diagnostics.statistics();
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        GateReadiness readiness = GateReadiness.of(gateStates(), processUp());
        ModuleReport report = moduleReport(diagnostics);
        List<WorkerProblem> problems = problems();
        return s == null
                ? new ControlClient.Sample(0, 0, 0, 0, 0, 0, readiness, heap.getUsed(), heap.getMax(), report,
                        problems)
                : new ControlClient.Sample(s.openConnections(), s.commands(), s.reads(), s.readBytes(), s.writes(),
                        s.writeBytes(), readiness, heap.getUsed(), heap.getMax(), report, problems);
    }

    /** What this worker's kim:info would list, for the manager's. */
    private List<WorkerProblem> problems() {
        List<ProblemReporter> current = reporters;
        return ProblemReporter.gather(current == null ? List.of() : current).stream()
                .map(p -> WorkerProblem.newBuilder().setSubject(p.subject()).setReason(p.reason())
                        .setSinceMs(p.since().toEpochMilli()).build()).toList();
    }

    /** The deploy folder's modules, each with the calls and failures of its version's handlers. */
    private ModuleReport moduleReport(GateDiagnostics diagnostics) {
        ModuleDiagnostics deployed = modules;
        ModuleReport.Builder report = ModuleReport.newBuilder();
        if (deployed == null) {
            return report.build();
        }
        Map<String, HandlerCalls> calls = new HashMap<>();
        if (diagnostics != null) {
            for (HandlerCalls c : diagnostics.handlerCalls()) {
                calls.put(c.bundle() + " " + c.version(), c);
            }
        }
        for (ModuleState m : deployed.modules()) {
            HandlerCalls c = calls.get(m.symbolicName() + " " + m.version());
            report.addModules(Module.newBuilder().setFile(m.file()).setDigest(m.digest())
                    .setSymbolicName(m.symbolicName()).setVersion(m.version()).setState(m.state())
                    .setProblem(m.problem() == null ? "" : m.problem()).setCalls(c == null ? 0 : c.calls())
                    .setFailures(c == null ? 0 : c.failures()));
        }
        return report.build();
    }

    private List<Map<String, Object>> gateStates() {
        List<Map<String, Object>> states = new ArrayList<>();
        try {
            ServiceReference<?>[] refs = context.getServiceReferences((String) null, "(" + GateReadiness.STATE + "=*)");
            for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
                Map<String, Object> properties = new HashMap<>();
                for (String key : List.of(GateReadiness.STATE, GateReadiness.ERROR, GateReadiness.ADDRESS)) {
                    Object value = ref.getProperty(key);
                    if (value != null) {
                        properties.put(key, value);
                    }
                }
                states.add(properties);
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IllegalStateException e) {
            // the bundle is stopping: nothing to report
        }
        return states;
    }

    /** Whether the launcher has said that this process is up (a service with kim.process.state=up). */
    private boolean processUp() {
        try {
            return context.getServiceReferences((String) null, "(" + PROCESS_STATE + "=up)") != null;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IllegalStateException e) {
            return false; // the bundle is stopping
        }
    }

    /** Stops this worker: its manager is gone, and a worker without one would serve on unsupervised. */
    private void managerGone(String why) {
        if (deactivated || !managerGone.compareAndSet(false, true)) {
            return;
        }
        LOG.error("{}: the manager is gone, stopping this worker", why);
        Thread.ofPlatform().name("kim-manager-gone").daemon().start(() -> {
            try {
                context.getBundle(0).stop();
                Thread.sleep(STOP_BOUND.toMillis());
            } catch (BundleException | IllegalStateException e) {
                LOG.error("cannot stop the framework; halting", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // Still here: the framework's stop did not end the JVM in time.
            Runtime.getRuntime().halt(EXIT_MANAGER_GONE);
        });
    }
}
