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
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
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
 * {@link ControlClient}) and each change of a {@code kim.gate.state} service at once (a restarted worker is ready
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

    private BundleContext context;
    private ControlClient client;
    private ServiceListener gateStateListener;
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
        // A change between the hello's sample and the listener is reported too.
        client.gateStateChanged();
        LOG.info("worker {} (pid {}) connected to the manager on {}", index, pid, socket);
    }

    @Deactivate
    void deactivate() {
        deactivated = true;
        if (gateStateListener != null) {
            context.removeServiceListener(gateStateListener);
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
        return s == null
                ? new ControlClient.Sample(0, 0, 0, 0, 0, 0, readiness, heap.getUsed(), heap.getMax())
                : new ControlClient.Sample(s.openConnections(), s.commands(), s.reads(), s.readBytes(), s.writes(),
                        s.writeBytes(), readiness, heap.getUsed(), heap.getMax());
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
