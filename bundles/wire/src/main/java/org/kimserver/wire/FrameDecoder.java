package org.kimserver.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.function.IntConsumer;

/**
 * Cuts the byte stream of a connection into frames and passes each one on as the message a {@link FrameFactory}
 * makes of it. The one frame loop of kimserver: the gate, kim-bench and node links use it.
 *
 * <p><b>Reading stops when the channel's auto-read is off.</b> Frames already received stay here until auto-read
 * is switched on again, then they are passed on (followed by {@code channelReadComplete}) before anything new is
 * read, so a handler further on can stop the flow of requests at once and a connection holds at most one read's
 * worth of bytes more than it had when it stopped. Unlike Netty's {@code ByteToMessageDecoder}, this never asks
 * for a read behind the back of whoever switched auto-read off, nor of a socket whose input has ended.
 *
 * <p><b>Errors end the stream:</b> a head without the layout's tags (decided at the first wrong tag byte, before
 * the head is complete), or a body protobuf would refuse, is reported as a {@link CorruptedFrameException}; a body
 * length above the limit, decided from the head alone so the claimed size is never buffered, as a
 * {@link TooLongFrameException}. Either goes to {@code exceptionCaught}, and every
 * byte received afterwards is dropped; what to do with the connection is for the handlers further on.
 *
 * <p><b>End of input</b> ({@link ChannelInputShutdownEvent}, with half-closure allowed) is passed on after the
 * frames received before it; an incomplete frame at that point is dropped.
 *
 * <p>What a connection holds ({@link #heldBytes()}) and since when a frame is incomplete
 * ({@link #pendingSinceNanos()}) are there for limits such as a memory budget and a frame deadline.
 */
public final class FrameDecoder extends ChannelDuplexHandler {
    /** Makes the message passed on for one frame; the view is valid only during the call. */
    @FunctionalInterface
    public interface FrameFactory {
        Object frame(int cmd, int seq, MsgBodyView body);
    }

    private final int maxBodyLength;
    private final FrameFactory factory;
    private final IntConsumer heldBytesListener;
    private final MsgBodyView body = new MsgBodyView();
    /** Bytes received and not yet passed on: an incomplete frame, or whole frames held while reading is off. */
    private ByteBuf pending;
    private long pendingSinceNanos;
    private boolean failed;
    /** The peer's end of input has been seen: nothing more can be read from the socket. */
    private boolean inputEnded;
    /** The end of input is still to be passed on, behind frames held back. */
    private boolean endPending;
    private boolean resumeScheduled;
    private int reportedHeldBytes;

    /**
     * @param maxBodyLength the largest body length accepted
     * @param factory makes the message passed on for each frame
     */
    public FrameDecoder(int maxBodyLength, FrameFactory factory) {
        this(maxBodyLength, factory, held -> { });
    }

    /**
     * @param heldBytesListener told the new {@link #heldBytes()} whenever it changes, on the channel's event loop
     */
    public FrameDecoder(int maxBodyLength, FrameFactory factory, IntConsumer heldBytesListener) {
        this.maxBodyLength = maxBodyLength;
        this.factory = factory;
        this.heldBytesListener = heldBytesListener;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (failed || !in.isReadable()) {
            in.release();
            return;
        }
        boolean wasEmpty = pending == null;
        pending = wasEmpty ? in : append(ctx, pending, in);
        if (decode(ctx) > 0 || wasEmpty) {
            pendingSinceNanos = ctx.executor().ticker().nanoTime(); // the rest arrived in this read
        }
        reportHeldBytes();
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        // Auto-read was switched on again (or a read was asked for): frames held back go first, from a task of
        // their own so that whoever switched it on is not re-entered.
        if (!resumeScheduled && hasDecidableFrame()) {
            resumeScheduled = true;
            ctx.executor().execute(() -> resume(ctx));
        }
        if (!inputEnded) {
            // A half-closed socket has nothing more to give (and Netty's epoll transport fails a read asked of it).
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            inputEnded = true;
            endPending = true;
            endOfInput(ctx);
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releasePending();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releasePending();
    }

    /** Memory held for frames not passed on yet, in bytes (the capacity of the buffer holding them). */
    public int heldBytes() {
        return pending == null ? 0 : pending.capacity();
    }

    /** How many bytes of frames not passed on yet are held (received and not handled). */
    public int pendingBytes() {
        return pending == null ? 0 : pending.readableBytes();
    }

    /**
     * The ticker time (of the channel's executor) at which the first byte of the oldest frame not passed on yet
     * arrived; meaningful only while {@link #pendingBytes()} is above 0.
     */
    public long pendingSinceNanos() {
        return pendingSinceNanos;
    }

    /** The whole length (head and body) of the oldest frame not passed on yet, or -1 while its head is incomplete. */
    public int pendingFrameLength() {
        if (pending == null || pending.readableBytes() < Frames.HEAD_LENGTH
                || !Frames.hasHeadTags(pending, pending.readerIndex())) {
            return -1;
        }
        return Frames.HEAD_LENGTH + Math.max(0, Frames.bodyLength(pending, pending.readerIndex()));
    }

    /** Passes on every whole frame while auto-read is on; returns how many. */
    private int decode(ChannelHandlerContext ctx) {
        int passed = 0;
        while (pending != null && !failed && ctx.channel().config().isAutoRead()) {
            int head = pending.readerIndex();
            int available = Math.min(pending.readableBytes(), Frames.HEAD_LENGTH);
            if (!Frames.headTagsSoFar(pending, head, available)) {
                fail(ctx, new CorruptedFrameException("malformed frame head "
                        + ByteBufUtil.hexDump(pending, head, available)));
                break;
            }
            if (available < Frames.HEAD_LENGTH) {
                break;
            }
            int length = Frames.bodyLength(pending, head);
            if (length > maxBodyLength) {
                fail(ctx, new TooLongFrameException("frame body of " + Integer.toUnsignedString(length)
                        + " bytes is above the limit of " + maxBodyLength));
                break;
            }
            int bodyLength = Math.max(length, 0); // the original reads a length <= 0 as an empty body
            if (pending.readableBytes() < Frames.HEAD_LENGTH + bodyLength) {
                break;
            }
            int cmd = Frames.cmd(pending, head);
            int seq = Frames.seq(pending, head);
            if (!body.parse(pending, head + Frames.HEAD_LENGTH, bodyLength)) {
                fail(ctx, new CorruptedFrameException("malformed body of cmd " + Integer.toUnsignedString(cmd)
                        + " seq " + Integer.toUnsignedString(seq)));
                break;
            }
            Object frame = factory.frame(cmd, seq, body);
            pending.skipBytes(Frames.HEAD_LENGTH + bodyLength);
            passed++;
            ctx.fireChannelRead(frame);
        }
        compact(ctx);
        return passed;
    }

    private void resume(ChannelHandlerContext ctx) {
        resumeScheduled = false;
        if (ctx.isRemoved()) {
            return;
        }
        if (decode(ctx) > 0) {
            pendingSinceNanos = ctx.executor().ticker().nanoTime();
            reportHeldBytes();
            ctx.fireChannelReadComplete();
        }
        endOfInput(ctx);
    }

    /** Passes the end of input on once nothing decode() could act on is held back. */
    private void endOfInput(ChannelHandlerContext ctx) {
        if (!endPending || hasDecidableFrame() && !failed) {
            return;
        }
        endPending = false;
        releasePending(); // an incomplete frame at the end of input
        ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    }

    /** Whether what is held lets decode() act: a whole frame, or a head it refuses (bad tags, length above max). */
    private boolean hasDecidableFrame() {
        if (pending == null) {
            return false;
        }
        int head = pending.readerIndex();
        int available = Math.min(pending.readableBytes(), Frames.HEAD_LENGTH);
        if (!Frames.headTagsSoFar(pending, head, available)) {
            return true;
        }
        if (available < Frames.HEAD_LENGTH) {
            return false;
        }
        int length = Frames.bodyLength(pending, head);
        return length > maxBodyLength || pending.readableBytes() >= Frames.HEAD_LENGTH + Math.max(length, 0);
    }

    private void fail(ChannelHandlerContext ctx, Exception cause) {
        failed = true;
        releasePending();
        ctx.fireExceptionCaught(cause);
    }

    /** Frees what was passed on: the buffer goes once empty, and a large one keeping a small rest is shrunk. */
    private void compact(ChannelHandlerContext ctx) {
        if (pending == null) {
            return;
        }
        int readable = pending.readableBytes();
        if (readable == 0) {
            releasePending();
        } else if (pending.capacity() > 4096 && readable < pending.capacity() / 4) {
            ByteBuf smaller = ctx.alloc().buffer(readable);
            smaller.writeBytes(pending);
            pending.release();
            pending = smaller;
        }
    }

    /**
     * Appends {@code in} to {@code held}; when it does not fit, to a new buffer of twice the size (or more), at most
     * the size of the frame begun, so a frame that trickles in holds about what has arrived of it.
     */
    private ByteBuf append(ChannelHandlerContext ctx, ByteBuf held, ByteBuf in) {
        try {
            if (held.writableBytes() >= in.readableBytes() && held.refCnt() == 1 && !held.isReadOnly()) {
                held.writeBytes(in);
                return held;
            }
            int needed = held.readableBytes() + in.readableBytes();
            int frame = pendingFrameLength();
            int capacity = frame > needed ? Math.min(frame, Math.max(needed, 2 * held.capacity())) : needed;
            ByteBuf grown = ctx.alloc().buffer(capacity);
            grown.writeBytes(held).writeBytes(in);
            held.release();
            return grown;
        } finally {
            in.release();
        }
    }

    private void releasePending() {
        if (pending != null) {
            pending.release();
            pending = null;
            reportHeldBytes();
        }
    }

    private void reportHeldBytes() {
        int held = heldBytes();
        if (held != reportedHeldBytes) {
            reportedHeldBytes = held;
            heldBytesListener.accept(held);
        }
    }
}
