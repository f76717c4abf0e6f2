package org.kimserver.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.kimserver.wire.Frames;

/**
 * Hostile and careless clients, for {@code bench/abuse.sh}: each attack runs for a bounded time against a
 * kimserver on loopback and prints one {@code ABUSE} line with what it managed (bytes sent, connections made,
 * closed by the server). The attacks are the ones the gate was hardened against:
 * <ul>
 * <li>{@code never-read}: pipelines hello (1001) requests and never reads a reply;</li>
 * <li>{@code never-read-blocking}: the same with 1007, whose handler runs on the blocking path;</li>
 * <li>{@code slow-bytes}: sends the first bytes of a frame, one byte per connection every {@code --interval-ms};</li>
 * <li>{@code partial-large}: announces a 1 MB body and trickles it at 1 KB per connection per second;</li>
 * <li>{@code malformed}: new connections, each sending a malformed head, as fast as they close.</li>
 * </ul>
 * Usage: {@code KimAbuse <attack> <host> <port> <connections> <seconds> [--interval-ms N]}.
 */
public final class KimAbuse {
    private final String host;
    private final int port;
    private final int connections;
    private final long endNanos;
    private final long intervalMillis;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong closedByServer = new AtomicLong();

    private KimAbuse(String host, int port, int connections, double seconds, long intervalMillis) {
        this.host = host;
        this.port = port;
        this.connections = connections;
        this.endNanos = System.nanoTime() + (long) (seconds * 1e9);
        this.intervalMillis = intervalMillis;
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out));
    }

    static int run(String[] args, PrintStream out) throws Exception {
        if (args.length < 5) {
            out.println("usage: KimAbuse <never-read|never-read-blocking|slow-bytes|partial-large|malformed> <host>"
                    + " <port> <connections> <seconds> [--interval-ms N]");
            return 2;
        }
        long interval = args.length >= 7 && args[5].equals("--interval-ms") ? Long.parseLong(args[6]) : 1000;
        KimAbuse abuse = new KimAbuse(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                Double.parseDouble(args[4]), interval);
        switch (args[0]) {
            case "never-read" -> abuse.neverRead(1001, user -> "1 - hello");
            case "never-read-blocking" -> abuse.neverRead(1007,
                    user -> "{\"user_id\":" + user + ",\"user_name\":\"hello - " + user + "\"}");
            case "slow-bytes" -> abuse.slowBytes();
            case "partial-large" -> abuse.partialLarge();
            case "malformed" -> abuse.malformed();
            default -> {
                out.println("unknown attack " + args[0]);
                return 2;
            }
        }
        out.printf(Locale.ROOT, "ABUSE attack=%s connections=%d sent_bytes=%d closed_by_server=%d%n", args[0],
                abuse.opened.get(), abuse.sent.get(), abuse.closedByServer.get());
        return 0;
    }

    private boolean running() {
        return System.nanoTime() < endNanos;
    }

    private List<SocketChannel> connectAll() throws IOException {
        List<SocketChannel> channels = new ArrayList<>();
        for (int i = 0; i < connections && running(); i++) {
            try {
                SocketChannel channel = SocketChannel.open(new InetSocketAddress(host, port));
                channel.configureBlocking(false);
                channels.add(channel);
                opened.incrementAndGet();
            } catch (IOException e) {
                closedByServer.incrementAndGet(); // refused
            }
        }
        return channels;
    }

    /** Writes what fits without blocking; {@code false} once the server has closed the connection. */
    private boolean write(SocketChannel channel, ByteBuffer bytes) {
        try {
            sent.addAndGet(channel.write(bytes));
            return true;
        } catch (IOException e) {
            closedByServer.incrementAndGet();
            return false;
        }
    }

    /** @param data the request data of each connection, by its number from 1 */
    private void neverRead(int cmd, IntFunction<String> data) throws Exception {
        List<SocketChannel> channels = connectAll();
        List<ByteBuffer> bursts = new ArrayList<>();
        for (int user = 1; user <= channels.size(); user++) {
            ByteBuf frames = Unpooled.buffer();
            for (int seq = 1; seq <= 1000; seq++) {
                Frames.writeRequest(frames, cmd, seq, data.apply(user).getBytes(StandardCharsets.UTF_8));
            }
            byte[] burst = new byte[frames.readableBytes()];
            frames.readBytes(burst);
            bursts.add(ByteBuffer.wrap(burst));
        }
        while (running() && !channels.isEmpty()) {
            for (int i = channels.size() - 1; i >= 0; i--) {
                ByteBuffer burst = bursts.get(i);
                if (!burst.hasRemaining()) {
                    burst.rewind();
                }
                if (!write(channels.get(i), burst)) {
                    channels.remove(i).close();
                    bursts.remove(i);
                }
            }
            Thread.sleep(1);
        }
        closeAll(channels);
    }

    private void slowBytes() throws Exception {
        ByteBuf frame = Unpooled.buffer();
        Frames.writeRequest(frame, 1001, 1, "a frame that is never whole".getBytes(StandardCharsets.UTF_8));
        List<SocketChannel> channels = connectAll();
        int at = 0;
        while (running() && !channels.isEmpty()) {
            byte next = frame.getByte(at++ % frame.readableBytes());
            for (int i = channels.size() - 1; i >= 0; i--) {
                if (!write(channels.get(i), ByteBuffer.wrap(new byte[] {next}))) {
                    channels.remove(i).close();
                }
            }
            sleepUntilNextRound();
        }
        closeAll(channels);
    }

    private void partialLarge() throws Exception {
        ByteBuf head = Unpooled.buffer();
        Frames.writeHead(head, 1001, 1, 1_000_000);
        byte[] start = new byte[head.readableBytes()];
        head.readBytes(start);
        List<SocketChannel> channels = connectAll();
        List<SocketChannel> started = new ArrayList<>();
        for (SocketChannel channel : channels) {
            if (write(channel, ByteBuffer.wrap(start))) {
                started.add(channel);
            } else {
                channel.close();
            }
        }
        byte[] trickle = new byte[1024];
        trickle[0] = 0x1A; // the data field's tag, then anything
        while (running() && !started.isEmpty()) {
            for (int i = started.size() - 1; i >= 0; i--) {
                if (!write(started.get(i), ByteBuffer.wrap(trickle))) {
                    started.remove(i).close();
                }
            }
            sleepUntilNextRound();
        }
        closeAll(started);
    }

    private void malformed() throws Exception {
        byte[] bad = new byte[Frames.HEAD_LENGTH];
        bad[0] = 0x0D; // the other tags are missing
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < connections; t++) {
            Thread thread = Thread.ofPlatform().start(() -> {
                ByteBuffer ignored = ByteBuffer.allocate(64);
                while (running()) {
                    try (SocketChannel channel = SocketChannel.open(new InetSocketAddress(host, port))) {
                        opened.incrementAndGet();
                        sent.addAndGet(channel.write(ByteBuffer.wrap(bad)));
                        while (channel.read(ignored.clear()) >= 0) {
                            // until the server's close
                        }
                        closedByServer.incrementAndGet();
                    } catch (IOException e) {
                        closedByServer.incrementAndGet();
                    }
                }
            });
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
    }

    /** Sleeps out the rest of the round ({@code --interval-ms}), or until the attack's end. */
    private void sleepUntilNextRound() throws InterruptedException {
        long until = Math.min(endNanos, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(intervalMillis));
        long left = until - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private static void closeAll(List<SocketChannel> channels) throws IOException {
        for (SocketChannel channel : channels) {
            channel.close();
        }
    }
}
