package org.kimserver.wire;

import io.netty.buffer.ByteBuf;

/**
 * Reads a {@code MsgBody} in place: decides whether the bytes are a message protobuf-java's
 * {@code MsgBody.parseFrom} accepts, and records where {@code data} and {@code rsp_result{code, msg}} are, without
 * building the message or copying. One instance is reused for many bodies by one thread.
 *
 * <p>Accepted and refused exactly as protobuf-java does (proven by a differential test over a million random and
 * mutated bodies): unknown fields of every wire type, groups included, are skipped and must be well-formed; a tag
 * is the low 32 bits of a varint of up to ten bytes and names a field number above 0; a known field sent with
 * another wire type is an unknown field; a length is the low 32 bits of its varint and must not be negative;
 * nested messages ({@code req_target}, {@code rsp_result}) and groups are parsed to at most
 * {@value #RECURSION_LIMIT} levels and must end exactly at their end; {@code string} fields ({@code trace_id},
 * {@code req_target.route}) must be valid UTF-8.
 *
 * <p>Values follow protobuf's merge rules: the last {@code data} wins; of {@code req_target} and
 * {@code rsp_result} (a oneof) the last one sent is the one present; {@code code} and {@code msg} keep the last
 * value sent for them in any {@code rsp_result} of the body.
 */
public final class MsgBodyView {
    /** protobuf-java's default limit on nested messages and groups. */
    static final int RECURSION_LIMIT = 100;

    private static final int WIRE_VARINT = 0;
    private static final int WIRE_FIXED64 = 1;
    private static final int WIRE_LENGTH_DELIMITED = 2;
    private static final int WIRE_START_GROUP = 3;
    private static final int WIRE_END_GROUP = 4;
    private static final int WIRE_FIXED32 = 5;

    /** The message types of msg.proto, each with its own known fields. */
    private enum Type { BODY, REQUEST, RESPONSE }

    private ByteBuf buf;
    private int position;
    /** Set when a varint is cut short or longer than ten bytes. */
    private boolean badVarint;
    private int dataIndex;
    private int dataLength;
    private boolean hasResult;
    private int code;
    private int msgIndex;
    private int msgLength;

    /**
     * Parses {@code length} bytes at {@code index} of {@code buf}.
     *
     * @return whether protobuf-java would parse them as a {@code MsgBody}
     */
    public boolean parse(ByteBuf buf, int index, int length) {
        this.buf = buf;
        position = index;
        badVarint = false;
        dataIndex = index;
        dataLength = 0;
        hasResult = false;
        code = 0;
        msgIndex = index;
        msgLength = 0;
        return message(Type.BODY, index + length, 0);
    }

    /** Reads the fields of one message up to {@code end}; a message may not hold an end-group tag of its own. */
    private boolean message(Type type, int end, int depth) {
        while (position < end) {
            int tag = (int) readVarint(end);
            int field = tag >>> 3;
            if (badVarint || field == 0) {
                return false;
            }
            int wireType = tag & 7;
            if (wireType == WIRE_LENGTH_DELIMITED) {
                int length = (int) readVarint(end);
                if (badVarint || length < 0 || length > end - position) {
                    return false;
                }
                int start = position;
                position += length;
                if (!lengthDelimited(type, field, start, length, depth)) {
                    return false;
                }
            } else if (wireType == WIRE_VARINT && field == 1 && type != Type.BODY) {
                int value = (int) readVarint(end); // req_target.route_id, rsp_result.code
                if (badVarint) {
                    return false;
                }
                if (type == Type.RESPONSE) {
                    code = value;
                }
            } else if (wireType == WIRE_END_GROUP || !skip(wireType, field, end, depth)) {
                return false;
            }
        }
        return true;
    }

    /** A length-delimited field of {@code length} bytes at {@code start}; {@link #position} is already past it. */
    private boolean lengthDelimited(Type type, int field, int start, int length, int depth) {
        switch (type) {
            case BODY -> {
                switch (field) {
                    case 1 -> {
                        hasResult = false; // req_target and rsp_result are a oneof: the last one sent wins
                        return nested(Type.REQUEST, start, length, depth);
                    }
                    case 2 -> {
                        hasResult = true;
                        return nested(Type.RESPONSE, start, length, depth);
                    }
                    case 3 -> {
                        dataIndex = start;
                        dataLength = length;
                    }
                    case 5 -> {
                        return Utf8.isValid(buf, start, length); // trace_id
                    }
                    default -> {
                        // add_on (bytes) or an unknown field: any bytes
                    }
                }
            }
            case REQUEST -> {
                if (field == 2) {
                    return Utf8.isValid(buf, start, length); // route
                }
            }
            case RESPONSE -> {
                if (field == 2) {
                    msgIndex = start;
                    msgLength = length;
                }
            }
        }
        return true;
    }

    private boolean nested(Type type, int start, int length, int depth) {
        if (depth >= RECURSION_LIMIT) {
            return false;
        }
        int after = position;
        position = start;
        boolean valid = message(type, start + length, depth + 1);
        position = after;
        return valid;
    }

    /** Skips an unknown field's value; a group is read up to its matching end-group tag. */
    private boolean skip(int wireType, int field, int end, int depth) {
        switch (wireType) {
            case WIRE_VARINT -> skipUnknownVarint(end);
            case WIRE_FIXED64 -> position += 8;
            case WIRE_FIXED32 -> position += 4;
            case WIRE_LENGTH_DELIMITED -> {
                int length = (int) readVarint(end);
                if (badVarint || length < 0 || length > end - position) {
                    return false;
                }
                position += length;
            }
            case WIRE_START_GROUP -> {
                return depth < RECURSION_LIMIT && group(field, end, depth + 1);
            }
            default -> {
                return false; // a stray end-group, or wire type 6 or 7
            }
        }
        return !badVarint && position <= end;
    }

    /** The fields of a group (all unknown), up to the end-group tag of the same field number. */
    private boolean group(int field, int end, int depth) {
        while (position < end) {
            int tag = (int) readVarint(end);
            int inner = tag >>> 3;
            if (badVarint || inner == 0) {
                return false;
            }
            int wireType = tag & 7;
            if (wireType == WIRE_END_GROUP) {
                return inner == field;
            }
            if (!skip(wireType, inner, end, depth)) {
                return false;
            }
        }
        return false; // the input ended inside the group
    }

    /**
     * Skips the varint of an unknown field as protobuf-java reads it (as a 64-bit value, on a path of its own):
     * when at least ten bytes are left and the first nine continue, the tenth byte ends the varint whatever its
     * top bit if its lowest bit is set; otherwise the strict rule of {@link #readVarint} applies.
     */
    private void skipUnknownVarint(int end) {
        int start = position;
        if (end - start >= 10) {
            int continued = 0;
            while (continued < 9 && buf.getByte(start + continued) < 0) {
                continued++;
            }
            if (continued == 9 && (buf.getByte(start + 9) & 1) == 1) {
                position = start + 10;
                return;
            }
        }
        readVarint(end);
    }

    /**
     * Reads a varint of up to ten bytes, as protobuf does for tags, lengths and known integer fields (a 32-bit
     * value is the low 32 bits). Sets {@link #badVarint} when it is cut short by {@code end} or runs longer.
     */
    private long readVarint(int end) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= end) {
                badVarint = true;
                return 0;
            }
            byte b = buf.getByte(position++);
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
        badVarint = true;
        return 0;
    }

    /** A copy of the {@code data} bytes. */
    public byte[] data() {
        byte[] data = new byte[dataLength];
        buf.getBytes(dataIndex, data);
        return data;
    }

    /** Whether {@code rsp_result} is present (always so in a server's reply). */
    public boolean hasResult() {
        return hasResult;
    }

    /** {@code rsp_result.code}; 0 when absent. */
    public int code() {
        return hasResult ? code : 0;
    }

    /** A copy of the {@code rsp_result.msg} bytes; empty when absent. */
    public byte[] msg() {
        byte[] msg = new byte[hasResult ? msgLength : 0];
        buf.getBytes(msgIndex, msg);
        return msg;
    }
}
