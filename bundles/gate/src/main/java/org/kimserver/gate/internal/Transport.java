package org.kimserver.gate.internal;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The socket transport: native epoll when Netty's native library loads, NIO otherwise. The epoll classes are only
 * touched through {@link EpollTransport}, so the bundle resolves and runs without them (the import is optional).
 */
record Transport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel) {

    static Transport best() {
        try {
            if (EpollTransport.isAvailable()) {
                return EpollTransport.transport();
            }
        } catch (LinkageError e) {
            // io.netty.channel.epoll is not wired (optional import): NIO below.
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
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
