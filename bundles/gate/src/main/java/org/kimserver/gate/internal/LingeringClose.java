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
 * the client still sends until the client closes its side or {@code lingerNanos} pass, and only then closes. A
 * plain close with unread input would make the kernel send a reset, which can destroy replies the client has
 * received but not yet read.
 */
final class LingeringClose extends ChannelInboundHandlerAdapter {
    private final long lingerNanos;
    private final ReadPauses pauses;
    private ScheduledFuture<?> deadline;

    LingeringClose(long lingerNanos, ReadPauses pauses) {
        this.lingerNanos = lingerNanos;
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
        deadline = ctx.executor().schedule((Runnable) ctx::close, lingerNanos, TimeUnit.NANOSECONDS);
        pauses.lingering();
        duplex.shutdownOutput().addListener(f -> {
            if (!f.isSuccess()) {
                ctx.close();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
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
        if (deadline != null) {
            deadline.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset by the client while lingering: nothing is lost any more
    }
}
