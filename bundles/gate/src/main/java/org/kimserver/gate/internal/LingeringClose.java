package org.kimserver.gate.internal;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.kimserver.wire.FrameDecoder;

/**
 * Closes a connection whose replies have all been written without losing any of them (nginx's lingering close):
 * added at the head of the pipeline, it sends a FIN (shuts the output down), then reads and throws away whatever
 * the client still sends, and closes when the client closes its side, when it has sent nothing for
 * {@code quietNanos}, or after {@value #MAX_LINGER_SECONDS} s in all. A plain close with unread input would make
 * the kernel send a reset, which can destroy replies the client has received but not yet read.
 */
final class LingeringClose extends ChannelInboundHandlerAdapter {
    /** The longest a client that keeps sending is read for before the close. */
    static final long MAX_LINGER_SECONDS = 30;

    private final long quietNanos;
    private final ReadPauses pauses;
    private ScheduledFuture<?> check;
    private long endAt;
    private long lastInput;

    LingeringClose(long quietNanos, ReadPauses pauses) {
        this.quietNanos = quietNanos;
        this.pauses = pauses;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // Nothing after this handler sees input again: the decoder's buffer and the limits' timers go now.
        for (Class<? extends ChannelHandler> before : List.of(ConnectionLimits.class, FrameDecoder.class)) {
            if (ctx.pipeline().get(before) != null) {
                ctx.pipeline().remove(before);
            }
        }
        if (!(ctx.channel() instanceof DuplexChannel duplex) || duplex.isInputShutdown()) {
            ctx.close(); // nothing more can arrive: a close is a FIN and no reset
            return;
        }
        lastInput = ctx.executor().ticker().nanoTime();
        endAt = lastInput + TimeUnit.SECONDS.toNanos(MAX_LINGER_SECONDS);
        check = ctx.executor().schedule(() -> check(ctx), quietNanos, TimeUnit.NANOSECONDS);
        pauses.lingering();
        duplex.shutdownOutput().addListener(f -> {
            if (!f.isSuccess()) {
                ctx.close();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastInput = ctx.executor().ticker().nanoTime();
        ReferenceCountUtil.release(msg);
    }

    /** Closes once the client has been quiet long enough, or the linger is over; else looks again later. */
    private void check(ChannelHandlerContext ctx) {
        long now = ctx.executor().ticker().nanoTime();
        long closeAt = Math.min(lastInput + quietNanos, endAt);
        if (now >= closeAt) {
            ctx.close();
        } else {
            check = ctx.executor().schedule(() -> check(ctx), closeAt - now, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Swallowed: the connection has nothing more to answer.
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            ctx.close(); // the client has closed its side too
        }
        ReferenceCountUtil.release(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (check != null) {
            check.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset by the client while lingering: nothing is lost any more
    }
}
