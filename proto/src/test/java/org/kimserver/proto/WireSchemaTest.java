package org.kimserver.proto;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.Test;

/** The generated messages must encode to the bytes the original puts on the wire (reference 1.2, 1.8). */
public class WireSchemaTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    public void headWithNonZeroFieldsIsFifteenBytes() {
        MsgHead head = MsgHead.newBuilder().setCmd(1001).setSeq(123).setLen(14).build();
        assertArrayEquals(hex("0D E9 03 00 00 15 7B 00 00 00 1D 0E 00 00 00"), head.toByteArray());
    }

    @Test
    public void helloReplyBodyMatchesTheOriginal() {
        MsgBody body = MsgBody.newBuilder()
                .setRspResult(MsgBody.Response.newBuilder().setMsg(ByteString.copyFromUtf8("ok")))
                .setData(ByteString.copyFromUtf8("good job!"))
                .build();
        byte[] expected = concat(hex("12 04 12 02 6F 6B 1A 09"), "good job!".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(expected, body.toByteArray());
        assertEquals(17, body.getSerializedSize());
    }

    @Test
    public void explicitZeroFieldsInAHeadAreAccepted() throws Exception {
        // Our encoder always writes all three fields; the decoder must read zeros written that way.
        MsgHead head = MsgHead.parseFrom(hex("0D E9 03 00 00 15 00 00 00 00 1D 00 00 00 00"));
        assertEquals(1001, head.getCmd());
        assertEquals(0, head.getSeq());
        assertEquals(0, head.getLen());
    }

    @Test
    public void targetNodeRoundTrips() throws Exception {
        target_node node = target_node.newBuilder()
                .setNodeType("logic").setIp("127.0.0.1").setPort(3344).setWorkerIndex(2).build();
        target_node back = target_node.parseFrom(node.toByteArray());
        assertEquals(node, back);
        assertTrue(back.getNodeType().equals("logic"));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
