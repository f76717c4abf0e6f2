package org.kimserver.gate.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.kimserver.api.ErrorCode;
import org.kimserver.api.Reply;
import org.kimserver.wire.Frames;
import org.kimserver.wire.MsgBodyView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: cuts the byte stream into frames, hands each request to its handler, and writes the
 * replies in request order. Everything here runs on the connection's event loop; only blocking handlers run
 * elsewhere (a virtual thread), and while one runs the connection's later requests wait in {@link #waiting}.
 *
 * <p>Replies produced while one read is processed are collected in one buffer and written with one flush when the
 * read is complete, so pipelined requests cost one system call per read, not one per reply.
 */
final class GateConnection extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(GateConnection.class);
    /** Requests queued behind a blocking call before the connection stops reading from the socket. */
    private static final int MAX_WAITING = 1024;
    private static final Reply INVALID_CMD = Reply.of(ErrorCode.UNKNOWN_CMD, "invalid cmd!", "");
    private static final Reply HANDLER_FAILED = Reply.of(ErrorCode.FAILED, "handler failed!", "");

    private final GateContext gate;
    private final MsgBodyView body = new MsgBodyView();
    private final ArrayDeque<GateRequest> waiting = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private ByteBuf replies;
    /** A blocking handler is running for this connection. */
    private boolean busy;
    /** No further request is taken; the connection closes once the replies owed are written. */
    private boolean stopped;
    /** A request waiting for its command's handler to come back (see {@link #awaitHandler}). */
    private GateRequest held;
    private long lastActivity;
    private ScheduledFuture<?> idleCheck;

    GateConnection(GateContext gate) {
        this.gate = gate;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        lastActivity = System.nanoTime();
        idleCheck = ctx.executor().schedule(this::checkIdle, gate.keepAliveNanos(), TimeUnit.NANOSECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (idleCheck != null) {
            idleCheck.cancel(false);
        }
        waiting.clear();
        if (replies != null) {
            replies.release();
            replies = null;
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof ByteBuf bytes) {
            gate.counters().reads.increment();
            gate.counters().readBytes.add(bytes.readableBytes());
        }
        lastActivity = System.nanoTime();
        super.channelRead(ctx, msg);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int taken = 0;
        while (!stopped && in.readableBytes() >= Frames.HEAD_LENGTH) {
            int head = in.readerIndex();
            if (!Frames.hasHeadTags(in, head)) {
                reject(in, gate.counters().malformedFrames, "malformed frame head "
                        + ByteBufUtil.hexDump(in, head, Frames.HEAD_LENGTH));
                break;
            }
            int length = Frames.bodyLength(in, head);
            if (length > gate.maxFrameSize()) {
                // Refused from the head alone: the claimed size is never buffered.
                reject(in, gate.counters().oversizeFrames, "frame body of " + length
                        + " bytes is above max_frame_size " + gate.maxFrameSize());
                break;
            }
            int bodyLength = Math.max(length, 0); // the original reads a length <= 0 as an empty body
            if (in.readableBytes() < Frames.HEAD_LENGTH + bodyLength) {
                break;
            }
            if (!body.parse(in, head + Frames.HEAD_LENGTH, bodyLength)) {
                reject(in, gate.counters().malformedFrames, "malformed body of cmd "
                        + Integer.toUnsignedString(Frames.cmd(in, head)) + " seq "
                        + Integer.toUnsignedString(Frames.seq(in, head)));
                break;
            }
            GateRequest request = new GateRequest(Frames.cmd(in, head), Frames.seq(in, head), body.data());
            in.skipBytes(Frames.HEAD_LENGTH + bodyLength);
            taken++;
            if (busy) {
                waiting.add(request);
                if (waiting.size() == MAX_WAITING) {
                    updateReading();
                }
            } else {
                dispatch(request);
            }
        }
        if (taken > 0) {
            gate.counters().commands.add(taken);
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        // The peer has gone: complete frames were handled as they arrived, and nobody can read a reply now.
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        flushReplies();
        super.channelReadComplete(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        updateReading();
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("{}: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.warn("{}: closing after an unexpected error", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    private void dispatch(GateRequest request) {
        HandlerRegistry.Route route;
        do {
            route = gate.registry().find(request.cmd());
            if (route == null) {
                long lost = gate.registry().lostAt(request.cmd());
                if (lost != HandlerRegistry.NEVER && System.nanoTime() - lost < gate.handlerGraceNanos()) {
                    awaitHandler(request, lost + gate.handlerGraceNanos());
                } else {
                    unknownCommand(request);
                }
                return;
            }
        } while (!route.handler().enter()); // its handler is being removed: the table no longer holds it
        HandlerEntry handler = route.handler();
        route.calls().increment();
        if (handler.nonBlocking) {
            reply(request, invoke(handler, request));
            return;
        }
        busy = true;
        try {
            gate.handlerThreads().execute(() -> {
                Reply reply = invoke(handler, request);
                try {
                    ctx.executor().execute(() -> blockingCallDone(request, reply));
                } catch (RejectedExecutionException e) {
                    // The gate stopped while the handler ran; its connections are closed.
                }
            });
        } catch (RejectedExecutionException e) { // the gate is stopping
            handler.leave();
            busy = false;
            ctx.close();
        }
    }

    private void blockingCallDone(GateRequest request, Reply reply) {
        busy = false;
        if (!ctx.channel().isActive()) {
            return;
        }
        reply(request, reply);
        resume();
    }

    /** Handles what queued up while the connection was busy, then writes the replies. */
    private void resume() {
        while (!busy && !waiting.isEmpty()) {
            dispatch(waiting.poll());
        }
        updateReading();
        flushReplies();
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

    private Reply invoke(HandlerEntry handler, GateRequest request) {
        try {
            Reply reply = handler.call(request);
            if (reply == null) {
                throw new NullPointerException("the handler returned no reply");
            }
            return reply;
        } catch (Exception | LinkageError | AssertionError | StackOverflowError failure) {
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
        if (gate.closeOnUnknownCmd()) {
            // As the original: the frames after it are dropped.
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
        boolean closing = stopped && !busy && waiting.isEmpty();
        if (replies != null) {
            gate.counters().writes.increment();
            gate.counters().writeBytes.add(replies.readableBytes());
            lastActivity = System.nanoTime();
            var written = ctx.writeAndFlush(replies);
            replies = null;
            if (closing) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        } else if (closing) {
            ctx.close();
        }
    }

    /** Closes the connection without a reply to the offending frame, after the replies owed to earlier ones. */
    private void reject(ByteBuf in, LongAdder counter, String reason) {
        counter.increment();
        LOG.warn("{}: closing the connection: {}", ctx.channel().remoteAddress(), reason);
        in.skipBytes(in.readableBytes());
        stop();
    }

    private void stop() {
        stopped = true;
        updateReading();
    }

    /** Reads while the connection takes requests, its queue has room and its replies can be written. */
    private void updateReading() {
        boolean read = !stopped && waiting.size() < MAX_WAITING && ctx.channel().isWritable();
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    private void checkIdle() {
        long idle = System.nanoTime() - lastActivity;
        if (busy) {
            idle = 0; // a handler at work (or awaited) for this client counts as activity
        }
        if (idle >= gate.keepAliveNanos()) {
            gate.counters().idleClosed.increment();
            LOG.debug("{}: closing after {} ms without traffic (keep_alive)", ctx.channel().remoteAddress(),
                    TimeUnit.NANOSECONDS.toMillis(idle));
            ctx.close();
        } else {
            idleCheck = ctx.executor().schedule(this::checkIdle, gate.keepAliveNanos() - idle,
                    TimeUnit.NANOSECONDS);
        }
    }
}
