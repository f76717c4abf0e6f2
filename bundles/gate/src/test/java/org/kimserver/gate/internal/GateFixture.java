package org.kimserver.gate.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.wire.Frames;
import org.kimserver.wire.MsgBodyView;
import org.osgi.framework.Version;
import org.slf4j.LoggerFactory;

/**
 * One gate connection on an {@link EmbeddedChannel} with a frozen clock: the pipeline the gate puts on a client
 * ({@link GateServer#serve}), real handlers in a real {@link HandlerRegistry}, and blocking handler calls that run
 * only when the test says so.
 */
final class GateFixture {
    static final long KEEP_ALIVE_MS = 15_000;
    static final long FRAME_TIMEOUT_MS = 10_000;
    static final int MIN_BODY_RATE = 10_000;
    static final int MAX_FRAME = 1 << 20;

    record ReplyFrame(int cmd, int seq, int code, String data) {
    }

    final HandlerRegistry registry = new HandlerRegistry();
    final GateCounters counters = new GateCounters();
    final MemoryBudget budget;
    /** Blocking handler calls, queued until {@link #runBlockingCalls()}. */
    final ArrayDeque<Runnable> blockingCalls = new ArrayDeque<>();
    final DuplexEmbeddedChannel channel = new DuplexEmbeddedChannel();
    final ReadPauses pauses = new ReadPauses(channel);
    final HeldMemory memory;
    final Dispatcher dispatcher;
    /** What the connection shares with the gate; its settings may be changed as the configuration would. */
    final GateContext context;
    private long serviceIds;

    GateFixture() {
        this(new MemoryBudget(256L << 20), KEEP_ALIVE_MS);
    }

    /** A connection whose memory is charged to {@code budget}, maybe shared with other fixtures. */
    GateFixture(MemoryBudget budget, long keepAliveMillis) {
        channel.freezeTime();
        this.budget = budget;
        memory = new HeldMemory(budget, pauses, channel);
        Executor handlerThreads = blockingCalls::add;
        // Runs never end early here, so that what a test counts does not depend on how fast the machine is.
        context = new GateContext(registry, counters, handlerThreads, Long.MAX_VALUE, budget,
                ClientLogs.create(LoggerFactory.getLogger(GateFixture.class), System::nanoTime),
                new GateContext.Settings(TimeUnit.MILLISECONDS.toNanos(keepAliveMillis),
                        TimeUnit.MILLISECONDS.toNanos(FRAME_TIMEOUT_MS), MIN_BODY_RATE, MAX_FRAME, true, 0,
                        TimeUnit.SECONDS.toNanos(2)));
        dispatcher = GateServer.serve(channel, context, pauses, memory);
        channel.closeFuture().addListener(f -> memory.release());
    }

    /** Registers a handler for {@code cmd}. */
    GateFixture handler(int cmd, boolean nonBlocking, CommandHandler handler) {
        registry.add(new HandlerEntry(handler, cmd, nonBlocking, "test", Version.emptyVersion, ++serviceIds, 0));
        return this;
    }

    /** A non-blocking handler echoing the request's data with "ok". */
    GateFixture echo(int cmd) {
        return handler(cmd, true, request -> Reply.ok("ok", new String(request.data(), StandardCharsets.UTF_8)));
    }

    /** A blocking handler echoing the request's data; its calls run at {@link #runBlockingCalls()}. */
    GateFixture blockingEcho(int cmd) {
        return handler(cmd, false, request -> Reply.ok("ok", new String(request.data(), StandardCharsets.UTF_8)));
    }

    /** Runs the blocking calls made so far, and what they hand back to the event loop. */
    void runBlockingCalls() {
        while (!blockingCalls.isEmpty()) {
            blockingCalls.poll().run();
            channel.runPendingTasks();
        }
    }

    static byte[] request(int cmd, int seq, String data) {
        ByteBuf out = Unpooled.buffer();
        Frames.writeRequest(out, cmd, seq, data.getBytes(StandardCharsets.UTF_8));
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    static byte[] requests(int cmd, int firstSeq, int count) {
        ByteBuf out = Unpooled.buffer();
        for (int i = 0; i < count; i++) {
            Frames.writeRequest(out, cmd, firstSeq + i, ("r" + (firstSeq + i)).getBytes(StandardCharsets.UTF_8));
        }
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    void send(byte[] bytes) {
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
    }

    void advance(long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks();
    }

    /** Every reply written so far, cut into frames. */
    List<ReplyFrame> replies() {
        ByteBuf all = Unpooled.buffer();
        for (Object out; (out = channel.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) out;
            all.writeBytes(buf);
            buf.release();
        }
        List<ReplyFrame> frames = new ArrayList<>();
        MsgBodyView body = new MsgBodyView();
        while (all.readableBytes() >= Frames.HEAD_LENGTH) {
            int head = all.readerIndex();
            int length = Frames.bodyLength(all, head);
            if (!body.parse(all, head + Frames.HEAD_LENGTH, length)) {
                throw new AssertionError("a reply body is malformed");
            }
            frames.add(new ReplyFrame(Frames.cmd(all, head), Frames.seq(all, head), body.code(),
                    new String(body.data(), StandardCharsets.UTF_8)));
            all.skipBytes(Frames.HEAD_LENGTH + length);
        }
        if (all.isReadable()) {
            throw new AssertionError("a reply is cut short");
        }
        return frames;
    }

    boolean reading() {
        return channel.config().isAutoRead();
    }

    /** The close of a client that was answered: a FIN at once, then the close once it has been quiet for 2 s. */
    void assertClosesGracefully() {
        if (!channel.isOutputShutdown()) {
            throw new AssertionError("no FIN: the output is not shut down");
        }
        if (!channel.isOpen()) {
            throw new AssertionError("closed at once, without waiting for the client's unread input");
        }
        advance(2100);
        if (channel.isOpen()) {
            throw new AssertionError("still open after 2 s without input");
        }
    }
}
