package org.kimserver.wire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Test;

public class FrameDecoderTest {
    private static final int MAX_BODY = 1000;

    record Frame(int cmd, int seq, String data) {
    }

    /** What reaches the handler after the decoder, in order. */
    private final List<Object> seen = new ArrayList<>();
    private int readCompletes;
    private final List<ByteBuf> sent = new ArrayList<>();
    private EmbeddedChannel channel;

    private final class Recorder extends ChannelInboundHandlerAdapter {
        /** Switch auto-read off after this many frames (0: never). */
        int pauseAfter;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            seen.add(msg);
            if (pauseAfter > 0 && seen.size() == pauseAfter) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            readCompletes++;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            seen.add(cause);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            seen.add(evt);
        }
    }

    /** What the decoder reported of the memory it holds, in order. */
    private final List<Integer> held = new ArrayList<>();
    private final FrameDecoder decoder = new FrameDecoder(MAX_BODY,
            (cmd, seq, body) -> new Frame(cmd, seq, new String(body.data(), StandardCharsets.UTF_8)), held::add);
    private final Recorder recorder = new Recorder();

    private EmbeddedChannel channel() {
        channel = EmbeddedChannel.builder().handlers(decoder, recorder).build();
        channel.freezeTime();
        return channel;
    }

    @After
    public void nothingLeaks() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
        for (ByteBuf buf : sent) {
            assertEquals("every buffer written in is released", 0, buf.refCnt());
        }
    }

    private static byte[] request(int cmd, int seq, String data) {
        ByteBuf out = Unpooled.buffer();
        Frames.writeRequest(out, cmd, seq, data.getBytes(StandardCharsets.UTF_8));
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuf out = Unpooled.buffer();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    private void write(byte[] bytes, int from, int to) {
        ByteBuf buf = Unpooled.copiedBuffer(bytes, from, to - from);
        sent.add(buf);
        channel.writeInbound(buf);
    }

    private void write(byte[] bytes) {
        write(bytes, 0, bytes.length);
    }

    @Test
    public void framesSplitAnywhereOrPackedTogetherArriveWholeAndInOrder() {
        channel();
        byte[] stream = concat(request(1001, 1, "a"), request(1001, 2, ""), request(7, 3, "hello"));
        for (int i = 0; i < stream.length; i++) { // one byte at a time
            write(stream, i, i + 1);
        }
        write(stream); // all at once
        List<Object> expected = List.of(new Frame(1001, 1, "a"), new Frame(1001, 2, ""), new Frame(7, 3, "hello"));
        assertEquals(expected, seen.subList(0, 3));
        assertEquals(expected, seen.subList(3, 6));
        assertEquals(0, decoder.pendingBytes());
        assertEquals(0, decoder.heldBytes());
    }

    @Test
    public void aLengthOfZeroOrBelowIsAnEmptyBody() {
        channel();
        ByteBuf head = Unpooled.buffer();
        Frames.writeHead(head, 1001, 5, -3);
        sent.add(head);
        channel.writeInbound(head);
        assertEquals(List.of(new Frame(1001, 5, "")), seen);
    }

    @Test
    public void withAutoReadOffFramesWaitAndComeFirstWhenItIsOn() {
        channel();
        recorder.pauseAfter = 1;
        write(concat(request(1, 1, "x"), request(1, 2, "y"), request(1, 3, "z")));
        assertEquals("only the first frame passed before the pause", 1, seen.size());
        assertTrue(decoder.pendingBytes() > 0);
        int completesBefore = readCompletes;

        write(request(1, 4, "w")); // arrives while paused: held behind the others
        assertEquals(1, seen.size());

        recorder.pauseAfter = 0;
        channel.config().setAutoRead(true);
        channel.runPendingTasks();
        assertEquals(List.of(new Frame(1, 1, "x"), new Frame(1, 2, "y"), new Frame(1, 3, "z"), new Frame(1, 4, "w")),
                seen);
        assertTrue("the resumed frames end with a read-complete", readCompletes > completesBefore);
        assertEquals(0, decoder.pendingBytes());
    }

    @Test
    public void aBadHeadHeldWhileReadingIsOffIsReportedWhenItComesBackOn() {
        channel();
        recorder.pauseAfter = 1;
        byte[] bad = request(1, 2, "x");
        bad[10] = 0x1E;
        write(concat(request(1, 1, "a"), bad));
        assertEquals(1, seen.size());
        recorder.pauseAfter = 0;
        channel.config().setAutoRead(true);
        channel.runPendingTasks();
        assertTrue("decided at once, not left waiting for bytes that cannot make it whole",
                seen.get(1) instanceof CorruptedFrameException);
    }

    @Test
    public void aMalformedHeadIsReportedAndEverythingAfterItDropped() {
        channel();
        byte[] bad = request(1, 2, "x");
        bad[5] = 0x16;
        write(concat(request(1, 1, "ok"), bad, request(1, 3, "after")));
        write(request(1, 4, "later"));
        assertEquals(new Frame(1, 1, "ok"), seen.get(0));
        assertTrue(seen.get(1) instanceof CorruptedFrameException);
        assertTrue(((Exception) seen.get(1)).getMessage().startsWith("malformed frame head 0d0100000016"));
        assertEquals(2, seen.size());
        assertEquals(0, decoder.heldBytes());
    }

    @Test
    public void aWrongTagIsRefusedBeforeTheHeadIsComplete() {
        channel();
        write(new byte[] {0x0D, 1, 0, 0, 0, 0x16});
        assertEquals("malformed frame head 0d0100000016", ((Exception) seen.get(0)).getMessage());
    }

    @Test
    public void aBodyProtobufRefusesIsReported() {
        channel();
        ByteBuf frame = Unpooled.buffer();
        Frames.writeHead(frame, 9, 8, 3);
        frame.writeBytes(new byte[] {0x2a, 0x01, (byte) 0xff}); // invalid UTF-8 in trace_id
        sent.add(frame);
        channel.writeInbound(frame);
        assertEquals("malformed body of cmd 9 seq 8", ((Exception) seen.get(0)).getMessage());
    }

    @Test
    public void anOversizeBodyIsRefusedFromTheHeadAlone() {
        channel();
        ByteBuf head = Unpooled.buffer();
        Frames.writeHead(head, 1, 1, MAX_BODY + 1);
        sent.add(head);
        channel.writeInbound(head);
        assertTrue(seen.get(0) instanceof TooLongFrameException);
        assertEquals("frame body of 1001 bytes is above the limit of 1000", ((Exception) seen.get(0)).getMessage());
    }

    @Test
    public void aBodyAtTheLimitPasses() {
        channel();
        ByteBuf atLimit = Unpooled.buffer();
        Frames.writeRequest(atLimit, 1, 1, new byte[MAX_BODY - 3]);
        assertEquals(Frames.HEAD_LENGTH + MAX_BODY, atLimit.readableBytes());
        sent.add(atLimit);
        channel.writeInbound(atLimit);
        assertTrue(seen.get(0) instanceof Frame);
    }

    @Test
    public void endOfInputComesAfterTheFramesAndDropsAnIncompleteOne() {
        channel();
        recorder.pauseAfter = 1;
        byte[] stream = concat(request(1, 1, "a"), request(1, 2, "b"));
        write(concat(stream, new byte[] {0x0D, 1}));
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals("the end waits behind the held frame", 1, seen.size());

        recorder.pauseAfter = 0;
        channel.config().setAutoRead(true);
        channel.runPendingTasks();
        assertEquals(List.of(new Frame(1, 1, "a"), new Frame(1, 2, "b"), ChannelInputShutdownEvent.INSTANCE), seen);
        assertEquals("the incomplete frame is dropped", 0, decoder.pendingBytes());
    }

    @Test
    public void heldBytesAndPendingTimeDescribeTheIncompleteFrame() {
        channel();
        byte[] frame = request(1, 1, "x".repeat(900));
        write(frame, 0, 10);
        long firstByte = channel.eventLoop().ticker().nanoTime();
        assertEquals(-1, decoder.pendingFrameLength());
        channel.advanceTimeBy(3, TimeUnit.SECONDS);
        write(frame, 10, 100);
        assertEquals(frame.length, decoder.pendingFrameLength());
        assertEquals("the frame began in the first read", firstByte, decoder.pendingSinceNanos());
        assertTrue("holds about what arrived, not the whole claim: " + decoder.heldBytes(),
                decoder.heldBytes() < frame.length);
        assertEquals("the listener follows what is held", decoder.heldBytes(), (int) held.get(held.size() - 1));
        write(frame, 100, frame.length);
        assertEquals(new Frame(1, 1, "x".repeat(900)), seen.get(0));
        assertEquals("nothing held once the frame passed", 0, (int) held.get(held.size() - 1));
        assertEquals(0, decoder.pendingBytes());

        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        write(concat(request(1, 2, "y"), new byte[] {0x0D}));
        assertEquals("a frame begun in a later read is timed from that read",
                channel.eventLoop().ticker().nanoTime(), decoder.pendingSinceNanos());
        assertSame(Frame.class, seen.get(1).getClass());
    }
}
