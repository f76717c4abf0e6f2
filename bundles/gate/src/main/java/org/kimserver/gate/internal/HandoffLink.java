package org.kimserver.gate.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.kimserver.wire.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's end of the manager's hand-off socket ({@code is_reuseport} false and {@code -Dkimserver.handoff} set):
 * the manager accepts on the gate port and passes each client socket to a worker. Epoll only (it names epoll types:
 * reach it only when {@link Transport#isEpoll()}).
 *
 * <p>The link's protocol: the worker connects and sends one frame in the client framing, cmd {@value #HELLO_CMD},
 * seq 1, {@code data} = its process tag ({@code W1}) in UTF-8; from then on the manager sends one client socket a
 * message ({@code SCM_RIGHTS}) and nothing else, and the worker sends nothing more. The client socket arrives as
 * the manager accepted it: non-blocking (the flag belongs to the socket, which both processes share), never read.
 */
final class HandoffLink {
    /**
     * The worker's hello on the hand-off link: a system command (below 999), free in the original's numbering; the
     * manager's {@code WorkerHello.CMD} (bundles/handoff) is the same number, as the gate's HandoffGateTest checks.
     */
    static final int HELLO_CMD = 61;
    private static final Logger LOG = LoggerFactory.getLogger(HandoffLink.class);

    private HandoffLink() {
    }

    /**
     * Connects to the hand-off socket at {@code socketPath}; {@code received} gets each client socket, on the link's
     * event loop. Nothing is handed over before {@link #hello}. Blocks: never call it on an event loop.
     */
    static Channel connect(EventLoopGroup loops, String socketPath, Consumer<FileDescriptor> received)
            throws IOException {
        Bootstrap bootstrap = new Bootstrap()
                .group(loops)
                .channel(EpollDomainSocketChannel.class)
                .option(EpollChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof FileDescriptor socket) {
                            received.accept(socket);
                        } else {
                            ReferenceCountUtil.release(msg);
                        }
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        LOG.warn("the hand-off link to the manager failed: {}", cause.toString());
                        ctx.close();
                    }
                });
        try {
            return bootstrap.connect(new DomainSocketAddress(socketPath)).sync().channel();
        } catch (Exception e) {
            throw new IOException("cannot connect to the manager's hand-off socket " + socketPath + ": "
                    + e.getMessage(), e);
        }
    }

    /** Tells the manager which worker this is: from then on, it hands connections over. Blocks while it writes. */
    static void hello(Channel link, String processTag) throws IOException {
        ByteBuf hello = link.alloc().buffer();
        Frames.writeRequest(hello, HELLO_CMD, 1, processTag.getBytes(StandardCharsets.UTF_8));
        try {
            link.writeAndFlush(hello).sync();
        } catch (Exception e) {
            link.close();
            throw new IOException("the manager's hand-off socket " + link.remoteAddress() + " closed at once: "
                    + e.getMessage(), e);
        }
    }

    /**
     * A client connection on a socket received from the manager, not yet registered; closes the descriptor and
     * returns {@code null} if it is no connected socket (the client may have gone meanwhile).
     */
    static Channel adopt(FileDescriptor socket) {
        try {
            return new EpollSocketChannel(socket.intValue());
        } catch (RuntimeException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closed already: nothing is left open
            }
            return null;
        }
    }
}
