package org.kimserver.gate.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.kimserver.wire.FrameDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time and memory limits of one connection, placed before its {@link FrameDecoder}:
 * <ul>
 * <li><b>keep_alive</b>: closed after that long without a read, a write taken by the socket or progress in
 *     writing, unless a handler is at work for it;</li>
 * <li><b>frame deadline</b>: a frame must be whole within {@code frame_timeout_ms} of its first byte, or, for a
 *     body long enough to need more, within its length at {@code min_body_rate} bytes a second; the clock does not
 *     run while the gate itself does not read, and starts again when it reads again;</li>
 * <li><b>memory</b>: a frame above {@value #SMALL_FRAME} bytes is charged to the gate's budget by its whole
 *     claimed length as soon as its head arrives, and refused when the budget cannot take it (what the decoder
 *     holds is charged by the decoder itself).</li>
 * </ul>
 * One timer per connection, due at the nearest deadline and never later than {@code frame_timeout_ms} ahead, so
 * that a frame begun in between needs no timer of its own.
 */
final class ConnectionLimits extends ChannelDuplexHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimits.class);
    /** Frames above this are charged to the memory budget by their claimed length before they arrive. */
    static final int SMALL_FRAME = 4 * 1024;
    /** How often a connection with replies waiting to be written checks that they still go out (keep_alive). */
    private static final long OUTPUT_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final GateContext gate;
    private final FrameDecoder decoder;
    private final HeldMemory memory;
    private final ReadPauses pauses;
    /** Asked whether a handler is at work for the connection (it is not idle then). */
    private final Dispatcher dispatcher;
    private ChannelHandlerContext ctx;
    private long lastActivity;
    private long lastPendingOutput;
    /** A write the socket has taken is progress: the client takes its replies. */
    private final ChannelFutureListener written = future -> {
        if (future.isSuccess()) {
            lastActivity = now();
        }
    };
    /** The large frame admitted by the budget, known by when it began. */
    private long admittedSince;
    private int admittedLength = -1;
    private ScheduledFuture<?> check;
    private long checkAt;

    ConnectionLimits(GateContext gate, FrameDecoder decoder, HeldMemory memory, ReadPauses pauses,
                     Dispatcher dispatcher) {
        this.gate = gate;
        this.decoder = decoder;
        this.memory = memory;
        this.pauses = pauses;
        this.dispatcher = dispatcher;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelCheck();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelCheck();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf bytes) {
            gate.counters().reads.increment();
            gate.counters().readBytes.add(bytes.readableBytes());
        }
        lastActivity = now();
        ctx.fireChannelRead(msg);
        if (!ctx.isRemoved()) {
            afterRead();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!promise.isVoid()) {
            promise.addListener(written);
        }
        ctx.write(msg, promise);
    }

    private void start() {
        if (check == null) {
            lastActivity = now();
            // No later than a frame's deadline, so that a frame begun in the meantime needs no timer of its own.
            schedule(lastActivity + Math.min(gate.settings().keepAliveNanos(), gate.settings().frameTimeoutNanos()));
        }
    }

    /**
     * The gate's settings changed: the check runs again now, so that a shorter {@code keep_alive} or
     * {@code frame_timeout_ms} applies at once rather than at the check set under the old one. On the event loop.
     */
    void settingsChanged() {
        if (ctx != null && check != null) {
            cancelCheck();
            check();
        }
    }

    /** Charges a large frame the decoder has begun by its claimed length, and watches its deadline. */
    private void afterRead() {
        int frame = decoder.pendingFrameLength();
        if (frame > SMALL_FRAME) {
            long since = decoder.pendingSinceNanos();
            if (frame != admittedLength || since != admittedSince) {
                if (!memory.fits(frame - memory.input())) {
                    gate.counters().refusedOverBudget.increment();
                    gate.logs().overBudget().warn("{}: closing the connection: a frame of {} bytes does not fit in"
                            + " the memory budget (max_buffered_mb), {} of {} bytes in use",
                            ctx.channel().remoteAddress(), frame, gate.budget().used(), gate.budget().limit());
                    ctx.fireExceptionCaught(new ConnectionFault("frame refused by the memory budget"));
                    return;
                }
                admittedLength = frame;
                admittedSince = since;
            }
            memory.claim(frame);
        } else {
            memory.claim(0);
        }
        if (decoder.pendingBytes() > 0) {
            schedule(frameClockStart() + gate.settings().frameTimeoutNanos());
        }
    }

    /** When the pending frame's clock started: its first byte, or the gate's last pause in reading if later. */
    private long frameClockStart() {
        return Math.max(decoder.pendingSinceNanos(), pauses.resumedAt());
    }

    private void check() {
        check = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = now();
        long pendingOutput = pendingOutput();
        if (pendingOutput < lastPendingOutput || dispatcher.working()) {
            lastActivity = now; // the client takes its replies, or a handler works for it
        }
        lastPendingOutput = pendingOutput;
        if (now - lastActivity >= gate.settings().keepAliveNanos()) {
            gate.counters().idleClosed.increment();
            LOG.debug("{}: closing after {} ms without traffic (keep_alive)", ctx.channel().remoteAddress(),
                    TimeUnit.NANOSECONDS.toMillis(now - lastActivity));
            ctx.close();
            return;
        }
        long next = Math.min(lastActivity + gate.settings().keepAliveNanos(),
                now + gate.settings().frameTimeoutNanos());
        if (pendingOutput > 0) {
            next = Math.min(next, now + OUTPUT_CHECK_NANOS); // replies waiting: see soon whether they move
        }
        // While the gate does not read, a frame's lateness is not the client's: its clock waits.
        if (decoder.pendingBytes() > 0 && ctx.channel().config().isAutoRead()) {
            long deadline = frameClockStart() + frameAllowance();
            if (now >= deadline) {
                gate.counters().frameTimeouts.increment();
                int length = decoder.pendingFrameLength();
                gate.logs().slow().warn("{}: closing the connection: a frame was not whole {} ms after its first"
                        + " byte ({} of {} bytes had arrived)", ctx.channel().remoteAddress(),
                        TimeUnit.NANOSECONDS.toMillis(now - decoder.pendingSinceNanos()), decoder.pendingBytes(),
                        length < 0 ? "?" : length);
                ctx.fireExceptionCaught(new ConnectionFault("frame deadline passed"));
                return;
            }
            next = Math.min(next, deadline);
        }
        schedule(next);
    }

    /** How long the pending frame may take: frame_timeout_ms, or more for a long body at min_body_rate. */
    private long frameAllowance() {
        long allowance = gate.settings().frameTimeoutNanos();
        int frame = decoder.pendingFrameLength();
        long rate = gate.settings().minBodyRate();
        if (frame > 0 && rate > 0) {
            allowance = Math.max(allowance, TimeUnit.SECONDS.toNanos(frame) / rate);
        }
        return allowance;
    }

    /** Makes sure a check runs by {@code at}; an earlier one already set is kept. */
    private void schedule(long at) {
        if (check != null) {
            if (checkAt <= at) {
                return;
            }
            check.cancel(false);
        }
        checkAt = at;
        check = ctx.executor().schedule(this::check, Math.max(0, at - now()), TimeUnit.NANOSECONDS);
    }

    private void cancelCheck() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    private long pendingOutput() {
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    private long now() {
        return ctx.executor().ticker().nanoTime();
    }
}
