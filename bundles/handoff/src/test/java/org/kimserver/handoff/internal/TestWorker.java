package org.kimserver.handoff.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.kimserver.wire.Frames;

/**
 * A worker's end of the hand-off as the gate has it (hello, then one client socket a message), reduced to what a
 * test needs: each client it receives is told the worker's tag and a newline, then gets back what it sends (also
 * after it has shut its output down).
 */
final class TestWorker implements AutoCloseable {
    final String tag;
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    final Channel link;

    TestWorker(Path socket, String tag) throws Exception {
        this(socket, tag, WorkerHello.CMD);
    }

    /** Says hello with {@code helloCmd}: a worker that says something else is not taken. */
    TestWorker(Path socket, String tag, int helloCmd) throws Exception {
        this.tag = tag;
        link = new Bootstrap().group(loops).channel(EpollDomainSocketChannel.class)
                .option(EpollChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        EpollSocketChannel client = new EpollSocketChannel(((FileDescriptor) msg).intValue());
                        client.config().setAllowHalfClosure(true);
                        client.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext client) {
                                client.writeAndFlush(Unpooled.copiedBuffer(tag + "\n", StandardCharsets.UTF_8));
                            }

                            @Override
                            public void channelRead(ChannelHandlerContext client, Object bytes) {
                                client.writeAndFlush(bytes);
                            }
                        });
                        loops.register(client);
                    }
                })
                .connect(new DomainSocketAddress(socket.toString())).sync().channel();
        ByteBuf hello = Unpooled.buffer();
        Frames.writeRequest(hello, helloCmd, 1, tag.getBytes(StandardCharsets.UTF_8));
        link.writeAndFlush(hello).sync();
    }

    /** Closes the link only: the clients it took stay open. */
    void leave() {
        link.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
