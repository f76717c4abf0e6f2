package org.kimserver.gate.internal;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;

/** The class that names epoll's listener types; see {@link Transport}. */
final class EpollTransport {
    private EpollTransport() {
    }

    static boolean isAvailable() {
        return Epoll.isAvailable();
    }

    static Throwable unavailabilityCause() {
        return Epoll.unavailabilityCause();
    }

    static Transport transport() {
        return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                EpollChannelOption.SO_REUSEPORT);
    }
}
