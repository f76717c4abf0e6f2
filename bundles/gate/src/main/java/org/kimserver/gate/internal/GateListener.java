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
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Where the gate's connections come from, and their event loops: a listening socket, or (connection hand-off) the
 * link to the manager, which accepts on the gate port and passes each client socket on ({@link HandoffLink}). When
 * the gate moves to another address (or another number of threads), the old listener {@link #retire retires}: it
 * stops accepting, its connections go on being served as before, and its event loops end once the last of them has
 * closed.
 */
final class GateListener {
    /** As the original's listen backlog is 511; a little more helps when thousands of clients connect at once. */
    private static final int BACKLOG = 1024;
    /** How long a stopping worker waits for its manager to close the hand-off link (see {@link #drain}). */
    static final long DRAIN_SECONDS = 2;

    /**
     * Where and how a listener is asked to listen: the keys of the configuration that need a new listener.
     * {@code reusePort}: listen with SO_REUSEPORT ({@code is_reuseport}), so that other processes may listen on the
     * port too; {@code handoffSocket}: do not listen, take the connections the manager passes over this Unix socket.
     */
    record Target(String host, int port, int threads, boolean reusePort, String handoffSocket) {
        String address() {
            return host + ":" + port;
        }

        /**
         * Whether a listener for {@code other} would take this one's port: not a port chosen by the system, nor one
         * both listen on with SO_REUSEPORT, nor when either takes its connections from the manager.
         */
        boolean samePort(Target other) {
            return port != 0 && port == other.port && !(reusePort && other.reusePort) && handoffSocket == null
                    && other.handoffSocket == null;
        }
    }

    final Target target;
    private final EventLoopGroup loops;
    /** The listening socket, or the hand-off link. */
    private final Channel server;
    private final ChannelGroup clients = new DefaultChannelGroup("kim-gate-clients", GlobalEventExecutor.INSTANCE);
    private final AtomicBoolean closing = new AtomicBoolean();

    private GateListener(Target target, EventLoopGroup loops, Channel server) {
        this.target = target;
        this.loops = loops;
        this.server = server;
    }

    /**
     * Listens on {@code target}, or throws why it cannot (an unknown host, a port in use); {@code accept} sets up
     * each new connection, on its event loop. Blocks while the socket binds: never call it on an event loop.
     */
    static GateListener open(Target target, Transport transport, AcceptFailures acceptFailures,
                             BiConsumer<Channel, GateListener> accept) throws Exception {
        InetSocketAddress address = new InetSocketAddress(target.host(), target.port());
        if (address.isUnresolved()) {
            throw new UnknownHostException("gate_host \"" + target.host() + "\" does not resolve");
        }
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(target.threads(),
                new DefaultThreadFactory("kim-gate-io", true), transport.ioHandlerFactory());
        GateListener[] self = new GateListener[1];
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                // Each pass over the listener accepts its whole backlog (Netty's default takes one connection a pass
                // on epoll), so that no client waits there while the loop is busy, and a close that follows a pass
                // leaves nobody in it to be reset.
                .option(ChannelOption.RCVBUF_ALLOCATOR,
                        new ServerChannelRecvByteBufAllocator().respectMaybeMoreData(false).maxMessagesPerRead(BACKLOG))
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(acceptFailures)
                .childHandler(setUp(accept, self));
        if (target.reusePort()) {
            bootstrap.option(transport.reusePort(), true);
        }
        try {
            // Registered but not yet bound: nothing can be accepted before self[0] is set.
            Channel server = bootstrap.register().sync().channel();
            self[0] = new GateListener(target, loops, server);
            server.bind(address).sync();
            return self[0];
        } catch (Exception e) {
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * Takes the connections the manager hands over through {@code target}'s hand-off socket, saying hello as
     * {@code processTag}: each is set up by {@code accept} exactly as an accepted one, on this listener's event
     * loops. {@code lost} runs (on an event loop) if the link closes other than by {@link #stopAccepting} or
     * {@link #close}: the manager is gone or dropped this worker. Throws why it cannot connect (no epoll, no socket
     * there). Blocks while it connects: never call it on an event loop.
     */
    static GateListener receive(Target target, Transport transport, String processTag,
                                BiConsumer<Channel, GateListener> accept, Consumer<GateListener> lost)
            throws Exception {
        if (!transport.isEpoll()) {
            throw new IllegalStateException("the connection hand-off (is_reuseport false) needs Netty's native epoll,"
                    + " which is not available: " + Transport.epollUnavailableReason());
        }
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(target.threads(),
                new DefaultThreadFactory("kim-gate-io", true), transport.ioHandlerFactory());
        GateListener[] self = new GateListener[1];
        ChannelInitializer<Channel> setUp = setUp(accept, self);
        try {
            Channel link = HandoffLink.connect(loops, target.handoffSocket(), socket -> {
                Channel client = HandoffLink.adopt(socket);
                if (client == null) {
                    return;
                }
                if (!client.isActive()) { // reset by the client while it was being handed over
                    client.unsafe().closeForcibly();
                    return;
                }
                client.pipeline().addLast(setUp);
                loops.next().register(client);
            });
            self[0] = new GateListener(target, loops, link);
            HandoffLink.hello(link, processTag);
            link.closeFuture().addListener(f -> {
                if (!self[0].closing.get()) {
                    lost.accept(self[0]);
                }
            });
            return self[0];
        } catch (Exception e) {
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * What sets up a new client: the options every client gets, then {@code accept}. Shared by both sources of
     * connections, so that a handed-over connection is served exactly as an accepted one.
     */
    private static ChannelInitializer<Channel> setUp(BiConsumer<Channel, GateListener> accept, GateListener[] self) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.config().setOption(ChannelOption.TCP_NODELAY, true);
                channel.config().setOption(ChannelOption.SO_KEEPALIVE, true);
                channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
                accept.accept(channel, self[0]);
            }
        };
    }

    /** Where it listens (the port chosen when the target's is 0); {@code null} when the manager hands connections. */
    InetSocketAddress address() {
        return server.localAddress() instanceof InetSocketAddress bound ? bound : null;
    }

    /**
     * {@code host:port} as configured, with the port it listens on (when the configured one is 0); the host as
     * written, since a wildcard bound on a dual-stack socket reads back as {@code 0:0:0:0:0:0:0:0}.
     */
    String addressText() {
        InetSocketAddress bound = address();
        return bound == null ? target.address() : target.host() + ":" + bound.getPort();
    }

    /** Where and how it takes its connections, for the log. */
    String describe() {
        if (target.handoffSocket() != null) {
            return "taking the connections the manager accepts on " + addressText() + ", handed over through "
                    + target.handoffSocket();
        }
        return "listening on " + addressText() + (target.reusePort() ? " with SO_REUSEPORT" : "");
    }

    /** Counts a new connection as this listener's, so that its event loops live as long as it. */
    void adopt(Channel channel) {
        clients.add(channel);
    }

    ChannelGroup clients() {
        return clients;
    }

    /**
     * Stops accepting; returns {@code false} if that was done already. Connections whose handshake was done before
     * this wait in the backlog, and a close would reset them. So the close runs only after the listener's event loop
     * has made one more pass over its I/O (which accepts them all): a task scheduled from the loop itself runs in
     * the loop's next round of tasks, and I/O comes first in every round, however busy the loop is. Returns once the
     * connections accepted in that pass are set up.
     */
    boolean stopAccepting() {
        if (!closing.compareAndSet(false, true)) {
            return false;
        }
        if (target.handoffSocket() != null && server instanceof DuplexChannel link) {
            drain(link);
            return true;
        }
        EventLoop accepting = server.eventLoop();
        accepting.execute(() -> accepting.schedule(() -> {
            server.close();
        }, 0, TimeUnit.NANOSECONDS));
        server.closeFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        for (EventExecutor loop : loops) {
            loop.submit(() -> { }).awaitUninterruptibly(5, TimeUnit.SECONDS); // the last accepted are set up
        }
        return true;
    }

    /**
     * A hand-off link stops as a listener does, without losing a client: a socket the manager sent and this worker
     * has not read yet would be closed with the link. So the worker only shuts its side down; the manager, at that
     * end of its input, takes the worker out of its turn and closes the link, and everything it sent before is read
     * and set up here before the close arrives. A manager that does not close within {@link #DRAIN_SECONDS} is not
     * waited for.
     */
    private void drain(DuplexChannel link) {
        link.shutdownOutput();
        if (!link.closeFuture().awaitUninterruptibly(DRAIN_SECONDS, TimeUnit.SECONDS)) {
            link.close().awaitUninterruptibly(DRAIN_SECONDS, TimeUnit.SECONDS);
        }
        for (EventExecutor loop : loops) {
            loop.submit(() -> { }).awaitUninterruptibly(5, TimeUnit.SECONDS); // the last handed over are set up
        }
    }

    /**
     * Stops accepting and ends the event loops once the connections it accepted have all closed; returns what
     * completes then.
     */
    Future<?> retire() {
        stopAccepting();
        return clients.newCloseFuture().addListener(f -> loops.shutdownGracefully(0, 2, TimeUnit.SECONDS));
    }

    /** Closes the socket and every connection at once, and ends the event loops. */
    void close() {
        closing.set(true);
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
