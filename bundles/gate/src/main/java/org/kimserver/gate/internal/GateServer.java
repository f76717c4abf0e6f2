package org.kimserver.gate.internal;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.PlatformDependent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kimserver.wire.FrameDecoder;
import org.kimserver.wire.MsgBodyView;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on {@code gate_host:gate_port} and serves each client through a pipeline of three pieces:
 * {@link ConnectionLimits} (time and memory), {@link FrameDecoder} (frames) and {@link Dispatcher} (handlers and
 * replies).
 *
 * <p>Stopping is graceful: the listener closes first, then every open connection is served until it is quiet and
 * closed with a FIN, for at most {@code stop_timeout_ms}; what is still busy then is closed and counted. The
 * framework's stop is caught as the system bundle begins to stop, before any business bundle stops, so the requests
 * read before a stop are answered by their handlers. When the gate is replaced (a configuration change), the old
 * one frees the port at once and serves its connections in the background, so the new one listens meanwhile.
 */
@Component(service = GateServer.class, immediate = true, configurationPid = "kimserver.gate",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = GateConfig.class)
public final class GateServer {
    private static final Logger LOG = LoggerFactory.getLogger(GateServer.class);
    /** As the original's listen backlog is 511; a little more helps when thousands of clients connect at once. */
    private static final int BACKLOG = 1024;
    /** How long a closing connection, after its FIN, waits for a client that sends nothing (lingering close). */
    private static final long LINGER_QUIET_MILLIS = 2000;

    @Reference
    private HandlerRegistry registry;

    @Reference
    private GateCounters counters;

    private EventLoopGroup group;
    private Channel listener;
    private ChannelGroup clients;
    private ExecutorService handlerThreads;
    private ScheduledFuture<?> ticker;
    private Transport transport;
    private MemoryBudget budget;
    private BundleContext bundleContext;
    private SynchronousBundleListener frameworkStop;
    private long stopTimeoutMillis;
    private final AtomicBoolean listenerClosing = new AtomicBoolean();
    /** Set when the gate starts stopping: a connection accepted after that is drained at once. */
    private volatile boolean stopping;
    private volatile InetSocketAddress address;
    private volatile int maxClients;

    @Activate
    void activate(GateConfig config, BundleContext context) throws InterruptedException {
        if (config.gate_host().isEmpty()) {
            LOG.info("gate_host is empty: the gate does not listen");
            return;
        }
        transport = Transport.best();
        if (!transport.name().equals("epoll")) {
            LOG.warn("native epoll is not available ({}); the gate uses NIO", Transport.epollUnavailableReason());
        }
        maxClients = clientsTheFileLimitAllows(config.max_clients());
        int threads = config.io_threads() > 0 ? config.io_threads() : Runtime.getRuntime().availableProcessors();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("kim-gate-io", true),
                transport.ioHandlerFactory());
        clients = new DefaultChannelGroup("kim-gate-clients", GlobalEventExecutor.INSTANCE);
        handlerThreads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("kim-handler-", 0).factory());
        budget = new MemoryBudget((long) config.max_buffered_mb() << 20);
        ClientLogs logs = ClientLogs.create(LOG, System::nanoTime);
        GateContext gate = new GateContext(registry, counters, handlerThreads, budget, logs,
                new GateContext.Settings(TimeUnit.MILLISECONDS.toNanos(config.keep_alive()),
                        TimeUnit.MILLISECONDS.toNanos(config.frame_timeout_ms()), config.min_body_rate(),
                        config.max_frame_size(), config.close_on_unknown_cmd(),
                        TimeUnit.MILLISECONDS.toNanos(config.handler_grace_ms()),
                        TimeUnit.MILLISECONDS.toNanos(LINGER_QUIET_MILLIS)));
        AddressLimit perAddress = new AddressLimit(config.max_clients_per_ip());
        stopTimeoutMillis = config.stop_timeout_ms();

        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                // Each pass over the listener accepts its whole backlog (Netty's default takes one connection a pass
                // on epoll), so that no client waits there while the loop is busy, and a stop that follows a pass
                // leaves nobody in it to be reset.
                .option(ChannelOption.RCVBUF_ALLOCATOR,
                        new ServerChannelRecvByteBufAllocator().respectMaybeMoreData(false).maxMessagesPerRead(BACKLOG))
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(new AcceptFailures(counters, logs))
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        accept(channel, gate, perAddress);
                    }
                });
        try {
            listener = bootstrap.bind(config.gate_host(), config.gate_port()).sync().channel();
            address = (InetSocketAddress) listener.localAddress();
        } catch (Exception e) {
            shutdown();
            throw new IllegalStateException("the gate cannot listen on " + config.gate_host() + ":"
                    + config.gate_port() + ": " + e.getMessage(), e);
        }
        ticker = group.next().scheduleAtFixedRate(() -> {
            counters.sample();
            logs.tick();
        }, 1, 1, TimeUnit.SECONDS);
        bundleContext = context;
        frameworkStop = event -> {
            if (event.getBundle().getBundleId() == 0 && event.getType() == BundleEvent.STOPPING
                    && closeListener()) {
                serveUntilQuiet(); // here, while the modules that answer still run
            }
        };
        context.addBundleListener(frameworkStop);
        LOG.info("gate listening on {} ({}, {} I/O threads, keep_alive {} ms, max_clients {}, max_frame_size {},"
                + " frame_timeout_ms {}, max_buffered_mb {})", address, transportName(), threads, config.keep_alive(),
                maxClients, config.max_frame_size(), config.frame_timeout_ms(), config.max_buffered_mb());
    }

    @Deactivate
    void deactivate() {
        if (frameworkStop != null) {
            try {
                bundleContext.removeBundleListener(frameworkStop);
            } catch (IllegalStateException e) {
                // the bundle is stopping: its listeners are gone already
            }
        }
        if (closeListener()) {
            // Replaced or stopped on its own: the port is free now, and the open connections are served in the
            // background while a new gate (if any) listens.
            Thread.ofPlatform().name("kim-gate-drain").daemon().start(() -> {
                serveUntilQuiet();
                shutdown();
            });
        } else {
            shutdown(); // the framework's stop has served the connections already
        }
    }

    /** Sets up a new client connection, or closes it at once if a connection limit is reached. */
    private void accept(Channel channel, GateContext gate, AddressLimit perAddress) {
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
        clients.add(channel);
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

    /**
     * Stops accepting; returns {@code false} if that was done already (or the gate never listened). Connections whose
     * handshake was done before this wait in the listener's backlog, and a close would reset them. So the close runs
     * only after the listener's event loop has made one more pass over its I/O (which accepts them all): a task
     * scheduled from the loop itself runs in the loop's next round of tasks, and I/O comes first in every round,
     * however busy the loop is. A connection accepted from then on is drained at once.
     */
    private boolean closeListener() {
        if (listener == null || !listenerClosing.compareAndSet(false, true)) {
            return false;
        }
        stopping = true;
        EventLoop accepting = listener.eventLoop();
        accepting.execute(() -> accepting.schedule(() -> {
            listener.close();
        }, 0, TimeUnit.NANOSECONDS));
        listener.closeFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        for (EventExecutor loop : group) {
            loop.submit(() -> { }).awaitUninterruptibly(5, TimeUnit.SECONDS); // the last accepted are set up
        }
        return true;
    }

    /**
     * Lets every open connection finish what its client sent and close once quiet, for at most
     * {@code stop_timeout_ms}; closes what is left then.
     */
    private void serveUntilQuiet() {
        int open = clients.size();
        if (open > 0) {
            LOG.info("gate on {} stopping: listener closed; serving {} open connections until they are quiet"
                    + " (stop_timeout_ms {})", listener.localAddress(), open, stopTimeoutMillis);
        }
        var allClosed = clients.newCloseFuture();
        for (Channel channel : clients) {
            channel.eventLoop().execute(() -> {
                Dispatcher dispatcher = channel.pipeline().get(Dispatcher.class);
                if (dispatcher != null) {
                    dispatcher.drain();
                }
            });
        }
        if (!allClosed.awaitUninterruptibly(stopTimeoutMillis, TimeUnit.MILLISECONDS)) {
            int busy = clients.size();
            counters.cutAtStop.add(busy);
            LOG.warn("gate stopping: {} connections were still busy after stop_timeout_ms ({} ms) and are closed",
                    busy, stopTimeoutMillis);
        } else if (open > 0) {
            LOG.info("gate stopping: every connection was served and closed");
        }
    }

    private void shutdown() {
        address = null;
        if (ticker != null) {
            ticker.cancel(false);
        }
        if (listener != null) {
            listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (clients != null) {
            clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (handlerThreads != null) {
            handlerThreads.shutdown();
            try {
                if (!handlerThreads.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("handler calls still running 10 s after the gate stopped");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** {@code max_clients}, or less if the open-file limit cannot hold that many connections (said once). */
    private static int clientsTheFileLimitAllows(int configured) {
        int room = OpenFiles.connectionRoom();
        if (configured <= room) {
            return configured;
        }
        LOG.warn("max_clients is {} but the open-file limit ({} files, {} open now, {} kept for the server itself)"
                + " leaves room for {} connections: connections beyond {} are refused. Raise the limit (ulimit -n,"
                + " LimitNOFILE= in a systemd unit) or lower max_clients", configured, OpenFiles.max(),
                OpenFiles.open(), OpenFiles.RESERVE, room, room);
        return room;
    }

    /** Where the gate listens, or {@code null} when it does not. */
    InetSocketAddress address() {
        return address;
    }

    /** The connection limit in force: {@code max_clients}, or less if the open-file limit says so. */
    int maxClients() {
        return maxClients;
    }

    /** The memory budget of the connections, or {@code null} when the gate does not listen. */
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
