package org.kimserver.gate.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.kimserver.api.ErrorCode;
import org.kimserver.api.Reply;
import org.kimserver.wire.FrameDecoder;
import org.kimserver.wire.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each request of one connection to its handler and writes the replies in request order. Everything here
 * runs on the connection's event loop; only blocking handlers run elsewhere, in the connection's {@link
 * BlockingLane} (one virtual thread runs a run of blocking requests one after another), and while the lane has
 * requests the connection's later ones queue behind them, in the lane or in {@link #waiting}.
 *
 * <p>Replies produced while one read is handled are collected in one buffer and written with one flush when the
 * read is complete (or earlier, past {@value #FLUSH_BYTES} bytes), so pipelined requests cost one system call per
 * read, not one per reply.
 *
 * <p><b>Back-pressure</b>: the connection stops reading while its replies cannot be written (the socket's write
 * buffer is above its high-water mark), while {@value #MAX_WAITING} requests or {@value #MAX_WAITING_BYTES} bytes
 * of request data wait behind a blocking handler, and once it is stopped.
 *
 * <p><b>No reply owed is lost</b>: after a malformed, oversize or refused frame, an unknown command (with
 * {@code close_on_unknown_cmd}) or a stop of the gate, the connection takes no more requests, writes the replies
 * owed to the requests before, and then closes with a {@link LingeringClose}. A client that shuts its write side
 * (half-close) gets every reply owed, then the close.
 */
final class Dispatcher extends ChannelInboundHandlerAdapter implements BlockingLane.Calls {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    /** Requests queued behind a blocking call before the connection stops reading from the socket. */
    static final int MAX_WAITING = 1024;
    /** Bytes of request data queued behind a blocking call before the connection stops reading. */
    static final int MAX_WAITING_BYTES = 1 << 20;
    /** Replies collected for one read are written early past this size, so that writability is seen in time. */
    static final int FLUSH_BYTES = 64 * 1024;
    /** What a queued request costs beyond its data (the request object and its queue slot), for the budget. */
    private static final int REQUEST_OVERHEAD = 64;
    /** How long a draining connection must be quiet (no request, no partial frame) before it is closed. */
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final Reply INVALID_CMD = Reply.of(ErrorCode.UNKNOWN_CMD, "invalid cmd!", "");
    private static final Reply HANDLER_FAILED = Reply.of(ErrorCode.FAILED, "handler failed!", "");

    private final GateContext gate;
    private final ReadPauses pauses;
    private final HeldMemory memory;
    /** The connection's decoder, asked whether bytes of a frame wait in it (a partial frame, or frames held). */
    private final FrameDecoder decoder;
    /** Requests taken while the connection is busy and not handed to the lane. */
    private final ArrayDeque<GateRequest> waiting = new ArrayDeque<>();
    /** The bytes of request data queued here and in the lane, not yet answered. */
    private long waitingBytes;
    /** Made at the first blocking request. */
    private BlockingLane lane;
    /** Requests handed to the lane and not yet taken back: the one at work, and those queued behind it. */
    private int inLane;
    private ChannelHandlerContext ctx;
    private ByteBuf replies;
    /** Requests taken since the counters were last told. */
    private int taken;
    /** Reply bytes flushed and not yet written to the socket. */
    private long unsent;
    /** Whether any reply was written: only then can a close cost the client something it has not read. */
    private boolean answered;
    /** The lane runs (until the loop has taken back its stop), or a request waits for its handler. */
    private boolean busy;
    /** No further request is taken; the connection closes once the replies owed are written. */
    private boolean stopped;
    /** The client has shut its write side: the connection closes once the replies owed are written. */
    private boolean inputEnded;
    /** The gate is stopping: the connection closes as soon as it is quiet. */
    private boolean draining;
    private boolean closing;
    private boolean quietCheckScheduled;
    /** A request waiting for its command's handler to come back (see {@link #awaitHandler}). */
    private GateRequest held;
    /** Requests received in all; a draining connection is quiet while this does not change. */
    private long received;

    Dispatcher(GateContext gate, ReadPauses pauses, HeldMemory memory, FrameDecoder decoder) {
        this.gate = gate;
        this.pauses = pauses;
        this.memory = memory;
        this.decoder = decoder;
    }

    /** Whether a handler is at work for this connection, or requests wait for one: it is not idle then. */
    boolean working() {
        return busy || !waiting.isEmpty();
    }

    /** The gate is stopping: keep serving what this client sent, and close once it is quiet. */
    void drain() {
        draining = true;
        settle();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        waiting.clear();
        if (lane != null) {
            lane.cancel();
        }
        if (replies != null) {
            replies.release();
            replies = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof GateRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (stopped || closing) {
            return; // as the original: the frames after the one that ended the connection are dropped
        }
        taken++;
        received++;
        if (busy) {
            if (lane != null && lane.offer(request)) {
                inLane++;
            } else {
                waiting.add(request);
            }
            queued(request, 1);
            updateQueuePause();
        } else {
            dispatch(request);
        }
        if (replies != null && replies.readableBytes() >= FLUSH_BYTES) {
            flushReplies();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushReplies();
        settle();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        pauses.set(ReadPauses.NOT_WRITABLE, !ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            inputEnded = true;
            settle();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            gate.counters().oversizeFrames.increment();
            gate.logs().oversize().warn("{}: closing the connection: {} (max_frame_size)",
                    ctx.channel().remoteAddress(), cause.getMessage());
        } else if (cause instanceof CorruptedFrameException) {
            gate.counters().malformedFrames.increment();
            gate.logs().malformed().warn("{}: closing the connection: {}", ctx.channel().remoteAddress(),
                    cause.getMessage());
        } else if (!(cause instanceof ConnectionFault)) {
            if (cause instanceof IOException || cause instanceof UncheckedIOException) {
                LOG.debug("{}: {}", ctx.channel().remoteAddress(), cause.toString()); // a reset, a broken pipe
            } else {
                gate.logs().unexpected().warn("{}: closing after an unexpected error", ctx.channel().remoteAddress(),
                        cause);
            }
            ctx.close();
            return;
        }
        stop();
        flushReplies();
        settle();
    }

    private void dispatch(GateRequest request) {
        while (true) {
            HandlerRegistry.Route route = gate.registry().find(request.cmd());
            if (route == null) {
                long lost = gate.registry().lostAt(request.cmd());
                long grace = gate.settings().handlerGraceNanos();
                if (lost != HandlerRegistry.NEVER && System.nanoTime() - lost < grace) {
                    awaitHandler(request, lost + grace);
                } else {
                    unknownCommand(request);
                }
                return;
            }
            HandlerEntry handler = route.handler();
            if (!handler.nonBlocking) {
                runInLane(request);
                return;
            }
            if (handler.enter()) { // else its handler is being removed: the table no longer holds it
                route.calls().increment();
                reply(request, invoke(handler, request));
                return;
            }
        }
    }

    /** From the lane's thread. */
    @Override
    public HandlerEntry enterBlocking(GateRequest request) {
        while (true) {
            HandlerRegistry.Route route = gate.registry().find(request.cmd());
            if (route == null || route.handler().nonBlocking) {
                return null;
            }
            if (route.handler().enter()) {
                route.calls().increment();
                return route.handler();
            }
        }
    }

    private void runInLane(GateRequest request) {
        if (lane == null) {
            lane = new BlockingLane(this, gate.handlerThreads(), gate.laneSliceNanos(), ctx.executor(),
                    this::takeBack);
        }
        try {
            lane.start(request);
        } catch (RejectedExecutionException e) { // the gate is stopping
            ctx.close();
            return;
        }
        busy = true;
        inLane++;
        queued(request, 1);
    }

    /** The lane's replies so far, and, once it has stopped, the requests it left to the loop. */
    private void takeBack() {
        BlockingLane.Batch batch = lane.takeBack();
        if (!ctx.channel().isActive()) {
            return;
        }
        for (BlockingLane.Answered answered : batch.answered()) {
            inLane--;
            queued(answered.request(), -1);
            reply(answered.request(), answered.reply());
        }
        if (!batch.stopped()) {
            updateQueuePause();
            flushReplies();
            return;
        }
        busy = false;
        List<GateRequest> left = batch.left();
        for (int i = left.size() - 1; i >= 0; i--) {
            waiting.addFirst(left.get(i)); // still queued
            inLane--;
        }
        resume();
    }

    /** Handles what queued up while the connection was busy, then writes the replies. */
    private void resume() {
        while (!waiting.isEmpty()) {
            if (!busy) {
                GateRequest next = waiting.poll();
                queued(next, -1);
                dispatch(next);
            } else if (lane != null && lane.offer(waiting.peek())) {
                waiting.poll(); // queued still, now in the lane
                inLane++;
            } else {
                break;
            }
        }
        updateQueuePause();
        flushReplies();
        settle();
    }

    /** Counts a request into ({@code sign} 1) or out of (-1) the queue, its data and the memory it holds. */
    private void queued(GateRequest request, int sign) {
        waitingBytes += sign * request.data().length;
        memory.queued(sign * (request.data().length + REQUEST_OVERHEAD));
    }

    private void updateQueuePause() {
        int queuedRequests = waiting.size() + Math.max(0, inLane - 1); // the lane's first is at work, not queued
        pauses.set(ReadPauses.QUEUE_FULL, queuedRequests >= MAX_WAITING || waitingBytes >= MAX_WAITING_BYTES);
    }

    /**
     * The command lost its handler a moment ago, most likely because its bundle is being updated: hold the
     * request (and the connection's later ones) until a handler appears or the grace period ends.
     */
    private void awaitHandler(GateRequest request, long waitUntil) {
        busy = true;
        held = request;
        watchHeld(request, waitUntil);
    }

    /** Looks again at the next handler change, and at the end of the grace period. */
    private void watchHeld(GateRequest request, long waitUntil) {
        gate.registry().nextChange().thenRun(() -> ctx.executor().execute(() -> retryHeld(request, waitUntil)));
        ctx.executor().schedule(() -> retryHeld(request, waitUntil), Math.max(0, waitUntil - System.nanoTime()),
                TimeUnit.NANOSECONDS);
    }

    private void retryHeld(GateRequest request, long waitUntil) {
        if (held != request || !ctx.channel().isActive()) {
            return; // already handled by the other watch
        }
        boolean served = gate.registry().find(request.cmd()) != null;
        boolean expired = System.nanoTime() - waitUntil >= 0;
        if (!served && !expired) {
            watchHeld(request, waitUntil); // a change for another command, or an early timer
            return;
        }
        held = null;
        busy = false;
        if (served) {
            dispatch(request);
        } else {
            unknownCommand(request);
        }
        resume();
    }

    /** On the loop for a non-blocking handler, on the lane's thread for a blocking one. */
    @Override
    public Reply invoke(HandlerEntry handler, GateRequest request) {
        handler.calls.increment();
        try {
            Reply reply = handler.call(request);
            if (reply == null) {
                throw new NullPointerException("the handler returned no reply");
            }
            if (reply.code() == ErrorCode.FAILED.code()) {
                handler.failures.increment();
            }
            return reply;
        } catch (Throwable failure) {
            handler.failures.increment(); // an Error too: the request must get its reply, and a lane must go on
            if (handler.firstFailure(failure)) {
                LOG.warn("cmd {} seq {}: handler {} failed (further {} failures of it are logged at debug)",
                        Integer.toUnsignedString(request.cmd()), Integer.toUnsignedString(request.seq()),
                        handler.describe(), failure.getClass().getName(), failure);
            } else {
                LOG.debug("cmd {} seq {}: handler {} failed: {}", Integer.toUnsignedString(request.cmd()),
                        Integer.toUnsignedString(request.seq()), handler.describe(), failure.toString());
            }
            return HANDLER_FAILED;
        }
    }

    private void unknownCommand(GateRequest request) {
        LOG.debug("{}: no handler for cmd {}", ctx.channel().remoteAddress(), Integer.toUnsignedString(request.cmd()));
        reply(request, INVALID_CMD);
        if (gate.settings().closeOnUnknownCmd()) {
            // As the original: the frames after it are dropped.
            for (GateRequest dropped : waiting) {
                queued(dropped, -1);
            }
            waiting.clear();
            stop();
        }
    }

    private void reply(GateRequest request, Reply reply) {
        int code = reply.code();
        if (code != 0) {
            gate.counters().error(code);
        }
        if (replies == null) {
            replies = ctx.alloc().ioBuffer(1024);
        }
        Frames.writeReply(replies, request.cmd() + 1, request.seq(), code, reply.msgBytes(), reply.dataBytes());
    }

    private void flushReplies() {
        if (taken > 0) {
            gate.counters().commands.add(taken);
            taken = 0;
        }
        if (replies == null) {
            return;
        }
        int bytes = replies.readableBytes();
        answered = true;
        gate.counters().writes.increment();
        gate.counters().writeBytes.add(bytes);
        unsent += bytes;
        memory.output(bytes);
        ByteBuf written = replies;
        replies = null;
        ctx.writeAndFlush(written).addListener((ChannelFutureListener) future -> {
            unsent -= bytes;
            memory.output(-bytes);
            if (future.isSuccess()) {
                settle();
            }
        });
    }

    /** No further request is taken; what was taken is answered, then the connection closes. */
    private void stop() {
        stopped = true;
        pauses.pause(ReadPauses.STOPPED);
    }

    /** Whether every reply owed has been written to the socket and nothing is left to answer. */
    private boolean owesNothing() {
        return !busy && waiting.isEmpty() && replies == null && unsent == 0;
    }

    /** Closes the connection when it is time: stopped or ended and owing nothing, or draining and quiet. */
    private void settle() {
        if (closing || !owesNothing() || !ctx.channel().isActive()) {
            return;
        }
        if (inputEnded) {
            ctx.close(); // nothing can arrive any more, so nothing unread can turn the close into a reset
        } else if (stopped) {
            closeGracefully();
        } else if (draining && !quietCheckScheduled && decoder.pendingBytes() == 0) {
            // A task scheduled from the loop runs in a later round of its tasks, after at least one more pass
            // over its input, however busy it is: what the client sent before the stop is read by then.
            quietCheckScheduled = true;
            long seen = received;
            ctx.executor().schedule(() -> {
                quietCheckScheduled = false;
                if (received == seen && owesNothing() && decoder.pendingBytes() == 0) {
                    closeGracefully();
                } else {
                    settle();
                }
            }, QUIET_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    private void closeGracefully() {
        if (closing) {
            return;
        }
        closing = true;
        memory.release(); // nothing is held for this connection any more, whatever its frames had claimed
        if (answered) {
            ctx.pipeline().addFirst(new LingeringClose(gate.settings().lingerQuietNanos(), pauses));
        } else {
            ctx.close(); // nothing was ever sent to this client, so nothing it has not read can be lost
        }
    }
}
