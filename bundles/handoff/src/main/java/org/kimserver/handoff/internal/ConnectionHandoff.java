package org.kimserver.handoff.internal;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.kimserver.handoff.HandoffStatistics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manager's side of the connection hand-off, without OSGi: a Unix socket workers connect to
 * ({@link WorkerHello}), and a listener on the gate port whose connections go, unread, to the connected workers in
 * turn ({@link WorkerRotation}). Needs Netty's native epoll: only it passes file descriptors.
 */
public final class ConnectionHandoff implements AutoCloseable {
    /** As the gate's listener. */
    static final int BACKLOG = 1024;
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandoff.class);

    private final EventLoopGroup loops;
    private final Channel handoffSocket;
    private final Path socketPath;
    private final WorkerRotation rotation = new WorkerRotation();
    /** Every worker's link, said hello or not: closed with the hand-off, for ending the event loops does not. */
    private final ChannelGroup links = new DefaultChannelGroup("kim-handoff-links", GlobalEventExecutor.INSTANCE);
    private final RateLimitedWarning acceptFailures = new RateLimitedWarning(LOG);
    private volatile Channel listener;

    private ConnectionHandoff(EventLoopGroup loops, Channel handoffSocket, Path socketPath) {
        this.loops = loops;
        this.handoffSocket = handoffSocket;
        this.socketPath = socketPath;
    }

    /**
     * Listens for workers on the Unix socket {@code socketPath} (which must not exist), with {@code threads} event
     * loops for the workers' links and the gate port. Throws why it cannot: no native epoll, a path in use.
     */
    public static ConnectionHandoff open(Path socketPath, int threads) throws Exception {
        if (!epollAvailable()) {
            throw new IllegalStateException("the connection hand-off (is_reuseport false) needs Netty's native epoll,"
                    + " which is not available: " + epollUnavailableReason()
                    + "; with is_reuseport true every worker listens on the gate port itself");
        }
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("kim-handoff", true),
                EpollIoHandler.newFactory());
        try {
            ConnectionHandoff[] self = new ConnectionHandoff[1];
            Channel server = new ServerBootstrap()
                    .group(loops)
                    .channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel link) {
                            self[0].links.add(link);
                            link.pipeline().addLast(WorkerHello.decoder(), new WorkerHello(self[0].rotation));
                        }
                    })
                    .register().sync().channel();
            self[0] = new ConnectionHandoff(loops, server, socketPath);
            server.bind(new DomainSocketAddress(socketPath.toString())).sync();
            return self[0];
        } catch (Exception e) {
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            throw e;
        }
    }

    private static boolean epollAvailable() {
        try {
            return Epoll.isAvailable();
        } catch (LinkageError e) {
            return false; // io.netty.channel.epoll is not wired (optional import)
        }
    }

    private static String epollUnavailableReason() {
        try {
            Throwable cause = Epoll.unavailabilityCause();
            return cause == null ? "unknown" : cause.toString();
        } catch (LinkageError e) {
            return "package io.netty.channel.epoll not available: " + e;
        }
    }

    /**
     * Accepts on {@code host:port} (after closing the listener it had, if any) and hands each client over; returns
     * where it listens. Throws why it cannot (an unknown host, a port in use). Blocks while it binds.
     */
    public InetSocketAddress listen(String host, int port) throws Exception {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new UnknownHostException("gate_host \"" + host + "\" does not resolve");
        }
        stopListening();
        // No ServerBootstrap: it would register each client on an event loop, whose epoll could then read the
        // client's first bytes (on a half-close, for instance) before the worker gets it. A client here is never
        // registered: its socket, accepted non-blocking, only waits for its turn, is sent, and closed.
        EpollServerSocketChannel bound = new EpollServerSocketChannel();
        bound.config().setBacklog(BACKLOG).setReuseAddress(true)
                // Each pass takes the whole backlog, as the gate's listener does.
                .setRecvByteBufAllocator(new ServerChannelRecvByteBufAllocator().respectMaybeMoreData(false)
                        .maxMessagesPerRead(BACKLOG));
        bound.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object client) {
                rotation.handOver((Channel) client);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                // Most often: too many open files. Accepting pauses for a second so that a listener that stays
                // readable does not spin, as Netty's own acceptor does.
                acceptFailures.warn("accepting a client connection failed: " + cause + "; accepting again in 1 s");
                if (ctx.channel().config().isAutoRead()) {
                    ctx.channel().config().setAutoRead(false);
                    ctx.executor().schedule(() -> ctx.channel().config().setAutoRead(true), 1, TimeUnit.SECONDS);
                }
            }
        });
        try {
            loops.register(bound).sync();
            bound.bind(address).sync();
        } catch (Exception e) {
            bound.close();
            throw e;
        }
        listener = bound;
        return bound.localAddress();
    }

    /** Closes the listener on the gate port, if any; the workers stay connected. */
    public void stopListening() {
        Channel current = listener;
        listener = null;
        if (current != null) {
            current.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** The hand-off socket's path, which workers connect to. */
    public Path socketPath() {
        return socketPath;
    }

    /** The workers (by tag) the manager has not heard from lately: see {@link WorkerRotation#silent}. */
    void silent(Set<String> tags) {
        rotation.silent(tags);
    }

    /** What it has done; {@code state}, {@code address} and {@code error} as its owner says. */
    public HandoffStatistics statistics(String state, String address, String error) {
        return new HandoffStatistics(state, address, error, socketPath.toString(), rotation.connectedTags(),
                rotation.handedByWorker(), rotation.closedWithoutWorker());
    }

    /** Closes the listener, the hand-off socket and the workers' links, and ends the event loops. */
    @Override
    public void close() {
        stopListening();
        handoffSocket.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        links.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
