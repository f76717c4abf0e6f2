package org.kimserver.testkit;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.kimserver.proto.MsgBody;

/**
 * A blocking client of the wire protocol for tests, written from the original's byte layout with protobuf's own
 * classes, so that it checks the gate rather than sharing its code. {@link #call} sends one request and reads its
 * reply; for pipelining, {@link #send} several (built with {@link #request}) and {@link #read} their replies, which
 * come in request order.
 */
public final class WireClient implements Closeable {
    private final Socket socket;
    private final DataInputStream in;
    private int seq;

    /** One frame as read: its head's cmd and seq, its body, and every byte of it. */
    public record Frame(int cmd, int seq, MsgBody body, byte[] bytes) {
        /** {@code rsp_result.code}: 0 success, 4 no handler, ... (org.kimserver.api.ErrorCode). */
        public int code() {
            return body.getRspResult().getCode();
        }

        /** {@code rsp_result.msg}. */
        public String msg() {
            return body.getRspResult().getMsg().toStringUtf8();
        }

        /** {@code data} as UTF-8 text. */
        public String data() {
            return body.getData().toStringUtf8();
        }
    }

    /** Connects to 127.0.0.1:{@code port}; a read waits up to 5 s. */
    public WireClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(5000);
        in = new DataInputStream(socket.getInputStream());
    }

    /**
     * Sends {@code cmd} with {@code data} (UTF-8) under the next seq of this connection and reads the reply.
     *
     * @throws AssertionError when the reply is not cmd+1 with the same seq
     */
    public Frame call(int cmd, String data) throws IOException {
        int mine = ++seq;
        Frame reply = send(request(cmd, mine, data)).read();
        if (reply.cmd() != cmd + 1 || reply.seq() != mine) {
            throw new AssertionError("sent cmd " + cmd + " seq " + mine + ", got cmd " + reply.cmd() + " seq "
                    + reply.seq());
        }
        return reply;
    }

    /** Bytes from text such as {@code "0D E9 03 00 00"}. */
    public static byte[] hex(String hex) {
        return HexFormat.ofDelimiter(" ").parseHex(hex);
    }

    /** Bytes as upper-case hex, space-separated. */
    public static String hex(byte[] bytes) {
        return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(bytes);
    }

    /** A frame: the 15-byte head, then {@code body} (a serialized MsgBody, or any bytes). */
    public static byte[] frame(int cmd, int seq, byte[] body) {
        ByteBuffer head = ByteBuffer.allocate(15 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        head.put((byte) 0x0D).putInt(cmd).put((byte) 0x15).putInt(seq).put((byte) 0x1D).putInt(body.length);
        return head.put(body).array();
    }

    /** A request frame whose MsgBody carries {@code data} (UTF-8). */
    public static byte[] request(int cmd, int seq, String data) {
        return frame(cmd, seq, MsgBody.newBuilder().setData(com.google.protobuf.ByteString.copyFromUtf8(data))
                .build().toByteArray());
    }

    /** The parts one after another. */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** How long a read may wait (5 s unless set). */
    public WireClient readTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
        return this;
    }

    /** Writes {@code bytes} as they are (frames, parts of frames, garbage). */
    public WireClient send(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return this;
    }

    /** Reads exactly {@code count} bytes. */
    public byte[] readBytes(int count) throws IOException {
        byte[] bytes = new byte[count];
        in.readFully(bytes);
        return bytes;
    }

    /** Reads one frame; the head must have the layout's tags. */
    public Frame read() throws IOException {
        return read(in);
    }

    /** Reads one frame from any stream (a socket set up by a test itself); the head must have the layout's tags. */
    public static Frame read(InputStream in) throws IOException {
        byte[] head = in.readNBytes(15);
        if (head.length < 15) {
            throw new EOFException("the stream ended inside a head");
        }
        if (head[0] != 0x0D || head[5] != 0x15 || head[10] != 0x1D) {
            throw new AssertionError("malformed reply head " + hex(head));
        }
        ByteBuffer fields = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        byte[] body = in.readNBytes(fields.getInt(11));
        if (body.length < fields.getInt(11)) {
            throw new EOFException("the stream ended inside a body");
        }
        return new Frame(fields.getInt(1), fields.getInt(6), MsgBody.parseFrom(body), concat(head, body));
    }

    /** Whether the server closes the connection within the timeout, sending nothing more first. */
    public boolean closedByServer(int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        try {
            int next = in.read();
            if (next != -1) {
                throw new AssertionError("expected the connection to close, got byte " + next);
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException | EOFException e) {
            return true; // reset by the server
        } finally {
            socket.setSoTimeout(5000);
        }
    }

    /** The connection's input, for reads of a test's own. */
    public InputStream input() {
        return in;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** {@code text} as UTF-8. */
    public static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
