package org.kimserver.handoff.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.kimserver.api.diag.GateStatistics;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.kimserver.api.diag.WorkerDiagnostics;
import org.kimserver.api.diag.WorkerInfo;
import org.kimserver.config.RuntimeSocket;
import org.kimserver.handoff.HandoffDiagnostics;
import org.kimserver.handoff.HandoffStatistics;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manager's connection hand-off, when {@code is_reuseport} is false and {@code gate_host} is set (PID
 * {@code kimserver.gate}, read as the gate reads it): accepts on {@code gate_host:gate_port} and hands each client
 * connection to a worker connected to its hand-off socket ({@link ConnectionHandoff}).
 *
 * <p>While it works it registers a {@link HandoffDiagnostics} (and {@link ProblemReporter}) service whose properties
 * say, as the gate's do, whether it listens: {@value #STATE} ({@code listening} or {@code failed}, with
 * {@value #ADDRESS} and, when failed, {@value #ERROR}), which the launcher reads, and
 * {@value HandoffDiagnostics#SOCKET_PROPERTY}, the hand-off socket's path, which the supervisor passes to each worker
 * ({@code -Dkimserver.handoff}). The service is there as soon as the hand-off socket listens, even while the gate
 * port cannot be bound, so that workers can be started meanwhile. What cannot be bound is tried again every
 * {@value #RETRY_SECONDS} s. A change of the address binds the new one after closing the old; the hand-off socket
 * and the workers' links stay.
 */
@Component(service = {}, immediate = true, configurationPid = "kimserver.gate",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class HandoffServer implements HandoffDiagnostics, ProblemReporter {
    /** The keys of {@code kimserver.gate} the hand-off reads (the gate's configuration declares them all). */
    @interface Config {
        String gate_host() default "";

        int gate_port() default 0;

        boolean is_reuseport() default false;
    }

    static final int RETRY_SECONDS = 2;
    /** How often the workers' silence is looked at. */
    static final int SILENCE_CHECK_MS = 500;
    /** {@code data/run/handoff.sock}, or a link to it from a deep home ({@link RuntimeSocket}). */
    static final String SOCKET_NAME = "handoff.sock";
    static final String STATE = "kim.gate.state";
    static final String ADDRESS = "kim.gate.address";
    static final String ERROR = "kim.gate.error";
    /** Event loops for the gate port and the workers' links: accepting and passing sockets is little work. */
    private static final int THREADS = Math.min(2, Runtime.getRuntime().availableProcessors());
    private static final long CHANGE_TIMEOUT_SECONDS = 30;
    private static final Logger LOG = LoggerFactory.getLogger(HandoffServer.class);

    private record Address(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    private record Status(String state, String address, String error, Instant since) {
        static final Status NONE = new Status(GateStatistics.NOT_LISTENING, null, null, null);
    }

    private BundleContext context;
    private Path home;
    /** Binds, retries and stops; everything below changes on its one thread only. */
    private ScheduledExecutorService control;
    /** Where to accept; {@code null}: no hand-off. */
    private Address wanted;
    private boolean applied;
    private Address bound;
    private RuntimeSocket place;
    private volatile ConnectionHandoff handoff;
    private ServiceRegistration<?> registration;
    private volatile Status status = Status.NONE;

    /** The manager's workers, to pass over the silent ones; absent in tests without a supervisor. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile WorkerDiagnostics workers;

    @Activate
    void activate(Config config, BundleContext context) {
        this.context = context;
        String homeProperty = context.getProperty("kimserver.home");
        if (homeProperty == null) {
            throw new IllegalStateException("framework property kimserver.home is not set");
        }
        home = Path.of(homeProperty);
        control = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("kim-handoff-control").daemon()
                .factory());
        control.scheduleWithFixedDelay(this::retry, RETRY_SECONDS, RETRY_SECONDS, TimeUnit.SECONDS);
        control.scheduleWithFixedDelay(this::passOverSilentWorkers, SILENCE_CHECK_MS, SILENCE_CHECK_MS,
                TimeUnit.MILLISECONDS);
        onControl(() -> apply(config));
    }

    @Modified
    void modified(Config config) {
        onControl(() -> apply(config));
    }

    @Deactivate
    void deactivate() {
        onControl(() -> {
            wanted = null; // a retry queued behind the stop must not open the hand-off again
            stop();
        });
        control.shutdownNow();
    }

    private void onControl(Runnable change) {
        try {
            control.submit(change).get(CHANGE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            LOG.error("changing the connection hand-off failed", e.getCause());
        } catch (TimeoutException e) {
            LOG.warn("changing the connection hand-off takes more than {} s; it goes on in the background",
                    CHANGE_TIMEOUT_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void apply(Config config) {
        boolean first = !applied;
        applied = true;
        wanted = config.is_reuseport() || config.gate_host().isEmpty() ? null
                : new Address(config.gate_host(), config.gate_port());
        if (wanted == null) {
            if (handoff != null || first) {
                LOG.info("{}: the manager hands no connections over", config.is_reuseport()
                        ? "is_reuseport is true: every worker listens on the gate port itself"
                        : "gate_host is empty: no client is accepted");
            }
            stop();
            return;
        }
        reconcile();
    }

    /** Every {@value #SILENCE_CHECK_MS} ms: the workers the manager has not heard from lately get no client. */
    private void passOverSilentWorkers() {
        ConnectionHandoff current = handoff;
        WorkerDiagnostics supervisor = workers;
        if (current == null) {
            return;
        }
        Set<String> silent = new HashSet<>();
        if (supervisor != null) {
            for (WorkerInfo w : supervisor.workers()) {
                if (WorkerInfo.SILENT.equals(w.state())) {
                    silent.add("W" + w.index());
                }
            }
        }
        current.silent(silent);
    }

    /** Every {@value #RETRY_SECONDS} s: binds what could not be bound. */
    private void retry() {
        if (wanted != null && (handoff == null || !wanted.equals(bound))) {
            reconcile();
        }
    }

    private void reconcile() {
        Address want = wanted;
        if (handoff == null) {
            try {
                place = RuntimeSocket.place(home, SOCKET_NAME, HandoffServer::keptFolder);
                handoff = ConnectionHandoff.open(place.socket(), THREADS);
                place.secureAndLink();
            } catch (Exception e) {
                closeHandoff();
                fail(want, "the hand-off socket cannot listen: " + reason(e));
                return;
            }
        }
        if (want.equals(bound)) {
            return;
        }
        try {
            bound = null;
            InetSocketAddress address = handoff.listen(want.host(), want.port());
            bound = want;
            String where = want.host() + ":" + address.getPort();
            if (status.error() != null) {
                LOG.info("the hand-off listens on {} now", where);
            }
            publish(new Status(GateStatistics.LISTENING, where, null, null));
            LOG.info("manager accepting on {}: each connection is handed to a worker connected to {}{}", where,
                    place.socket(), place.isLinked() ? " (linked from " + place.link() + ")" : "");
        } catch (Exception e) {
            fail(want, reason(e));
        }
    }

    private void fail(Address want, String reason) {
        Status before = status;
        boolean same = GateStatistics.FAILED.equals(before.state()) && want.toString().equals(before.address())
                && reason.equals(before.error());
        if (!same) {
            LOG.warn("the hand-off cannot listen on {}: {}; it tries again every {} s", want, reason, RETRY_SECONDS);
            publish(new Status(GateStatistics.FAILED, want.toString(), reason, Instant.now()));
        }
    }

    private static String reason(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Sets the status and the properties of the service, registering it on the first call. */
    private void publish(Status next) {
        status = next;
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(STATE, next.state());
        properties.put(ADDRESS, next.address());
        if (next.error() != null) {
            properties.put(ERROR, next.error());
        }
        if (handoff != null) {
            properties.put(SOCKET_PROPERTY, handoff.socketPath().toString());
        }
        if (registration == null) {
            registration = context.registerService(
                    new String[] {HandoffDiagnostics.class.getName(), ProblemReporter.class.getName()}, this,
                    properties);
        } else {
            registration.setProperties(properties);
        }
    }

    private void stop() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException e) {
                // unregistered with the bundle already
            }
            registration = null;
        }
        closeHandoff();
        status = Status.NONE;
    }

    private void closeHandoff() {
        bound = null;
        if (handoff != null) {
            handoff.close();
            handoff = null;
        }
        if (place != null) {
            try {
                place.remove(HandoffServer::keptFolder);
            } catch (IOException e) {
                LOG.warn("cannot remove the hand-off socket {}: {}", place.socket(), e.toString());
            }
            place = null;
        }
    }

    private static void keptFolder(Path folder) {
        LOG.warn("left {} in place: it holds more than the hand-off socket", folder);
    }

    @Override
    public HandoffStatistics statistics() {
        Status now = status;
        ConnectionHandoff current = handoff;
        return current == null
                ? new HandoffStatistics(now.state(), now.address(), now.error(), null, List.of(), Map.of(), 0)
                : current.statistics(now.state(), now.address(), now.error());
    }

    @Override
    public List<Problem> problems() {
        Status now = status;
        if (now.error() == null) {
            return List.of();
        }
        return List.of(new Problem("connection hand-off", "not accepting on " + now.address() + ": " + now.error()
                + "; tried again every " + RETRY_SECONDS + " s", Objects.requireNonNull(now.since())));
    }
}
