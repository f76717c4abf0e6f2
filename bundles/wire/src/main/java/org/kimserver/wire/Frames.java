package org.kimserver.wire;

import io.netty.buffer.ByteBuf;

/**
 * Writes whole frames and reads the head fields. The head's three tags sit at fixed offsets; every value is a
 * little-endian 32-bit number and is written even when it is zero (protobuf itself would leave a zero out and the
 * head would no longer be 15 bytes: see the reference, section 1.2).
 */
public final class Frames {
    /** Length of the head: three fields of one tag byte and four value bytes. */
    public static final int HEAD_LENGTH = 15;

    private static final byte CMD_TAG = 0x0D;
    private static final byte SEQ_TAG = 0x15;
    private static final byte LEN_TAG = 0x1D;

    // MsgBody and MsgBody.Response field tags (field number << 3 | wire type).
    private static final int RSP_RESULT_TAG = 2 << 3 | 2;
    private static final int DATA_TAG = 3 << 3 | 2;
    private static final int CODE_TAG = 1 << 3;
    private static final int MSG_TAG = 2 << 3 | 2;

    private Frames() {
    }

    /** Whether the head starting at {@code index} has its three tags where the layout puts them. */
    public static boolean hasHeadTags(ByteBuf in, int index) {
        return in.getByte(index) == CMD_TAG && in.getByte(index + 5) == SEQ_TAG && in.getByte(index + 10) == LEN_TAG;
    }

    /**
     * Whether the first {@code available} bytes of a head starting at {@code index} (fewer than a whole head, maybe)
     * have the tags the layout puts there: a head can be refused before it is complete.
     */
    public static boolean headTagsSoFar(ByteBuf in, int index, int available) {
        return (available < 1 || in.getByte(index) == CMD_TAG) && (available < 6 || in.getByte(index + 5) == SEQ_TAG)
                && (available < 11 || in.getByte(index + 10) == LEN_TAG);
    }

    public static int cmd(ByteBuf in, int headIndex) {
        return in.getIntLE(headIndex + 1);
    }

    public static int seq(ByteBuf in, int headIndex) {
        return in.getIntLE(headIndex + 6);
    }

    /** The body length as sent; the original treats a value of zero or below as an empty body. */
    public static int bodyLength(ByteBuf in, int headIndex) {
        return in.getIntLE(headIndex + 11);
    }

    public static void writeHead(ByteBuf out, int cmd, int seq, int bodyLength) {
        out.writeByte(CMD_TAG).writeIntLE(cmd);
        out.writeByte(SEQ_TAG).writeIntLE(seq);
        out.writeByte(LEN_TAG).writeIntLE(bodyLength);
    }

    /** Size of a whole request frame whose body holds only {@code data}, as the original's clients send. */
    public static int requestFrameSize(int dataLength) {
        return HEAD_LENGTH + bytesField(dataLength);
    }

    /** Writes a request frame whose body holds only {@code data}. */
    public static void writeRequest(ByteBuf out, int cmd, int seq, byte[] data) {
        writeHead(out, cmd, seq, bytesField(data.length));
        writeBytesField(out, DATA_TAG, data);
    }

    /** Size of a whole reply frame, for sizing the buffer before {@link #writeReply}. */
    public static int replyFrameSize(int code, byte[] msg, byte[] data) {
        return HEAD_LENGTH + replyBodySize(code, msg, data);
    }

    /**
     * Writes a reply frame: {@code rsp_result{code, msg}} always present (even when both are defaults, as the
     * original's heartbeat reply {@code 12 00}), then {@code data} if not empty: protobuf's own field order and
     * defaults, so the bytes equal the original's.
     */
    public static void writeReply(ByteBuf out, int cmd, int seq, int code, byte[] msg, byte[] data) {
        writeHead(out, cmd, seq, replyBodySize(code, msg, data));
        out.writeByte(RSP_RESULT_TAG);
        writeVarint(out, resultSize(code, msg));
        if (code != 0) {
            out.writeByte(CODE_TAG);
            writeVarint(out, code);
        }
        if (msg.length > 0) {
            writeBytesField(out, MSG_TAG, msg);
        }
        if (data.length > 0) {
            writeBytesField(out, DATA_TAG, data);
        }
    }

    private static int replyBodySize(int code, byte[] msg, byte[] data) {
        int result = resultSize(code, msg);
        return 1 + varintSize(result) + result + (data.length > 0 ? bytesField(data.length) : 0);
    }

    private static int resultSize(int code, byte[] msg) {
        return (code != 0 ? 1 + varintSize(code) : 0) + (msg.length > 0 ? bytesField(msg.length) : 0);
    }

    private static int bytesField(int length) {
        return 1 + varintSize(length) + length;
    }

    private static void writeBytesField(ByteBuf out, int tag, byte[] bytes) {
        out.writeByte(tag);
        writeVarint(out, bytes.length);
        out.writeBytes(bytes);
    }

    /** Protobuf's int32 varint: a negative value is sign-extended to 64 bits, so it takes ten bytes. */
    static int varintSize(int value) {
        if (value < 0) {
            return 10;
        }
        return value < 1 << 7 ? 1 : value < 1 << 14 ? 2 : value < 1 << 21 ? 3 : value < 1 << 28 ? 4 : 5;
    }

    static void writeVarint(ByteBuf out, int value) {
        long v = value; // sign extension, as protobuf writes int32
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.writeByte((int) v);
    }
}
