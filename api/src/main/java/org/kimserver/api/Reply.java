package org.kimserver.api;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What a {@link CommandHandler} answers: the body's {@code rsp_result{code, msg}} and {@code data}. Immutable, so a
 * handler may return the same instance for every request.
 */
public final class Reply {
    private static final byte[] EMPTY = new byte[0];

    private final int code;
    private final byte[] msg;
    private final byte[] data;

    private Reply(int code, byte[] msg, byte[] data) {
        this.code = code;
        this.msg = msg;
        this.data = data;
    }

    /** A reply with code 0. */
    public static Reply ok(String msg, String data) {
        return new Reply(ErrorCode.OK.code(), utf8(msg), utf8(data));
    }

    /** A reply with code 0 and binary data (a serialized protobuf message, say). */
    public static Reply ok(String msg, byte[] data) {
        return new Reply(ErrorCode.OK.code(), utf8(msg), data.clone());
    }

    /** A reply with the given code. */
    public static Reply of(ErrorCode code, String msg, String data) {
        return new Reply(code.code(), utf8(msg), utf8(data));
    }

    /** A reply with any code, including application codes outside {@link ErrorCode}. */
    public static Reply of(int code, byte[] msg, byte[] data) {
        return new Reply(code, msg.clone(), data.clone());
    }

    private static byte[] utf8(String text) {
        return text == null || text.isEmpty() ? EMPTY : text.getBytes(StandardCharsets.UTF_8);
    }

    public int code() {
        return code;
    }

    /** The message bytes; do not modify. */
    public byte[] msgBytes() {
        return msg;
    }

    /** The data bytes; do not modify. */
    public byte[] dataBytes() {
        return data;
    }

    public String msg() {
        return new String(msg, StandardCharsets.UTF_8);
    }

    public String data() {
        return new String(data, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "Reply{code=" + code + ", msg=" + msg() + ", data=" + data.length + " bytes}";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Reply r && r.code == code && Arrays.equals(r.msg, msg)
                && Arrays.equals(r.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * code + Arrays.hashCode(msg)) + Arrays.hashCode(data);
    }
}
