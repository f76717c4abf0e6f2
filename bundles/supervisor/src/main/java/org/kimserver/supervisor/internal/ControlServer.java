package org.kimserver.supervisor.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.kimserver.api.ErrorCode;
import org.kimserver.proto.ControlCmd;
import org.kimserver.proto.ModuleReport;
import org.kimserver.proto.Payload;
import org.kimserver.proto.WorkerHello;
import org.kimserver.proto.WorkerState;
import org.kimserver.wire.FrameDecoder;
import org.kimserver.wire.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manager's end of the control links: a Unix domain socket (owner-only) served by one Netty event loop, frames
 * exactly as the client protocol. A link must register first (cmd 51); until it has, a report is answered with code
 * 3 as the original answered an unknown worker. What cannot be parsed closes the link, as the original's rule for
 * system commands; so does a command the manager does not serve, after a code-4 reply. The {@link Listener} is
 * called on the event loop and must not block.
 */
final class ControlServer implements AutoCloseable {
    static final int MAX_BODY = 64 * 1024;
    private static final AttributeKey<Integer> WORKER = AttributeKey.valueOf("kim.worker.index");
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    /** What the links say; every call on the event loop. */
    interface Listener {
        /** A link registers; returns {@code null} to accept it, or why it is refused. */
        String registered(Channel link, WorkerHello hello);

        void payload(int index, Payload payload);

        void state(int index, WorkerState state);

        void modules(int index, ModuleReport report);

        /** A registered link closed. */
        void closed(int index, Channel link);
    }

    record Frame(int cmd, int seq, byte[] data) {
    }

    private final Path socket;
    private final EventLoopGroup loop;
    private final Channel server;
    private final ChannelGroup links;

    private ControlServer(Path socket, EventLoopGroup loop, Channel server, ChannelGroup links) {
        this.socket = socket;
        this.loop = loop;
        this.server = server;
        this.links = links;
    }

    /** Listens on {@code socket} (a stale file there is replaced); the folder should be owner-only already. */
    static ControlServer listen(Path socket, Listener listener) throws IOException {
        Files.deleteIfExists(socket);
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1,
                Thread.ofPlatform().name("kim-control").daemon().factory(), NioIoHandler.newFactory());
        // Closing a server channel leaves its accepted links open: they are closed with it by hand.
        ChannelGroup links = new DefaultChannelGroup(loop.next());
        try {
            Channel server = new ServerBootstrap().group(loop).channel(NioServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            links.add(ch);
                            ch.pipeline().addLast(new FrameDecoder(MAX_BODY,
                                    (cmd, seq, body) -> new Frame(cmd, seq, body.data())), new LinkHandler(listener));
                        }
                    }).bind(UnixDomainSocketAddress.of(socket)).sync().channel();
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            return new ControlServer(socket, loop, server, links);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IOException("interrupted while binding " + socket, e);
        } catch (RuntimeException e) {
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IOException("cannot listen on " + socket + ": " + e, e);
        }
    }

    Path socket() {
        return socket;
    }

    /** Closes the listener and every link, and removes the socket file. */
    @Override
    public void close() throws IOException {
        server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        links.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        Files.deleteIfExists(socket);
    }

    /** Replies to a request as the client protocol: cmd + 1, same seq, rsp_result{code, msg}. */
    static ChannelFuture reply(Channel link, int requestCmd, int seq, ErrorCode code, String msg) {
        byte[] text = msg.getBytes(StandardCharsets.UTF_8);
        ByteBuf out = link.alloc().buffer(Frames.replyFrameSize(code.code(), text, new byte[0]));
        Frames.writeReply(out, requestCmd + 1, seq, code.code(), text, new byte[0]);
        return link.writeAndFlush(out);
    }

    private static final class LinkHandler extends SimpleChannelInboundHandler<Frame> {
        private final Listener listener;

        LinkHandler(Listener listener) {
            this.listener = listener;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
            Channel link = ctx.channel();
            Integer index = link.attr(WORKER).get();
            try {
                ControlCmd cmd = ControlCmd.forNumber(frame.cmd());
                switch (cmd == null ? ControlCmd.CONTROL_CMD_NONE : cmd) {
                    case REQ_REGISTER_WORKER -> {
                        WorkerHello hello = WorkerHello.parseFrom(frame.data());
                        String refused = index != null ? "this link has registered already"
                                : listener.registered(link, hello);
                        if (refused != null) {
                            LOG.warn("control link refused: {} (worker {}, pid {})", refused, hello.getWorkerIndex(),
                                    hello.getPid());
                            replyAndClose(link, frame, ErrorCode.INVALID_WORKER_INDEX, refused);
                            return;
                        }
                        link.attr(WORKER).set(hello.getWorkerIndex());
                        int registeredIndex = hello.getWorkerIndex();
                        link.closeFuture().addListener(f -> listener.closed(registeredIndex, link));
                        reply(link, frame.cmd(), frame.seq(), ErrorCode.OK, "ok");
                    }
                    case REQ_UPDATE_PAYLOAD -> {
                        Payload payload = Payload.parseFrom(frame.data());
                        report(link, frame, index, registered -> listener.payload(registered, payload));
                    }
                    case REQ_WORKER_STATE -> {
                        WorkerState state = WorkerState.parseFrom(frame.data());
                        report(link, frame, index, registered -> listener.state(registered, state));
                    }
                    case REQ_MODULE_REPORT -> {
                        ModuleReport report = ModuleReport.parseFrom(frame.data());
                        report(link, frame, index, registered -> listener.modules(registered, report));
                    }
                    default -> replyAndClose(link, frame, ErrorCode.UNKNOWN_CMD, "invalid cmd!");
                }
            } catch (InvalidProtocolBufferException e) {
                LOG.warn("control link of worker {}: cmd {} does not parse; closing it", index, frame.cmd());
                link.close();
            }
        }

        /** A report of a registered worker goes to the listener and is answered "ok"; before registration, code 3. */
        private static void report(Channel link, Frame frame, Integer index, IntConsumer deliver) {
            if (index == null) {
                reply(link, frame.cmd(), frame.seq(), ErrorCode.INVALID_WORKER_INDEX, "can not find worker index!");
                return;
            }
            deliver.accept(index);
            reply(link, frame.cmd(), frame.seq(), ErrorCode.OK, "ok");
        }

        private static void replyAndClose(Channel link, Frame frame, ErrorCode code, String msg) {
            reply(link, frame.cmd(), frame.seq(), code, msg).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof IOException) {
                // a worker that exits resets its link; the supervisor logs the exit itself
                LOG.debug("control link of worker {} reset: {}", ctx.channel().attr(WORKER).get(), cause.toString());
                ctx.close();
                return;
            }
            LOG.warn("control link of worker {} failed; closing it: {}", ctx.channel().attr(WORKER).get(),
                    cause.toString());
            ctx.close();
        }
    }
}
