package org.kimserver.gate.internal;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.PlatformDependent;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on {@code gate_host:gate_port} and runs a {@link GateConnection} for each client. A configuration change
 * restarts it (connections are closed; clients reconnect as they would after a server restart).
 */
@Component(service = GateServer.class, immediate = true, configurationPid = "kimserver.gate",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = GateConfig.class)
public final class GateServer {
    private static final Logger LOG = LoggerFactory.getLogger(GateServer.class);
    /** As the original's listen backlog is 511; a little more helps when thousands of clients connect at once. */
    private static final int BACKLOG = 1024;

    @Reference
    private HandlerRegistry registry;

    @Reference
    private GateCounters counters;

    private EventLoopGroup group;
    private ChannelGroup clients;
    private ExecutorService handlerThreads;
    private ScheduledFuture<?> sampler;
    private Transport transport;
    private volatile InetSocketAddress address;

    @Activate
    void activate(GateConfig config) throws InterruptedException {
        if (config.gate_host().isEmpty()) {
            LOG.info("gate_host is empty: the gate does not listen");
            return;
        }
        transport = Transport.best();
        if (!transport.name().equals("epoll")) {
            LOG.warn("native epoll is not available ({}); the gate uses NIO", Transport.epollUnavailableReason());
        }
        int threads = config.io_threads() > 0 ? config.io_threads() : Runtime.getRuntime().availableProcessors();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("kim-gate-io", true),
                transport.ioHandlerFactory());
        clients = new DefaultChannelGroup("kim-gate-clients", GlobalEventExecutor.INSTANCE);
        handlerThreads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("kim-handler-", 0).factory());
        GateContext context = new GateContext(registry, counters, handlerThreads,
                TimeUnit.MILLISECONDS.toNanos(config.keep_alive()), config.max_frame_size(),
                config.close_on_unknown_cmd(), TimeUnit.MILLISECONDS.toNanos(config.handler_grace_ms()));
        int maxClients = config.max_clients();

        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (counters.connections.incrementAndGet() > maxClients) {
                            counters.connections.decrementAndGet();
                            counters.refused.increment();
                            LOG.debug("{}: refused, max_clients {} reached", channel.remoteAddress(), maxClients);
                            channel.close();
                            return;
                        }
                        counters.accepted.increment();
                        channel.closeFuture().addListener(f -> counters.connections.decrementAndGet());
                        clients.add(channel);
                        channel.pipeline().addLast(new GateConnection(context));
                    }
                });
        try {
            Channel server = bootstrap.bind(config.gate_host(), config.gate_port()).sync().channel();
            clients.add(server);
            address = (InetSocketAddress) server.localAddress();
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("the gate cannot listen on " + config.gate_host() + ":"
                    + config.gate_port() + ": " + e.getMessage(), e);
        }
        sampler = group.next().scheduleAtFixedRate(counters::sample, 1, 1, TimeUnit.SECONDS);
        LOG.info("gate listening on {} ({}, {} I/O threads, keep_alive {} ms, max_clients {}, max_frame_size {})",
                address, transportName(), threads, config.keep_alive(), maxClients, config.max_frame_size());
    }

    @Deactivate
    void deactivate() {
        if (address != null) {
            LOG.info("gate on {} stopping", address);
        }
        stop();
    }

    private void stop() {
        address = null;
        if (sampler != null) {
            sampler.cancel(false);
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

    /** Where the gate listens, or {@code null} when it does not. */
    InetSocketAddress address() {
        return address;
    }

    /** The transport, and whether Netty's Unsafe-based buffers are on (they are off, and slower, if the JVM lacks
     *  {@code --sun-misc-unsafe-memory-access=allow} from Java 23 on, or {@code sun.*} is not boot-delegated). */
    String transportName() {
        return transport == null ? "none"
                : transport.name() + ", " + (PlatformDependent.hasUnsafe() ? "Unsafe buffers" : "no Unsafe: "
                        + PlatformDependent.getUnsafeUnavailabilityCause());
    }
}
