package org.kimserver.gate.internal;

import io.netty.channel.Channel;
import io.netty.util.internal.PlatformDependent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kimserver.api.diag.GateStatistics;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.kimserver.gate.internal.GateListener.Target;
import org.kimserver.wire.FrameDecoder;
import org.kimserver.wire.MsgBodyView;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on {@code gate_host:gate_port} and serves each client through a pipeline of three pieces:
 * {@link ConnectionLimits} (time and memory), {@link FrameDecoder} (frames) and {@link Dispatcher} (handlers and
 * replies).
 *
 * <p>A change of the configuration applies in place: the limits and timeouts at once, and an address or thread
 * count by a new {@link GateListener} that binds before the old one stops accepting; the old one's connections are
 * served until they close. What cannot listen is reported (a {@link ProblemReporter}, and the {@code kim.gate.*}
 * properties of that service, which the launcher reads) and tried again every {@value #RETRY_SECONDS} s, while the
 * previous listener, if any, keeps serving.
 *
 * <p>Where the connections come from ({@link GateListener}): a socket of its own on {@code gate_host:gate_port}
 * (with SO_REUSEPORT when {@code is_reuseport} is true, so that every worker listens on the port and the kernel
 * spreads the connections); or, when {@code is_reuseport} is false and the framework property
 * {@value #HANDOFF_PROPERTY} names the manager's hand-off socket, the manager accepts on the port and hands each
 * connection to a worker ({@link HandoffLink}). The gate then says it listens while its link to the manager is
 * connected; if the link closes, the gate says it failed (the manager is gone: the worker's control link ends the
 * process), serves its open connections until they close and tries to connect again every {@value #RETRY_SECONDS}
 * s.
 *
 * <p>Stopping is graceful: the listeners close first, then every open connection is served until it is quiet and
 * closed with a FIN, for at most {@code stop_timeout_ms}; what is still busy then is closed and counted. The
 * framework's stop is caught as the system bundle begins to stop, before any business bundle stops, so the requests
 * read before a stop are answered by their handlers.
 */
@Component(service = GateServer.class, immediate = true, configurationPid = "kimserver.gate",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = GateConfig.class)
public final class GateServer implements ProblemReporter {
    private static final Logger LOG = LoggerFactory.getLogger(GateServer.class);
    /** How long a closing connection, after its FIN, waits for a client that sends nothing (lingering close). */
    private static final long LINGER_QUIET_MILLIS = 2000;
    /** How often a listener that could not bind tries again. */
    static final int RETRY_SECONDS = 2;
    /** How long a change of the listeners may take before the caller gives up waiting (a bind, a host lookup). */
    private static final long CHANGE_TIMEOUT_SECONDS = 30;
    /** The properties of this reporter's service that tell the launcher whether the gate listens. */
    static final String STATE = "kim.gate.state";
    static final String ADDRESS = "kim.gate.address";
    static final String ERROR = "kim.gate.error";
    /** The framework property with the manager's hand-off socket, set on a worker's command line by the manager. */
    static final String HANDOFF_PROPERTY = "kimserver.handoff";
    /** The framework property with the process tag ({@code W1}), which the gate says to the manager. */
    static final String PROCESS_PROPERTY = "kimserver.process";

    /**
     * Where the gate stands. {@code wanted} is the configured address; {@code error} says why the gate is not
     * listening there, since {@code since} (when listening, it still listens on its previous {@code address}).
     */
    record Status(String state, String address, String wanted, String error, Instant since) {
        static final Status NONE = new Status(GateStatistics.NOT_LISTENING, null, null, null, null);
    }

    @Reference
    private HandlerRegistry registry;

    @Reference
    private GateCounters counters;

    private Transport transport;
    /** The manager's hand-off socket, {@code null} when the gate is not started by a manager that hands over. */
    private String handoffSocket;
    private String processTag;
    private ExecutorService handlerThreads;
    private MemoryBudget budget;
    private ClientLogs logs;
    private GateContext gate;
    private final AddressLimit perAddress = new AddressLimit(0);
    /** Binds, retries and samples; all changes of the listeners happen on its one thread. */
    private ScheduledExecutorService control;
    private BundleContext bundleContext;
    private SynchronousBundleListener frameworkStop;
    private ServiceRegistration<ProblemReporter> registration;
    private final AtomicBoolean drainStarted = new AtomicBoolean();

    /** Changed on the control thread only; read anywhere. */
    private Target wanted;
    private volatile GateListener current;
    /** Listeners replaced by a move, serving their connections until those close. */
    private final Set<GateListener> retired = ConcurrentHashMap.newKeySet();

    private volatile Status status = Status.NONE;
    /** Set when the gate starts stopping: a connection accepted after that is drained at once. */
    private volatile boolean stopping;
    /** The configuration applied last, to say what a change changed. */
    private volatile GateConfig config;
    private volatile int maxClients;
    /** The {@code max_clients} the open-file limit was last found too low for, so that it is said once. */
    private int maxClientsWarned;
    private volatile long stopTimeoutMillis;

    @Activate
    void activate(GateConfig config, BundleContext context) {
        bundleContext = context;
        this.config = config;
        handoffSocket = context.getProperty(HANDOFF_PROPERTY);
        processTag = Objects.requireNonNullElse(context.getProperty(PROCESS_PROPERTY), "?");
        transport = Transport.best();
        if (!transport.name().equals("epoll")) {
            LOG.warn("native epoll is not available ({}); the gate uses NIO", Transport.epollUnavailableReason());
        }
        handlerThreads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("kim-handler-", 0).factory());
        budget = new MemoryBudget(megabytes(config.max_buffered_mb()));
        logs = ClientLogs.create(LOG, System::nanoTime);
        gate = new GateContext(registry, counters, handlerThreads, BlockingLane.SLICE_NANOS, budget, logs,
                settings(config));
        limits(config);
        registration = context.registerService(ProblemReporter.class, this, null);
        control = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("kim-gate-control").daemon()
                .factory());
        control.scheduleAtFixedRate(() -> {
            counters.sample();
            logs.tick();
        }, 1, 1, TimeUnit.SECONDS);
        control.scheduleWithFixedDelay(this::retry, RETRY_SECONDS, RETRY_SECONDS, TimeUnit.SECONDS);
        frameworkStop = event -> {
            if (event.getBundle().getBundleId() == 0 && event.getType() == BundleEvent.STOPPING
                    && drainStarted.compareAndSet(false, true)) {
                stopAccepting();
                serveUntilQuiet(); // here, while the modules that answer still run
            }
        };
        context.addBundleListener(frameworkStop);
        Target target = target(config);
        onControl(() -> {
            wanted = target;
            reconcile(true);
        });
    }

    /** Applies a changed configuration without dropping a connection; see the README for what applies where. */
    @Modified
    void modified(GateConfig config) {
        gate.settings(settings(config));
        budget.limit(megabytes(config.max_buffered_mb()));
        limits(config);
        for (GateListener listener : listeners()) {
            for (Channel channel : listener.clients()) {
                ConnectionLimits connection = channel.pipeline().get(ConnectionLimits.class);
                if (connection != null) {
                    channel.eventLoop().execute(connection::settingsChanged);
                }
            }
        }
        List<String> changes = changedInPlace(this.config, config, maxClients);
        this.config = config;
        if (!changes.isEmpty()) {
            LOG.info("gate configuration changed in place: {}", String.join(", ", changes));
        }
        Target target = target(config);
        onControl(() -> {
            wanted = target;
            reconcile(true);
        });
    }

    @Deactivate
    void deactivate() {
        try {
            bundleContext.removeBundleListener(frameworkStop);
        } catch (IllegalStateException e) {
            // the bundle is stopping: its listeners are gone already
        }
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // unregistered with the bundle already
        }
        if (drainStarted.compareAndSet(false, true)) {
            stopAccepting();
            control.shutdownNow();
            // Stopped on its own: the ports are free now, and the open connections are served in the background.
            Thread.ofPlatform().name("kim-gate-drain").daemon().start(() -> {
                serveUntilQuiet();
                shutdown();
            });
        } else {
            control.shutdownNow();
            shutdown(); // the framework's stop has served the connections already
        }
    }

    private Target target(GateConfig config) {
        if (config.gate_host().isEmpty()) {
            return null;
        }
        int threads = config.io_threads() > 0 ? config.io_threads() : Runtime.getRuntime().availableProcessors();
        return new Target(config.gate_host(), config.gate_port(), threads, config.is_reuseport(),
                config.is_reuseport() || handoffSocket == null || handoffSocket.isEmpty() ? null : handoffSocket);
    }

    private static GateContext.Settings settings(GateConfig config) {
        return new GateContext.Settings(TimeUnit.MILLISECONDS.toNanos(config.keep_alive()),
                TimeUnit.MILLISECONDS.toNanos(config.frame_timeout_ms()), config.min_body_rate(),
                config.max_frame_size(), config.close_on_unknown_cmd(),
                TimeUnit.MILLISECONDS.toNanos(config.handler_grace_ms()),
                TimeUnit.MILLISECONDS.toNanos(LINGER_QUIET_MILLIS));
    }

    private void limits(GateConfig config) {
        maxClients = clientsTheFileLimitAllows(config.max_clients());
        perAddress.max(config.max_clients_per_ip());
        stopTimeoutMillis = config.stop_timeout_ms();
    }

    private static long megabytes(int mb) {
        return (long) mb << 20;
    }

    /** Runs a change of the listeners on the control thread and waits for it (bounded). */
    private void onControl(Runnable change) {
        try {
            control.submit(change).get(CHANGE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            LOG.error("changing the gate's listener failed", e.getCause());
        } catch (TimeoutException e) {
            LOG.warn("changing the gate's listener takes more than {} s; it goes on in the background",
                    CHANGE_TIMEOUT_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every {@value #RETRY_SECONDS} s on the control thread: binds what could not be bound. */
    private void retry() {
        if (wanted != null && (current == null || !current.target.equals(wanted))) {
            reconcile(false);
        }
    }

    /**
     * Makes the listeners match {@link #wanted}: binds the new one first (see {@link #bind}), and retires the old
     * one only once the new one listens. {@code changed}: called for a change of the configuration, rather than to
     * retry. On the control thread.
     */
    private void reconcile(boolean changed) {
        if (stopping) {
            return;
        }
        Target want = wanted;
        if (current != null && current.target.equals(want)) {
            if (status.error() != null) {
                LOG.info("gate stays on {} as configured", current.addressText());
            }
            publish(new Status(GateStatistics.LISTENING, current.addressText(), want.address(), null, null));
            return;
        }
        if (want == null) {
            if (current != null) {
                LOG.info("gate_host is empty: the gate stops listening on {}; its connections are served until they"
                        + " close", current.addressText());
                retire(current);
                current = null;
            } else {
                LOG.info("gate_host is empty: the gate does not listen");
            }
            publish(Status.NONE);
            return;
        }
        try {
            GateListener previous = current;
            GateListener next = bind(want, changed);
            if (current != null) {
                retire(current);
            }
            current = next;
            publish(new Status(GateStatistics.LISTENING, next.addressText(), want.address(), null, null));
            LOG.info("gate {} ({}, {}, keep_alive {} ms, max_clients {}, max_frame_size {},"
                    + " frame_timeout_ms {}, max_buffered_mb {}){}", next.describe(), transportName(),
                    count(want.threads(), "I/O thread"),
                    TimeUnit.NANOSECONDS.toMillis(gate.settings().keepAliveNanos()),
                    maxClientsText(config.max_clients(), maxClients), gate.settings().maxFrameSize(),
                    TimeUnit.NANOSECONDS.toMillis(gate.settings().frameTimeoutNanos()), budget.limit() >> 20,
                    previous == null ? "" : replaced(previous.addressText(), previous.target.threads(),
                            next.addressText(), want.threads(), previous.clients().size()));
        } catch (Exception e) {
            String reason = reason(e);
            Status before = status;
            boolean sameFailure = want.address().equals(before.wanted()) && before.error() != null;
            Instant since = sameFailure ? before.since() : Instant.now();
            if (current != null) {
                publish(new Status(GateStatistics.LISTENING, current.addressText(), want.address(), reason, since));
            } else {
                publish(new Status(GateStatistics.FAILED, want.address(), want.address(), reason, since));
            }
            if (!sameFailure || !reason.equals(before.error())) {
                if (current != null) {
                    LOG.warn("gate cannot move to {}: {}; it keeps listening on {} and tries again every {} s",
                            want.address(), reason, current.addressText(), RETRY_SECONDS);
                } else {
                    LOG.warn("gate cannot listen on {}: {}; it tries again every {} s", want.address(), reason,
                            RETRY_SECONDS);
                }
            }
        }
    }

    /**
     * A listener on {@code want}, bound while the current one still listens. On the same port that cannot always be:
     * a new thread count on the same address, or an address that overlaps the current one ({@code 0.0.0.0} and
     * {@code 127.0.0.1}). Then, on a change of the configuration ({@code mayFreePort}) and not on each retry, the
     * current listener retires first, and if {@code want} cannot bind even so, its address is bound again, so that
     * the gate goes on listening where it did.
     */
    private GateListener bind(Target want, boolean mayFreePort) throws Exception {
        GateListener previous = current;
        if (previous == null || !previous.target.samePort(want)) {
            return open(want);
        }
        if (!previous.target.host().equals(want.host()) || !mayFreePort) {
            try {
                return open(want); // addresses that do not overlap (two interfaces) share a port number
            } catch (UnknownHostException | RuntimeException e) {
                throw e;
            } catch (Exception overlapping) {
                if (!mayFreePort) {
                    throw overlapping;
                }
                LOG.debug("{} overlaps {}: the old listener frees the port first", want.address(),
                        previous.addressText(), overlapping);
            }
        }
        retire(previous);
        current = null;
        try {
            return open(want);
        } catch (Exception e) {
            try {
                current = open(previous.target);
            } catch (Exception lost) {
                LOG.warn("gate cannot listen on {} again: {}", previous.target.address(), reason(lost));
            }
            throw e;
        }
    }

    private GateListener open(Target target) throws Exception {
        if (target.handoffSocket() != null) {
            return GateListener.receive(target, transport, processTag, this::accept, this::linkLost);
        }
        return GateListener.open(target, transport, new AcceptFailures(counters, logs), this::accept);
    }

    /**
     * The manager closed the hand-off link of {@code listener}: no connection comes any more. The gate says it
     * failed; its open connections are served until they close; {@link #retry} connects again.
     */
    private void linkLost(GateListener listener) {
        try {
            control.execute(() -> {
                if (current != listener || stopping) {
                    return;
                }
                String reason = "the manager closed the hand-off link (" + listener.target.handoffSocket()
                        + "): no connection is handed over";
                LOG.error("{}; the gate serves its {} until they close and tries to connect again every {} s",
                        reason, count(listener.clients().size(), "open connection"), RETRY_SECONDS);
                retire(listener);
                current = null;
                publish(new Status(GateStatistics.FAILED, listener.addressText(), listener.target.address(), reason,
                        Instant.now()));
            });
        } catch (RejectedExecutionException e) {
            // the gate is stopping
        }
    }

    private static String reason(Exception e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    private void retire(GateListener listener) {
        retired.add(listener);
        listener.retire().addListener(f -> retired.remove(listener));
    }

    /** The current listener and the retired ones still serving. */
    private List<GateListener> listeners() {
        List<GateListener> all = new ArrayList<>(retired);
        GateListener now = current;
        if (now != null) {
            all.add(now);
        }
        return all;
    }

    /** Sets the status, and the service properties the launcher reads. */
    private void publish(Status next) {
        Status before = status;
        status = next;
        if (next.state().equals(before.state()) && Objects.equals(next.address(), before.address())
                && Objects.equals(next.error(), before.error())) {
            return;
        }
        Dictionary<String, Object> properties = new Hashtable<>();
        if (!next.state().equals(GateStatistics.NOT_LISTENING)) {
            properties.put(STATE, next.state());
            properties.put(ADDRESS, next.address());
            if (next.state().equals(GateStatistics.FAILED)) {
                properties.put(ERROR, next.error());
            }
        }
        try {
            registration.setProperties(properties);
        } catch (IllegalStateException e) {
            // unregistered: the gate is stopping
        }
    }

    @Override
    public List<Problem> problems() {
        Status now = status;
        if (now.error() == null) {
            return List.of();
        }
        String reason = now.state().equals(GateStatistics.FAILED)
                ? "not listening on " + now.wanted() + ": " + now.error() + "; tried again every " + RETRY_SECONDS
                        + " s"
                : "cannot move to " + now.wanted() + ": " + now.error() + "; still listening on " + now.address()
                        + ", tried again every " + RETRY_SECONDS + " s";
        return List.of(new Problem("gate", reason, now.since()));
    }

    /** Sets up a new client connection, or closes it at once if a connection limit is reached. */
    private void accept(Channel channel, GateListener listener) {
        if (!(channel.remoteAddress() instanceof InetSocketAddress remote)) {
            channel.close(); // reset by the client before it could be set up
            return;
        }
        InetAddress ip = remote.getAddress();
        if (counters.connections.incrementAndGet() > maxClients) {
            counters.connections.decrementAndGet();
            counters.refused.increment();
            LOG.debug("{}: refused, max_clients {} reached", channel.remoteAddress(), maxClients);
            channel.close();
            return;
        }
        if (!perAddress.tryAcquire(ip)) {
            counters.connections.decrementAndGet();
            counters.refusedPerAddress.increment();
            gate.logs().perAddress().warn("{}: refused, the address holds max_clients_per_ip connections",
                    channel.remoteAddress());
            channel.close();
            return;
        }
        counters.accepted.increment();
        ReadPauses pauses = new ReadPauses(channel);
        HeldMemory memory = new HeldMemory(gate.budget(), pauses, channel);
        channel.closeFuture().addListener(f -> {
            counters.connections.decrementAndGet();
            perAddress.release(ip);
            memory.release();
        });
        listener.adopt(channel);
        Dispatcher dispatcher = serve(channel, gate, pauses, memory);
        if (stopping) {
            dispatcher.drain(); // accepted from the backlog as the listener closed: served, then closed
        }
    }

    /** Puts the three pieces that serve a client on its pipeline; returns the dispatcher. */
    static Dispatcher serve(Channel channel, GateContext gate, ReadPauses pauses, HeldMemory memory) {
        FrameDecoder decoder = new FrameDecoder(gate.settings().maxFrameSize(), GateServer::request, memory::buffered);
        Dispatcher dispatcher = new Dispatcher(gate, pauses, memory, decoder);
        channel.pipeline().addLast(new ConnectionLimits(gate, decoder, memory, pauses, dispatcher), decoder,
                dispatcher);
        return dispatcher;
    }

    private static GateRequest request(int cmd, int seq, MsgBodyView body) {
        return new GateRequest(cmd, seq, body.data());
    }

    /** Stops accepting on every listener (on the control thread, so that no bind runs meanwhile). */
    private void stopAccepting() {
        stopping = true;
        onControl(() -> listeners().forEach(GateListener::stopAccepting));
    }

    /**
     * Lets every open connection finish what its client sent and close once quiet, for at most
     * {@code stop_timeout_ms}; closes what is left then.
     */
    private void serveUntilQuiet() {
        List<Channel> open = new ArrayList<>();
        listeners().forEach(listener -> open.addAll(listener.clients()));
        if (!open.isEmpty()) {
            LOG.info("gate stopping: listeners closed; serving {} open connections until they are quiet"
                    + " (stop_timeout_ms {})", open.size(), stopTimeoutMillis);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(stopTimeoutMillis);
        for (Channel channel : open) {
            channel.eventLoop().execute(() -> {
                Dispatcher dispatcher = channel.pipeline().get(Dispatcher.class);
                if (dispatcher != null) {
                    dispatcher.drain();
                }
            });
        }
        int busy = 0;
        for (Channel channel : open) {
            long left = deadline - System.nanoTime();
            if (!channel.closeFuture().awaitUninterruptibly(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                busy++;
            }
        }
        if (busy > 0) {
            counters.cutAtStop.add(busy);
            LOG.warn("gate stopping: {} connections were still busy after stop_timeout_ms ({} ms) and are closed",
                    busy, stopTimeoutMillis);
        } else if (!open.isEmpty()) {
            LOG.info("gate stopping: every connection was served and closed");
        }
    }

    private void shutdown() {
        status = Status.NONE;
        listeners().forEach(GateListener::close);
        handlerThreads.shutdown();
        try {
            if (!handlerThreads.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("handler calls still running 10 s after the gate stopped");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * {@code max_clients}, or less if the open-file limit cannot hold that many connections (said once for each
     * configured value).
     */
    private int clientsTheFileLimitAllows(int configured) {
        int room = OpenFiles.connectionRoom();
        if (configured <= room) {
            return configured;
        }
        if (configured == maxClientsWarned) {
            return room;
        }
        maxClientsWarned = configured;
        LOG.warn("max_clients is {} but the open-file limit ({} files, {} open now, {} kept for the server itself)"
                + " leaves room for {} connections: connections beyond {} are refused. Raise the limit (ulimit -n,"
                + " LimitNOFILE= in a systemd unit) or lower max_clients", configured, OpenFiles.max(),
                OpenFiles.open(), OpenFiles.RESERVE, room, room);
        return room;
    }

    /**
     * The keys applied in place whose value {@code after} changed from {@code before}, each with its new value;
     * {@code allowedClients} is the connection limit in force.
     */
    static List<String> changedInPlace(GateConfig before, GateConfig after, int allowedClients) {
        List<String> changes = new ArrayList<>();
        if (before.keep_alive() != after.keep_alive()) {
            changes.add("keep_alive " + after.keep_alive() + " ms");
        }
        if (before.max_clients() != after.max_clients()) {
            changes.add("max_clients " + maxClientsText(after.max_clients(), allowedClients));
        }
        if (before.max_clients_per_ip() != after.max_clients_per_ip()) {
            changes.add("max_clients_per_ip " + after.max_clients_per_ip());
        }
        if (before.max_frame_size() != after.max_frame_size()) {
            changes.add("max_frame_size " + after.max_frame_size() + " (new connections)");
        }
        if (before.frame_timeout_ms() != after.frame_timeout_ms()) {
            changes.add("frame_timeout_ms " + after.frame_timeout_ms());
        }
        if (before.min_body_rate() != after.min_body_rate()) {
            changes.add("min_body_rate " + after.min_body_rate());
        }
        if (before.max_buffered_mb() != after.max_buffered_mb()) {
            changes.add("max_buffered_mb " + after.max_buffered_mb());
        }
        if (before.close_on_unknown_cmd() != after.close_on_unknown_cmd()) {
            changes.add("close_on_unknown_cmd " + after.close_on_unknown_cmd());
        }
        if (before.handler_grace_ms() != after.handler_grace_ms()) {
            changes.add("handler_grace_ms " + after.handler_grace_ms());
        }
        if (before.stop_timeout_ms() != after.stop_timeout_ms()) {
            changes.add("stop_timeout_ms " + after.stop_timeout_ms());
        }
        return changes;
    }

    /** {@code max_clients} as configured, and the limit in force if the open-file limit makes it lower. */
    static String maxClientsText(int configured, int allowed) {
        return allowed < configured ? configured + " (" + allowed + " allowed by the open-file limit)"
                : Integer.toString(configured);
    }

    /**
     * What a new listener replaced, for its log line: the address it moved from and the thread count it changed,
     * and the previous listener's connections, which are served until they close.
     */
    static String replaced(String previousAddress, int previousThreads, String address, int threads, int open) {
        List<String> changes = new ArrayList<>();
        if (!previousAddress.equals(address)) {
            changes.add("moved from " + previousAddress);
        }
        if (previousThreads != threads) {
            changes.add("I/O threads changed from " + previousThreads + " to " + threads);
        }
        String served = open == 0 ? "the previous listener had no open connections"
                : "the previous listener's " + count(open, "open connection")
                        + (open == 1 ? " is served until it closes" : " are served until they close");
        return "; " + (changes.isEmpty() ? "" : String.join(" and ", changes) + ": ") + served;
    }

    /** {@code n} and the noun, plural unless {@code n} is 1: "1 I/O thread", "2 I/O threads". */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** Where the gate stands: listening, failed, or not configured to listen. */
    Status status() {
        return status;
    }

    /** The connection limit in force: {@code max_clients}, or less if the open-file limit says so. */
    int maxClients() {
        return maxClients;
    }

    /** The memory budget of the connections. */
    MemoryBudget budget() {
        return budget;
    }

    /** The transport, and whether Netty's Unsafe-based buffers are on (they are off, and slower, if the JVM lacks
     *  {@code --sun-misc-unsafe-memory-access=allow} from Java 23 on, or {@code sun.*} is not boot-delegated). */
    String transportName() {
        return transport == null ? "none"
                : transport.name() + ", " + (PlatformDependent.hasUnsafe() ? "Unsafe buffers" : "no Unsafe: "
                        + PlatformDependent.getUnsafeUnavailabilityCause());
    }
}
