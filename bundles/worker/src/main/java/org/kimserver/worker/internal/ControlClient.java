package org.kimserver.worker.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.kimserver.proto.ControlCmd;
import org.kimserver.proto.ModuleReport;
import org.kimserver.proto.Payload;
import org.kimserver.proto.WorkerHello;
import org.kimserver.proto.WorkerProblem;
import org.kimserver.proto.WorkerState;
import org.kimserver.wire.FrameDecoder;
import org.kimserver.wire.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's end of the control link: connects to the manager's Unix domain socket, registers (cmd 51), then every
 * second reports the counts since the previous report (cmd 49, {@code kim.Payload}), its gate's state, heap and
 * problems (cmd 53) and its modules (cmd 55); a change of the gate's state or of a module is reported at once as
 * well ({@link #gateStateChanged()}, {@link #modulesChanged()}), so that the manager learns that a new worker is
 * ready, or that a module it rolls out serves, without waiting for the next second. Sampling runs on a thread of its
 * own, never on the link's event loop. When the link closes, for
 * whatever reason other than {@link #close()}, {@code onLost} runs once: the manager is gone.
 */
public final class ControlClient implements AutoCloseable {
    /** A body larger than this on the control link is an error: the manager's replies are a few bytes. */
    static final int MAX_BODY = 64 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(ControlClient.class);

    /**
     * What the worker reports, sampled: counters since the process (or its gate) started, and the state.
     *
     * @param gateState listening, failed or starting (see {@link GateReadiness})
     */
    public record Sample(int connections, long commands, long reads, long readBytes, long writes, long writeBytes,
                         GateReadiness gateState, long heapUsed, long heapMax, ModuleReport modules,
                         List<WorkerProblem> problems) {
    }

    /** A frame of the control link: its head and, from the body, the data and the reply's code. */
    record Frame(int cmd, int seq, int code, byte[] data) {
    }

    private final int index;
    private final Supplier<Sample> sampler;
    private final Runnable onLost;
    private final EventLoopGroup loop;
    private final ScheduledExecutorService reporter;
    private final AtomicBoolean closing = new AtomicBoolean();
    private Channel channel;
    private Sample previous;
    /** The gate state last sent; only the reporting thread touches it after the hello. */
    private GateReadiness sentGateState;
    private int seq;

    private ControlClient(int index, Supplier<Sample> sampler, Runnable onLost) {
        this.index = index;
        this.sampler = sampler;
        this.onLost = onLost;
        loop = new MultiThreadIoEventLoopGroup(1, Thread.ofPlatform().name("kim-control-link").daemon().factory(),
                NioIoHandler.newFactory());
        reporter = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("kim-control-report")
                .daemon().factory());
    }

    /**
     * Connects, registers as worker {@code index} of process {@code pid} and starts reporting every second.
     *
     * @param onLost runs once, on the link's thread, when the link closes other than by {@link #close()}
     */
    public static ControlClient connect(Path socket, int index, long pid, Supplier<Sample> sampler, Runnable onLost)
            throws IOException {
        ControlClient client = new ControlClient(index, sampler, onLost);
        try {
            client.open(socket, pid);
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
        return client;
    }

    private void open(Path socket, long pid) throws IOException {
        ChannelFuture connect = new Bootstrap().group(loop).channel(NioDomainSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new FrameDecoder(MAX_BODY,
                                (cmd, seq, body) -> new Frame(cmd, seq, body.code(), body.data())),
                                new ReplyHandler());
                    }
                }).connect(UnixDomainSocketAddress.of(socket));
        // A Unix socket connects at once or not at all; the wait is only a bound.
        if (!connect.awaitUninterruptibly(5, TimeUnit.SECONDS) || !connect.isSuccess()) {
            throw new IOException("cannot connect to the manager's control socket " + socket, connect.cause());
        }
        channel = connect.channel();
        previous = sampler.get();
        sentGateState = previous.gateState();
        // Reports are scheduled before the link can be seen closing, which stops them.
        reporter.scheduleAtFixedRate(this::report, 1, 1, TimeUnit.SECONDS);
        channel.closeFuture().addListener(f -> lost());
        send(ControlCmd.REQ_REGISTER_WORKER, WorkerHello.newBuilder().setWorkerIndex(index).setPid(pid)
                .setState(state(previous)).build().toByteArray());
    }

    /** One report: the counts since the previous one, then the state. */
    private void report() {
        try {
            Sample now = sampler.get();
            Payload payload = Payload.newBuilder().setWorkerIndex(index).setConnCnt(now.connections())
                    .setCmdCnt(delta(now.commands(), previous.commands()))
                    .setReadCnt(delta(now.reads(), previous.reads()))
                    .setReadBytes(delta(now.readBytes(), previous.readBytes()))
                    .setWriteCnt(delta(now.writes(), previous.writes()))
                    .setWriteBytes(delta(now.writeBytes(), previous.writeBytes()))
                    .setCreateTime(System.currentTimeMillis()).build();
            previous = now;
            send(ControlCmd.REQ_UPDATE_PAYLOAD, payload.toByteArray());
            sendState(now);
            send(ControlCmd.REQ_MODULE_REPORT, now.modules().toByteArray());
        } catch (RuntimeException e) {
            // A failed sample must not end the reports (a scheduled task that throws is never run again).
            LOG.warn("cannot report to the manager", e);
        }
    }

    /**
     * The gate's state may have changed: it is sampled and, if it differs from the one last sent, reported now
     * (cmd 53), on the reporting thread, in order with the reports of every second. Never blocks; may be called on
     * any thread, an event loop's included, and after the link has closed (it then does nothing).
     */
    public void gateStateChanged() {
        try {
            reporter.execute(() -> {
                try {
                    Sample now = sampler.get();
                    if (!now.gateState().equals(sentGateState)) {
                        sendState(now);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("cannot report the gate's state to the manager", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // the link has closed: there is no manager to tell
        }
    }

    /**
     * The modules may have changed (a bundle event): they are reported now (cmd 55), on the reporting thread. Never
     * blocks; may be called on any thread, and after the link has closed (it then does nothing).
     */
    public void modulesChanged() {
        try {
            reporter.execute(() -> {
                try {
                    send(ControlCmd.REQ_MODULE_REPORT, sampler.get().modules().toByteArray());
                } catch (RuntimeException e) {
                    LOG.warn("cannot report the modules to the manager", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // the link has closed: there is no manager to tell
        }
    }

    /** On the reporting thread. */
    private void sendState(Sample sample) {
        sentGateState = sample.gateState();
        send(ControlCmd.REQ_WORKER_STATE, state(sample).toByteArray());
    }

    /**
     * A count since the previous report as Payload's uint32: a counter that went back (the gate restarted) counts
     * from zero, and more than 2^32-1 in a second is written as the most there is room for.
     */
    static int delta(long now, long before) {
        long d = now >= before ? now - before : now;
        return (int) Math.min(d, 0xFFFF_FFFFL);
    }

    private static WorkerState state(Sample sample) {
        GateReadiness gate = sample.gateState();
        return WorkerState.newBuilder().setGateState(gate.state()).setGateError(nullToEmpty(gate.error()))
                .setGateAddress(nullToEmpty(gate.address())).setHeapUsed(sample.heapUsed())
                .setHeapMax(sample.heapMax()).addAllProblems(sample.problems()).build();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private void send(ControlCmd cmd, byte[] data) {
        Channel ch = channel;
        int frameSeq;
        synchronized (this) {
            frameSeq = ++seq;
        }
        ByteBuf out = ch.alloc().buffer(Frames.requestFrameSize(data.length));
        Frames.writeRequest(out, cmd.getNumber(), frameSeq, data);
        ch.writeAndFlush(out);
    }

    private void lost() {
        reporter.shutdownNow();
        loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        if (closing.compareAndSet(false, true)) {
            onLost.run();
        }
    }

    /** Whether the link is open. */
    public boolean isOpen() {
        Channel ch = channel;
        return ch != null && ch.isActive();
    }

    /** Closes the link without calling {@code onLost}: this worker stops by itself. */
    @Override
    public void close() {
        closing.set(true);
        reporter.shutdownNow();
        if (channel != null) {
            channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
    }

    /** The manager's replies: only a refusal matters, and the manager closes the link after it. */
    private static final class ReplyHandler extends SimpleChannelInboundHandler<Frame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
            if (frame.code() != 0) {
                LOG.error("the manager refused cmd {} (seq {}): code {}", frame.cmd() - 1, frame.seq(), frame.code());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.error("control link to the manager failed; closing it", cause);
            ctx.close();
        }
    }
}
