package org.kimserver.wire;

import io.netty.buffer.ByteBuf;

/**
 * Reads a {@code MsgBody} in place: checks that the bytes are well-formed protobuf and records where {@code data}
 * and {@code rsp_result{code, msg}} are, without copying. One instance is reused for many bodies by one thread.
 *
 * <p>Fields other than {@code data} and {@code rsp_result} ({@code req_target}, {@code add_on}, {@code trace_id},
 * unknown ones) are skipped after their bounds are checked, as protobuf's parser keeps them as opaque bytes.
 */
public final class MsgBodyView {
    private ByteBuf buf;
    private int dataIndex;
    private int dataLength;
    private boolean hasResult;
    private int code;
    private int msgIndex;
    private int msgLength;
    private int position;

    /**
     * Parses {@code length} bytes at {@code index} of {@code buf}.
     *
     * @return {@code false} if they are not a well-formed message (truncated field, bad varint, field number 0,
     *         group or unknown wire type)
     */
    public boolean parse(ByteBuf buf, int index, int length) {
        this.buf = buf;
        dataIndex = index;
        dataLength = 0;
        hasResult = false;
        code = 0;
        msgIndex = index;
        msgLength = 0;
        position = index;
        int end = index + length;
        while (position < end) {
            int tag = readTag(end);
            if (tag < 0) {
                return false;
            }
            int field = tag >>> 3;
            int wireType = tag & 7;
            if (wireType == 2) {
                int len = readLength(end);
                if (len < 0) {
                    return false;
                }
                int fieldIndex = position;
                position += len;
                if (field == 3) {
                    dataIndex = fieldIndex;
                    dataLength = len;
                } else if (field == 2) {
                    if (!parseResult(fieldIndex, position)) {
                        return false;
                    }
                } else if (field == 1) {
                    hasResult = false; // req_target and rsp_result are a oneof: the last one wins
                }
            } else if (!skip(wireType, end)) {
                return false;
            }
        }
        return true;
    }

    private boolean parseResult(int start, int end) {
        int outer = position;
        position = start;
        hasResult = true;
        code = 0;
        msgIndex = start;
        msgLength = 0;
        while (position < end) {
            int tag = readTag(end);
            if (tag < 0) {
                return false;
            }
            int field = tag >>> 3;
            int wireType = tag & 7;
            if (field == 1 && wireType == 0) {
                long value = readVarint(end);
                if (value == -1 && position > end) {
                    return false;
                }
                code = (int) value;
            } else if (field == 2 && wireType == 2) {
                int len = readLength(end);
                if (len < 0) {
                    return false;
                }
                msgIndex = position;
                msgLength = len;
                position += len;
            } else if (!skip(wireType, end)) {
                return false;
            }
        }
        position = outer;
        return true;
    }

    private boolean skip(int wireType, int end) {
        switch (wireType) {
            case 0 -> {
                readVarint(end);
                return position <= end;
            }
            case 1 -> position += 8;
            case 5 -> position += 4;
            default -> {
                return false;
            }
        }
        return position <= end;
    }

    /** Reads a field tag; -1 if it is malformed or names field number 0. */
    private int readTag(int end) {
        long tag = readVarint(end);
        return tag < 0 || tag > Integer.MAX_VALUE || (tag >>> 3) == 0 ? -1 : (int) tag;
    }

    /** Reads the length of a length-delimited field; -1 if it is malformed or runs past {@code end}. */
    private int readLength(int end) {
        long len = readVarint(end);
        return len < 0 || len > end - position ? -1 : (int) len;
    }

    /**
     * Reads a varint of up to ten bytes. On truncation or an over-long varint, moves {@link #position} past
     * {@code end} and returns -1, which every caller checks (a real value of -1 is only possible for a ten-byte
     * varint, and then the position is within bounds).
     */
    private long readVarint(int end) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= end) {
                position = end + 1;
                return -1;
            }
            byte b = buf.getByte(position++);
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
        position = end + 1;
        return -1;
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
        return code;
    }

    /** A copy of the {@code rsp_result.msg} bytes. */
    public byte[] msg() {
        byte[] msg = new byte[msgLength];
        buf.getBytes(msgIndex, msg);
        return msg;
    }
}
