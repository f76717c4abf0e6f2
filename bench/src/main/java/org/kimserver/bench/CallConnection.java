package org.kimserver.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.Closeable;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.kimserver.wire.Frames;
import org.kimserver.wire.MsgBodyView;

/**
 * kim-call's connection: one request at a time, each answered by one reply. Non-blocking under a selector, so that
 * every step (connect, writing a request the server does not take, waiting for the reply) ends at its deadline.
 */
final class CallConnection implements Closeable {
    /** The largest reply body read; a larger announced length is refused before anything is allocated. */
    static final int MAX_REPLY_BODY = 64 << 20;

    private final String address;
    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final MsgBodyView body = new MsgBodyView();

    private CallConnection(String address, SocketChannel channel, Selector selector) throws IOException {
        this.address = address;
        this.channel = channel;
        this.selector = selector;
        key = channel.register(selector, 0);
    }

    /** Connects to {@code host:port} within {@code timeoutNanos}. */
    static CallConnection open(String host, int port, String address, long timeoutNanos) throws CallFailure {
        long deadline = System.nanoTime() + timeoutNanos;
        InetSocketAddress target = new InetSocketAddress(host, port);
        if (target.isUnresolved()) {
            throw new CallFailure(CallFailure.NO_REPLY, "cannot connect to " + address + ": unknown host");
        }
        SocketChannel channel = null;
        Selector selector = null;
        try {
            channel = SocketChannel.open();
            selector = Selector.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            CallConnection connection = new CallConnection(address, channel, selector);
            if (!channel.connect(target)) {
                while (!channel.finishConnect()) {
                    if (!connection.await(SelectionKey.OP_CONNECT, deadline)) {
                        throw new CallFailure(CallFailure.NO_REPLY, "cannot connect to " + address
                                + ": no answer within " + seconds(timeoutNanos));
                    }
                }
            }
            return connection;
        } catch (ConnectException e) {
            close(channel, selector);
            throw new CallFailure(CallFailure.NO_REPLY, "cannot connect to " + address + ": "
                    + e.getMessage().toLowerCase(Locale.ROOT));
        } catch (IOException e) {
            close(channel, selector);
            throw new CallFailure(CallFailure.NO_REPLY, "cannot connect to " + address + ": " + e.getMessage());
        } catch (CallFailure e) {
            close(channel, selector);
            throw e;
        }
    }

    /**
     * Sends a request of {@code cmd} with {@code data} and reads its reply; both within {@code timeoutNanos} of
     * the start of sending. The reply must be cmd+1 with the request's seq and hold an {@code rsp_result}.
     */
    CallReply call(int cmd, int seq, byte[] data, long timeoutNanos) throws CallFailure {
        ByteBuf request = Unpooled.buffer(Frames.requestFrameSize(data.length));
        Frames.writeRequest(request, cmd, seq, data);
        ByteBuffer out = request.nioBuffer();
        String noReply = "no reply from " + address + " within " + seconds(timeoutNanos);
        long start = System.nanoTime(); // the elapsed time is the exchange's, not the encoding's
        long deadline = start + timeoutNanos;
        try {
            while (out.hasRemaining()) {
                if (channel.write(out) == 0 && !await(SelectionKey.OP_WRITE, deadline)) {
                    throw new CallFailure(CallFailure.NO_REPLY, noReply + " (it did not take the whole request)");
                }
            }
            ByteBuffer head = ByteBuffer.allocate(Frames.HEAD_LENGTH);
            read(head, deadline, noReply, 0);
            ByteBuf headBuf = Unpooled.wrappedBuffer(head.array());
            if (!Frames.hasHeadTags(headBuf, 0)) {
                throw new CallFailure(CallFailure.BAD_REPLY, "the reply from " + address
                        + " is not a frame: its head is " + HexFormat.ofDelimiter(" ").formatHex(head.array()));
            }
            int replyCmd = Frames.cmd(headBuf, 0);
            int replySeq = Frames.seq(headBuf, 0);
            int length = Math.max(0, Frames.bodyLength(headBuf, 0)); // zero or below: an empty body, as the original
            if (length > MAX_REPLY_BODY) {
                throw new CallFailure(CallFailure.BAD_REPLY, "the reply from " + address + " announces a body of "
                        + length + " bytes, more than kim-call reads (" + MAX_REPLY_BODY + ")");
            }
            ByteBuffer bodyBytes = ByteBuffer.allocate(length);
            read(bodyBytes, deadline, noReply, Frames.HEAD_LENGTH);
            long elapsed = System.nanoTime() - start;
            String which = "cmd " + Integer.toUnsignedString(replyCmd) + " seq " + Integer.toUnsignedString(replySeq);
            if (replyCmd != cmd + 1 || replySeq != seq) {
                throw new CallFailure(CallFailure.BAD_REPLY, "the reply does not match the request: " + which
                        + ", expected cmd " + Integer.toUnsignedString(cmd + 1) + " seq "
                        + Integer.toUnsignedString(seq));
            }
            if (!body.parse(Unpooled.wrappedBuffer(bodyBytes.array()), 0, length)) {
                throw new CallFailure(CallFailure.BAD_REPLY, "the reply (" + which + ") has a body that is not a "
                        + "MsgBody: " + HexFormat.ofDelimiter(" ").formatHex(bodyBytes.array(), 0, Math.min(length, 64))
                        + (length > 64 ? " ..." : ""));
            }
            if (!body.hasResult()) {
                throw new CallFailure(CallFailure.BAD_REPLY, "the reply (" + which + ") has no rsp_result");
            }
            return new CallReply(replyCmd, replySeq, body.code(), body.msg(), body.data(), elapsed);
        } catch (IOException e) {
            // A server that closes a connection with a request still unread in it makes the kernel reset it.
            String hint = String.valueOf(e.getMessage()).contains("reset") ? " (the server closed the connection"
                    + " before reading the whole request: a kimserver gate does so after a frame above its"
                    + " max_frame_size or a malformed one; its kim:stats counts them)" : "";
            throw new CallFailure(CallFailure.NO_REPLY, "no reply from " + address + ": " + e.getMessage() + hint);
        }
    }

    /** Fills {@code buffer}; {@code before} is how many bytes of the reply came before it, for the message. */
    private void read(ByteBuffer buffer, long deadline, String noReply, int before) throws IOException, CallFailure {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer);
            if (n < 0) {
                int got = before + buffer.position();
                throw new CallFailure(CallFailure.NO_REPLY, address + " closed the connection without a reply"
                        + (got > 0 ? " (after " + got + " bytes of one)" : ""));
            }
            if (n == 0 && !await(SelectionKey.OP_READ, deadline)) {
                throw new CallFailure(CallFailure.NO_REPLY, noReply);
            }
        }
    }

    /** Waits until the channel is ready for {@code op}; false when the deadline passed first. */
    private boolean await(int op, long deadline) throws IOException {
        key.interestOps(op);
        while (true) {
            long millis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (millis <= 0) {
                return false;
            }
            int ready = selector.select(millis); // 0 with time left: a spurious wake-up, wait again
            selector.selectedKeys().clear();
            if (ready > 0) {
                return true;
            }
        }
    }

    private static String seconds(long nanos) {
        return BigDecimal.valueOf(nanos).movePointLeft(9).stripTrailingZeros().toPlainString() + " s";
    }

    @Override
    public void close() {
        close(channel, selector);
    }

    private static void close(Closeable... closeables) {
        for (Closeable closeable : closeables) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (IOException e) {
                // closing after the result is known: nothing left to report
            }
        }
    }
}
