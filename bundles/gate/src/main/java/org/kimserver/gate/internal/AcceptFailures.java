package org.kimserver.gate.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;

/**
 * On the listening channel: an accept that fails (most often "Too many open files") is counted and logged at a
 * bounded rate without a stack trace, and accepting pauses for a second, as Netty's own acceptor would, so that a
 * listener that stays readable does not spin.
 */
final class AcceptFailures extends ChannelInboundHandlerAdapter {
    private static final long PAUSE_SECONDS = 1;
    private final GateCounters counters;
    private final ClientLogs logs;

    AcceptFailures(GateCounters counters, ClientLogs logs) {
        this.counters = counters;
        this.logs = logs;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        counters.acceptFailures.increment();
        logs.acceptFailures().warn("accepting a connection failed: {} ({} of {} files open); accepting again in {} s",
                cause.toString(), OpenFiles.open(), OpenFiles.max(), PAUSE_SECONDS);
        if (ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
            ctx.executor().schedule(() -> ctx.channel().config().setAutoRead(true), PAUSE_SECONDS, TimeUnit.SECONDS);
        }
    }
}
