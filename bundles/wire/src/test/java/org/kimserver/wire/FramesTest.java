package org.kimserver.wire;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.Test;
import org.kimserver.proto.MsgBody;

public class FramesTest {
    private static final byte[] NONE = new byte[0];

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuf buf) {
        return ByteBufUtil.getBytes(buf);
    }

    private static String hex(byte[] b) {
        return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(b);
    }

    @Test
    public void helloRequestIsTheReferenceBytes() {
        ByteBuf out = Unpooled.buffer();
        Frames.writeRequest(out, 1001, 123, utf8("hello world!"));
        assertEquals("0D E9 03 00 00 15 7B 00 00 00 1D 0E 00 00 00 1A 0C " + hex(utf8("hello world!")),
                hex(bytes(out)));
        assertEquals(out.readableBytes(), Frames.requestFrameSize(12));
    }

    @Test
    public void helloReplyIsTheReferenceBytes() {
        ByteBuf out = Unpooled.buffer();
        Frames.writeReply(out, 1002, 123, 0, utf8("ok"), utf8("good job!"));
        assertEquals("0D EA 03 00 00 15 7B 00 00 00 1D 11 00 00 00 12 04 12 02 6F 6B 1A 09 "
                + hex(utf8("good job!")), hex(bytes(out)));
    }

    @Test
    public void unknownCommandReplyBodyIsTheReferenceBytes() {
        ByteBuf out = Unpooled.buffer();
        Frames.writeReply(out, 1000, 1, 4, utf8("invalid cmd!"), NONE);
        byte[] frame = bytes(out);
        assertEquals("12 10 08 04 12 0C " + hex(utf8("invalid cmd!")),
                hex(Arrays.copyOfRange(frame, Frames.HEAD_LENGTH, frame.length)));
    }

    @Test
    public void zerosAreWrittenInTheHead() {
        ByteBuf out = Unpooled.buffer();
        Frames.writeHead(out, 0, 0, 0);
        assertEquals("0D 00 00 00 00 15 00 00 00 00 1D 00 00 00 00", hex(bytes(out)));
        assertTrue(Frames.hasHeadTags(out, 0));
    }

    @Test
    public void emptyResultIsStillPresentAsTheHeartbeatReply() {
        ByteBuf out = Unpooled.buffer();
        Frames.writeReply(out, 32, 7, 0, NONE, NONE);
        assertEquals("12 00", hex(Arrays.copyOfRange(bytes(out), Frames.HEAD_LENGTH, out.readableBytes())));
    }

    /** Every reply we write equals protobuf's own encoding of the same MsgBody, negative and large codes included. */
    @Test
    public void repliesEqualProtobufEncodingForRandomValues() throws Exception {
        Random random = new Random(42);
        int[] codes = {0, 1, 4, 127, 128, 11009, 12009, -1, Integer.MIN_VALUE, Integer.MAX_VALUE};
        for (int i = 0; i < 2000; i++) {
            int code = i < codes.length ? codes[i] : random.nextInt();
            byte[] msg = new byte[random.nextInt(3) == 0 ? 0 : random.nextInt(300)];
            byte[] data = new byte[random.nextInt(3) == 0 ? 0 : random.nextInt(20000)];
            random.nextBytes(msg);
            random.nextBytes(data);
            int cmd = random.nextInt();
            int seq = random.nextInt();
            ByteBuf out = Unpooled.buffer();
            Frames.writeReply(out, cmd, seq, code, msg, data);
            assertEquals(Frames.replyFrameSize(code, msg, data), out.readableBytes());

            byte[] expectedBody = MsgBody.newBuilder()
                    .setRspResult(MsgBody.Response.newBuilder().setCode(code).setMsg(ByteString.copyFrom(msg)))
                    .setData(ByteString.copyFrom(data)).build().toByteArray();
            byte[] frame = bytes(out);
            assertArrayEquals(expectedBody, Arrays.copyOfRange(frame, Frames.HEAD_LENGTH, frame.length));
            assertEquals(cmd, Frames.cmd(out, 0));
            assertEquals(seq, Frames.seq(out, 0));
            assertEquals(expectedBody.length, Frames.bodyLength(out, 0));

            MsgBodyView view = new MsgBodyView();
            assertTrue(view.parse(out, Frames.HEAD_LENGTH, expectedBody.length));
            assertTrue(view.hasResult());
            assertEquals(code, view.code());
            assertArrayEquals(msg, view.msg());
            assertArrayEquals(data, view.data());
        }
    }

    @Test
    public void viewReadsBodiesWithEveryField() {
        byte[] body = MsgBody.newBuilder()
                .setReqTarget(MsgBody.Request.newBuilder().setRouteId(9).setRoute("logic"))
                .setData(ByteString.copyFromUtf8("payload")).setAddOn(ByteString.copyFromUtf8("gate"))
                .setTraceId("trace-1").build().toByteArray();
        MsgBodyView view = new MsgBodyView();
        assertTrue(view.parse(Unpooled.wrappedBuffer(body), 0, body.length));
        assertFalse(view.hasResult());
        assertEquals("payload", new String(view.data(), StandardCharsets.UTF_8));

        assertTrue(view.parse(Unpooled.wrappedBuffer(NONE), 0, 0));
        assertEquals(0, view.data().length);
    }

    /** Truncations of a valid body and some garbage are refused; protobuf refuses the same bytes. */
    @Test
    public void malformedBodiesAreRefusedLikeProtobufDoes() {
        byte[] body = MsgBody.newBuilder().setRspResult(MsgBody.Response.newBuilder().setCode(300)
                .setMsg(ByteString.copyFromUtf8("message"))).setData(ByteString.copyFromUtf8("data")).build()
                .toByteArray();
        MsgBodyView view = new MsgBodyView();
        for (int cut = 1; cut < body.length; cut++) {
            byte[] truncated = Arrays.copyOf(body, cut);
            boolean protobufAccepts = parses(truncated);
            assertEquals("cut at " + cut, protobufAccepts, view.parse(Unpooled.wrappedBuffer(truncated), 0, cut));
        }
        byte[][] garbage = {
            {0x00}, // field number 0
            {0x1A, 0x05, 0x01}, // data longer than the body
            {0x0B}, // start group
            {0x0F}, // wire type 7
            {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01}, // over-long varint
            {0x1A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F}, // negative length
        };
        for (byte[] bad : garbage) {
            assertFalse(hex(bad), parses(bad));
            assertFalse(hex(bad), view.parse(Unpooled.wrappedBuffer(bad), 0, bad.length));
        }
    }

    private static boolean parses(byte[] bytes) {
        try {
            MsgBody.parseFrom(bytes);
            return true;
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return false;
        }
    }
}
