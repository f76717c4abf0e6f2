package org.kimserver.bench;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Test;
import org.kimserver.wire.Frames;
import org.kimserver.wire.MsgBodyView;

/** kim-call against fake servers on loopback that answer right, wrong, partly or never. */
public class KimCallTest {
    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    /** What a fake server does with its one connection. */
    interface Behaviour {
        void serve(Socket socket, DataInputStream in, OutputStream out) throws Exception;
    }

    /** A request as the fake server read it. */
    record Request(int cmd, int seq, byte[] data) {
    }

    record Outcome(int status, String out, String err) {
    }

    @After
    public void closeServers() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    /** A server on a free loopback port that serves one connection on a daemon thread; returns the port. */
    private int serve(Behaviour behaviour) throws IOException {
        ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        toClose.add(server);
        Thread thread = new Thread(() -> {
            try (Socket socket = server.accept()) {
                toClose.add(socket);
                behaviour.serve(socket, new DataInputStream(socket.getInputStream()), socket.getOutputStream());
            } catch (Exception e) {
                // the test's client went away; its outcome is what the test checks
            }
        }, "fake-server");
        thread.setDaemon(true);
        thread.start();
        return server.getLocalPort();
    }

    private static Request readRequest(DataInputStream in) throws IOException {
        byte[] head = new byte[Frames.HEAD_LENGTH];
        in.readFully(head);
        ByteBuffer fields = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        int length = fields.getInt(11);
        byte[] body = new byte[length];
        in.readFully(body);
        MsgBodyView view = new MsgBodyView();
        assertTrue(view.parse(Unpooled.wrappedBuffer(body), 0, length));
        return new Request(fields.getInt(1), fields.getInt(6), view.data());
    }

    private static byte[] reply(int cmd, int seq, int code, String msg, byte[] data) {
        byte[] msgBytes = msg.getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = Unpooled.buffer();
        Frames.writeReply(frame, cmd, seq, code, msgBytes, data);
        byte[] bytes = new byte[frame.readableBytes()];
        frame.readBytes(bytes);
        return bytes;
    }

    /** Answers every request as a server would: cmd+1, the same seq, the data echoed, the given code. */
    private static Behaviour echo(int code) {
        return (socket, in, out) -> {
            while (true) {
                Request request = readRequest(in);
                out.write(reply(request.cmd() + 1, request.seq(), code, code == 0 ? "ok" : "failed", request.data()));
            }
        };
    }

    private static Outcome call(InputStream stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = KimCall.run(args, stdin, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Outcome call(String... args) {
        return call(InputStream.nullInputStream(), args);
    }

    @Test
    public void aGoodReplyIsPrintedAndExitsZero() throws Exception {
        CompletableFuture<Request> seen = new CompletableFuture<>();
        int port = serve((socket, in, out) -> {
            Request request = readRequest(in);
            seen.complete(request);
            out.write(reply(1002, request.seq(), 0, "ok", "good job!".getBytes(StandardCharsets.UTF_8)));
        });
        Outcome o = call("127.0.0.1", Integer.toString(port), "1001", "1 - hello");
        assertEquals(o.toString(), 0, o.status());
        assertTrue(o.out(), o.out().matches(
                "reply  cmd 1002, seq 1, [0-9.]+ ms\ncode   0\nmsg    ok\ndata   good job!\n"));
        assertEquals("", o.err());
        Request request = seen.get(5, TimeUnit.SECONDS);
        assertEquals(1001, request.cmd());
        assertEquals(1, request.seq());
        assertArrayEquals("1 - hello".getBytes(StandardCharsets.UTF_8), request.data());
    }

    @Test
    public void binaryDataFromStandardInputArrivesByteForByte() throws Exception {
        byte[] binary = new byte[300_000];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31);
        }
        CompletableFuture<byte[]> seen = new CompletableFuture<>();
        int port = serve((socket, in, out) -> {
            Request request = readRequest(in);
            seen.complete(request.data());
            out.write(reply(request.cmd() + 1, request.seq(), 0, "", request.data()));
        });
        Outcome o = call(new ByteArrayInputStream(binary), "--json", "127.0.0.1", Integer.toString(port), "7", "-");
        assertEquals(o.toString(), 0, o.status());
        assertArrayEquals(binary, seen.get(5, TimeUnit.SECONDS));
        assertTrue(o.out(), o.out().contains("\"data_base64\":true"));
    }

    @Test
    public void dataFromAFile() throws Exception {
        Path file = Files.createTempFile("kim-call", ".bin");
        toClose.add(() -> Files.delete(file));
        Files.write(file, new byte[] {0, 1, 2, (byte) 0xFF});
        CompletableFuture<byte[]> seen = new CompletableFuture<>();
        int port = serve((socket, in, out) -> {
            Request request = readRequest(in);
            seen.complete(request.data());
            out.write(reply(request.cmd() + 1, request.seq(), 0, "", new byte[] {0, (byte) 0xFF}));
        });
        Outcome o = call("127.0.0.1", Integer.toString(port), "7", "--data-file", file.toString());
        assertEquals(o.toString(), 0, o.status());
        assertArrayEquals(new byte[] {0, 1, 2, (byte) 0xFF}, seen.get(5, TimeUnit.SECONDS));
        assertTrue(o.out(), o.out().contains("data   hex 00ff (2 bytes, not UTF-8)\n"));
    }

    @Test
    public void aMissingDataFileIsABadArgument() {
        Outcome o = call("127.0.0.1", "1", "7", "--data-file", "/nonexistent/kim-call-data");
        assertEquals(o.toString(), 2, o.status());
        assertEquals("kim-call: cannot read /nonexistent/kim-call-data: no such file\n", o.err());
    }

    @Test
    public void badArgumentsPrintTheUsageAndExitTwo() {
        Outcome o = call("127.0.0.1", "1");
        assertEquals(2, o.status());
        assertTrue(o.err(), o.err().startsWith("kim-call: expected 3 or 4 arguments, got 2\nusage: kim-call "));
        assertEquals("", o.out());
    }

    @Test
    public void helpPrintsTheUsageAndExitsZero() {
        Outcome o = call("--help");
        assertEquals(0, o.status());
        assertTrue(o.out(), o.out().startsWith("usage: kim-call "));
        assertEquals("", o.err());
    }

    @Test
    public void anErrorCodeIsPrintedAndExitsOne() throws Exception {
        int port = serve(echo(4));
        Outcome o = call("127.0.0.1", Integer.toString(port), "1999");
        assertEquals(o.toString(), 1, o.status());
        assertTrue(o.out(), o.out().contains("code   4\nmsg    failed\n"));
    }

    @Test
    public void aReplyWithAnotherSeqIsAnError() throws Exception {
        int port = serve((socket, in, out) -> {
            Request request = readRequest(in);
            out.write(reply(request.cmd() + 1, request.seq() + 1, 0, "ok", new byte[0]));
        });
        Outcome o = call("127.0.0.1", Integer.toString(port), "1001", "--seq", "41");
        assertEquals(o.toString(), 1, o.status());
        assertEquals("kim-call: the reply does not match the request: cmd 1002 seq 42, expected cmd 1002 seq 41\n",
                o.err());
        assertEquals("", o.out());
    }

    @Test
    public void aReplyWithTheRequestsCmdIsAnError() throws Exception {
        int port = serve((socket, in, out) -> {
            Request request = readRequest(in);
            out.write(reply(request.cmd(), request.seq(), 0, "ok", new byte[0]));
        });
        Outcome o = call("127.0.0.1", Integer.toString(port), "1001");
        assertEquals(o.toString(), 1, o.status());
        assertEquals("kim-call: the reply does not match the request: cmd 1001 seq 1, expected cmd 1002 seq 1\n",
                o.err());
    }

    @Test
    public void aReplyWithoutRspResultIsAnError() throws Exception {
        int port = serve((socket, in, out) -> {
            Request request = readRequest(in);
            ByteBuf frame = Unpooled.buffer();
            Frames.writeRequest(frame, request.cmd() + 1, request.seq(), "no result".getBytes(StandardCharsets.UTF_8));
            out.write(frame.array(), frame.arrayOffset(), frame.readableBytes());
        });
        Outcome o = call("127.0.0.1", Integer.toString(port), "1001");
        assertEquals(o.toString(), 1, o.status());
        assertEquals("kim-call: the reply (cmd 1002 seq 1) has no rsp_result\n", o.err());
    }

    @Test
    public void aReplyThatIsNotAFrameIsAnError() throws Exception {
        int port = serve((socket, in, out) -> {
            readRequest(in);
            out.write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        });
        Outcome o = call("127.0.0.1", Integer.toString(port), "1001");
        assertEquals(o.toString(), 1, o.status());
        assertEquals("kim-call: the reply from 127.0.0.1:" + port + " is not a frame: its head is "
                + "48 54 54 50 2f 31 2e 31 20 34 30 30 20 42 61\n", o.err());
    }

    @Test
    public void aReplyWhoseBodyIsNotAMsgBodyIsAnError() throws Exception {
        int port = serve((socket, in, out) -> {
            Request request = readRequest(in);
            ByteBuf frame = Unpooled.buffer();
            Frames.writeHead(frame, request.cmd() + 1, request.seq(), 2);
            frame.writeByte(0x12).writeByte(0x05); // rsp_result claiming 5 bytes, with none after it
            out.write(frame.array(), frame.arrayOffset(), frame.readableBytes());
        });
        Outcome o = call("127.0.0.1", Integer.toString(port), "1001");
        assertEquals(o.toString(), 1, o.status());
        assertEquals("kim-call: the reply (cmd 1002 seq 1) has a body that is not a MsgBody: 12 05\n", o.err());
    }

    @Test
    public void aReplyAnnouncingAHugeBodyIsRefusedFromItsHead() throws Exception {
        int port = serve((socket, in, out) -> {
            Request request = readRequest(in);
            ByteBuf head = Unpooled.buffer();
            Frames.writeHead(head, request.cmd() + 1, request.seq(), Integer.MAX_VALUE);
            out.write(head.array(), head.arrayOffset(), head.readableBytes());
            Thread.sleep(10_000);
        });
        Outcome o = call("127.0.0.1", Integer.toString(port), "1001");
        assertEquals(o.toString(), 1, o.status());
        assertTrue(o.err(), o.err().contains("announces a body of 2147483647 bytes, more than kim-call reads"));
    }

    @Test
    public void aConnectionClosedWithoutAReplyExitsThree() throws Exception {
        int port = serve((socket, in, out) -> readRequest(in));
        Outcome o = call("127.0.0.1", Integer.toString(port), "1001");
        assertEquals(o.toString(), 3, o.status());
        assertEquals("kim-call: 127.0.0.1:" + port + " closed the connection without a reply\n", o.err());
    }

    @Test
    public void aConnectionClosedInTheMiddleOfTheReplySaysHowFarItGot() throws Exception {
        int port = serve((socket, in, out) -> {
            Request request = readRequest(in);
            out.write(reply(request.cmd() + 1, request.seq(), 0, "ok", new byte[0]), 0, 17);
        });
        Outcome o = call("127.0.0.1", Integer.toString(port), "1001");
        assertEquals(o.toString(), 3, o.status());
        assertEquals("kim-call: 127.0.0.1:" + port + " closed the connection without a reply (after 17 bytes of one)\n",
                o.err());
    }

    @Test
    public void aServerThatNeverAnswersExitsThreeAfterTheTimeout() throws Exception {
        int port = serve((socket, in, out) -> {
            readRequest(in);
            Thread.sleep(30_000);
        });
        long start = System.nanoTime();
        Outcome o = call("127.0.0.1", Integer.toString(port), "1001", "--timeout", "0.5");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(o.toString(), 3, o.status());
        assertEquals("kim-call: no reply from 127.0.0.1:" + port + " within 0.5 s\n", o.err());
        assertTrue(millis + " ms", millis >= 490 && millis < 5000);
    }

    @Test
    public void aServerThatDoesNotTakeTheRequestExitsThreeAfterTheTimeout() throws Exception {
        int port = serve((socket, in, out) -> Thread.sleep(30_000)); // reads nothing: the client's send blocks
        byte[] data = new byte[32 << 20];
        long start = System.nanoTime();
        Outcome o = call(new ByteArrayInputStream(data), "127.0.0.1", Integer.toString(port), "1001", "--timeout",
                "0.5", "-");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(o.toString(), 3, o.status());
        assertEquals("kim-call: no reply from 127.0.0.1:" + port + " within 0.5 s (it did not take the whole "
                + "request)\n", o.err());
        assertTrue(millis + " ms", millis < 5000);
    }

    @Test
    public void nothingListeningExitsThree() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Outcome o = call("127.0.0.1", Integer.toString(port), "1001");
        assertEquals(o.toString(), 3, o.status());
        assertEquals("kim-call: cannot connect to 127.0.0.1:" + port + ": connection refused\n", o.err());
    }

    @Test
    public void anUnknownHostExitsThree() {
        Outcome o = call("no-such-host.invalid", "1", "1001");
        assertEquals(o.toString(), 3, o.status());
        assertEquals("kim-call: cannot connect to no-such-host.invalid:1: unknown host\n", o.err());
    }

    @Test
    public void countSendsOneAfterAnotherWithTheNextSeqs() throws Exception {
        int port = serve(echo(0));
        Outcome o = call("--json", "--count", "3", "--seq", "9", "127.0.0.1", Integer.toString(port), "1001", "x");
        assertEquals(o.toString(), 0, o.status());
        List<String> lines = o.out().lines().toList();
        assertEquals(o.out(), 3, lines.size());
        for (int i = 0; i < 3; i++) {
            assertTrue(lines.get(i), lines.get(i).startsWith("{\"cmd\":1002,\"seq\":" + (9 + i) + ",\"code\":0,"));
        }
    }

    @Test
    public void countStopsAtTheFirstErrorCode() throws Exception {
        int port = serve((socket, in, out) -> {
            for (int code : new int[] {0, 1, 0}) {
                Request request = readRequest(in);
                out.write(reply(request.cmd() + 1, request.seq(), code, "", new byte[0]));
            }
        });
        Outcome o = call("--json", "--count", "3", "127.0.0.1", Integer.toString(port), "1001");
        assertEquals(o.toString(), 1, o.status());
        assertEquals(o.out(), 2, o.out().lines().count());
    }
}
