package org.kimserver.gate.internal;

import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.StandardSocketOptions;

/**
 * The socket transport: native epoll when Netty's native library loads, NIO otherwise. The epoll classes are only
 * touched through {@link EpollTransport} and {@link HandoffLink}, so the bundle resolves and runs without them (the
 * import is optional).
 *
 * <p>{@code reusePort} is the listener option for {@code is_reuseport}: epoll's own, or on NIO the JDK's
 * {@link StandardSocketOptions#SO_REUSEPORT}, which sets the same socket option on Linux (the JDK supports it there
 * since Java 9), so several processes share the port on either transport. The connection hand-off needs epoll: only
 * it passes file descriptors over a Unix socket.
 */
record Transport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel,
                 ChannelOption<Boolean> reusePort) {

    static Transport best() {
        try {
            if (EpollTransport.isAvailable()) {
                return EpollTransport.transport();
            }
        } catch (LinkageError e) {
            // io.netty.channel.epoll is not wired (optional import): NIO below.
        }
        return nio();
    }

    static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT));
    }

    boolean isEpoll() {
        return name.equals("epoll");
    }

    /** Why epoll is not used, for the log; {@code null} when it is. */
    static String epollUnavailableReason() {
        try {
            Throwable cause = EpollTransport.unavailabilityCause();
            return cause == null ? null : cause.toString();
        } catch (LinkageError e) {
            return "package io.netty.channel.epoll not available: " + e;
        }
    }
}
