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
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * One listening socket and the event loops of the connections it accepts. When the gate moves to another address
 * (or another number of threads), the old listener {@link #retire retires}: it stops accepting, its connections go
 * on being served as before, and its event loops end once the last of them has closed.
 */
final class GateListener {
    /** As the original's listen backlog is 511; a little more helps when thousands of clients connect at once. */
    private static final int BACKLOG = 1024;

    /** Where and how a listener is asked to listen: the keys of the configuration that need a new listener. */
    record Target(String host, int port, int threads) {
        String address() {
            return host + ":" + port;
        }

        /** Whether a listener for {@code other} would take this one's port (a port chosen by the system never is). */
        boolean samePort(Target other) {
            return port != 0 && port == other.port;
        }
    }

    final Target target;
    private final EventLoopGroup loops;
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
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        accept.accept(channel, self[0]);
                    }
                });
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

    /** Where it listens (the port chosen when the target's is 0). */
    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /**
     * {@code host:port} as configured, with the port it listens on (when the configured one is 0); the host as
     * written, since a wildcard bound on a dual-stack socket reads back as {@code 0:0:0:0:0:0:0:0}.
     */
    String addressText() {
        InetSocketAddress bound = address();
        return bound == null ? target.address() : target.host() + ":" + bound.getPort();
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
     * Stops accepting and ends the event loops once the connections it accepted have all closed; returns what
     * completes then.
     */
    Future<?> retire() {
        stopAccepting();
        return clients.newCloseFuture().addListener(f -> loops.shutdownGracefully(0, 2, TimeUnit.SECONDS));
    }

    /** Closes the socket and every connection at once, and ends the event loops. */
    void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
