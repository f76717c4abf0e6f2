package org.kimserver.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.kimserver.wire.FrameDecoder;
import org.kimserver.wire.Frames;
import org.kimserver.wire.MsgBodyView;

/**
 * One simulated user on one connection: sends a burst, checks each reply (cmd+1, the next seq of the burst, an
 * rsp_result), and sends the next burst when the last reply of this one is in. Replies are cut by the shared
 * {@link FrameDecoder}, placed before this handler.
 */
final class User extends ChannelInboundHandlerAdapter {
    /** The largest reply body accepted; a server's replies to these requests are tiny. */
    static final int MAX_REPLY_BODY = 16 << 20;

    /** What the user needs of one reply. */
    record Reply(int cmd, int seq, boolean hasResult, int code) {
        static Reply of(int cmd, int seq, MsgBodyView body) {
            return new Reply(cmd, seq, body.hasResult(), body.code());
        }
    }

    private final BenchOptions options;
    private final Results results;
    private final AtomicInteger seqs;
    private final CountDownLatch finished;
    private long stopSendingAtNanos;
    /** The burst's frames with seq 0, built once; a burst is a copy with the seqs filled in. */
    private final ByteBuf template;
    private final int[] seqOffsets;
    private ChannelHandlerContext ctx;
    private long sent;
    private int expectedSeq;
    private int outstanding;
    private long burstStartNanos;
    private boolean done;

    User(int userId, BenchOptions options, Results results, AtomicInteger seqs, CountDownLatch finished,
         ByteBuf sharedTemplate) {
        this.options = options;
        this.results = results;
        this.seqs = seqs;
        this.finished = finished;
        this.template = sharedTemplate != null ? sharedTemplate : template(options.cmd(), options.burst(), userId);
        this.seqOffsets = seqOffsets(template);
    }

    /** The frames of one burst: "1 - hello" to "<burst> - hello", or the original's JSON for the session command. */
    static ByteBuf template(int cmd, int burst, int userId) {
        ByteBuf frames = Unpooled.buffer();
        for (int i = 1; i <= burst; i++) {
            String data = cmd == 1007 ? "{\"user_id\":" + userId + ",\"user_name\":\"hello - " + userId + "\"}"
                    : i + " - hello";
            Frames.writeRequest(frames, cmd, 0, data.getBytes(StandardCharsets.UTF_8));
        }
        return Unpooled.unreleasableBuffer(frames.asReadOnly());
    }

    static boolean templateDependsOnUser(int cmd) {
        return cmd == 1007;
    }

    private static int[] seqOffsets(ByteBuf frames) {
        List<Integer> offsets = new ArrayList<>();
        int index = frames.readerIndex();
        while (index < frames.writerIndex()) {
            offsets.add(index + 6);
            index += Frames.HEAD_LENGTH + Frames.bodyLength(frames, index);
        }
        return offsets.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Called on the connection's event loop when every user is connected. */
    void start(long stopSendingAtNanos) {
        this.stopSendingAtNanos = stopSendingAtNanos;
        sendBurst();
    }

    private void sendBurst() {
        if (!ctx.channel().isActive()) {
            return;
        }
        int count = options.timed() ? options.burst() : (int) Math.min(options.burst(), options.packets() - sent);
        int firstSeq = seqs.getAndAdd(count) + 1;
        ByteBuf burst = ctx.alloc().ioBuffer(template.readableBytes());
        int length = count == seqOffsets.length ? template.readableBytes()
                : seqOffsets[count] - 6 - template.readerIndex();
        burst.writeBytes(template, template.readerIndex(), length);
        for (int i = 0; i < count; i++) {
            burst.setIntLE(seqOffsets[i] - template.readerIndex(), firstSeq + i);
        }
        expectedSeq = firstSeq;
        outstanding = count;
        sent += count;
        results.sent.add(count);
        burstStartNanos = System.nanoTime();
        if (options.frameWrites()) {
            for (int i = 0; i < count; i++) {
                int start = seqOffsets[i] - 6 - template.readerIndex();
                int end = i + 1 < count ? seqOffsets[i + 1] - 6 - template.readerIndex() : burst.writerIndex();
                ctx.writeAndFlush(burst.retainedSlice(start, end - start), ctx.voidPromise());
            }
            burst.release();
        } else {
            ctx.writeAndFlush(burst, ctx.voidPromise());
        }
    }

    /** The decoder for this user's replies, to go before it in the pipeline. */
    static FrameDecoder decoder() {
        return new FrameDecoder(MAX_REPLY_BODY, Reply::of);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done || !(msg instanceof Reply reply)) {
            return;
        }
        long now = System.nanoTime();
        if (!reply.hasResult()) {
            bad("a reply has no rsp_result");
        } else if (reply.cmd() != options.cmd() + 1 || reply.seq() != expectedSeq) {
            bad("expected cmd " + (options.cmd() + 1) + " seq " + expectedSeq + ", got cmd " + reply.cmd() + " seq "
                    + reply.seq());
        } else {
            results.reply(reply.code(), now - burstStartNanos);
        }
        expectedSeq++;
        if (--outstanding == 0) {
            burstAnswered();
        }
    }

    private void bad(String problem) {
        results.badReplies.increment();
        results.problem(problem);
    }

    private void burstAnswered() {
        boolean more = options.timed() ? System.nanoTime() < stopSendingAtNanos : sent < options.packets();
        if (!more) {
            finish();
        } else if (options.pauseMillis() > 0) {
            ctx.executor().schedule(this::sendBurst, options.pauseMillis(), TimeUnit.MILLISECONDS);
        } else {
            sendBurst();
        }
    }

    private void finish() {
        if (!done) {
            done = true;
            results.userFinished(System.nanoTime());
            finished.countDown();
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!done) {
            // The server closed the connection: the replies owed are lost, and this user ends.
            results.lost.add(outstanding);
            results.closedUsers.increment();
            results.problem("the server closed a connection with " + outstanding + " replies owed");
            done = true;
            results.userFinished(System.nanoTime());
            finished.countDown();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            bad("a reply is malformed: " + cause.getMessage()); // a head or body the decoder refused
        } else {
            results.problem(cause.toString());
        }
        ctx.close();
    }
}
