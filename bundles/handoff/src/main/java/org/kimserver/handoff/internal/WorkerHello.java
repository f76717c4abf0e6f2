package org.kimserver.handoff.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.kimserver.wire.FrameDecoder;
import org.kimserver.wire.MsgBodyView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first and only frame a worker sends on its hand-off link, in the client framing: cmd {@value #CMD}, {@code data}
 * = its process tag ({@code W1}). Until it has said it, the worker gets nothing; anything else closes the link.
 */
final class WorkerHello extends ChannelInboundHandlerAdapter {
    /**
     * The worker's hello: a system command (below 999), free in the original's numbering. The gate sends it
     * ({@code HandoffLink.HELLO_CMD} in bundles/gate; its HandoffGateTest runs the two against each other).
     */
    static final int CMD = 61;
    /** A hello body is a tag of a few bytes; anything longer is not a hello. */
    static final int MAX_BODY = 64;
    private static final Pattern TAG = Pattern.compile("W[1-9][0-9]{0,5}");
    private static final Logger LOG = LoggerFactory.getLogger(WorkerHello.class);

    private record Frame(int cmd, byte[] data) {
    }

    private final WorkerRotation rotation;
    private boolean joined;

    WorkerHello(WorkerRotation rotation) {
        this.rotation = rotation;
    }

    /** The decoder that cuts a link's bytes into frames for this handler. */
    static FrameDecoder decoder() {
        return new FrameDecoder(MAX_BODY, (int cmd, int seq, MsgBodyView body) -> new Frame(cmd, body.data()));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Frame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        String tag = new String(frame.data(), StandardCharsets.UTF_8);
        if (joined || frame.cmd() != CMD || !TAG.matcher(tag).matches()) {
            LOG.warn("hand-off link closed: {} is not a worker's hello (cmd {}, data \"{}\")",
                    joined ? "a frame after the hello" : "its first frame", frame.cmd(), printable(tag));
            ctx.close();
            return;
        }
        joined = true;
        rotation.join(tag, ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.warn("hand-off link closed: {}", cause.toString());
        ctx.close();
    }

    private static String printable(String text) {
        String cut = text.length() > 20 ? text.substring(0, 20) + "..." : text;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
