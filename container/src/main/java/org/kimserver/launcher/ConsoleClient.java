package org.kimserver.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code bin/kimserver console}: attaches to the running server's gogo shell through its Unix domain socket
 * (data/run/console.sock, readable by the owning user only). With a command it runs that command and exits 0 if
 * it succeeded, 1 if not; without one it is interactive until {@code exit} or end of input.
 *
 * <p>The server side is ConsoleSocketServer in the kimserver-shell bundle; the protocol is described there.
 */
public final class ConsoleClient {
    private static final String STATUS_PREFIX = "#kim-status ";

    private ConsoleClient() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ConsoleClient <socket> [command ...]");
            System.exit(1);
        }
        Path socket = Path.of(args[0]);
        if (!Files.exists(socket)) {
            System.err.println("kimserver: no console at " + socket + " (is the server running?)");
            System.exit(1);
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            if (args.length > 1) {
                System.exit(batch(channel, String.join(" ", Arrays.copyOfRange(args, 1, args.length))));
            }
            interactive(channel);
        } catch (IOException e) {
            System.err.println("kimserver: cannot attach to " + socket + ": " + e.getMessage());
            System.exit(1);
        }
    }

    private static int batch(SocketChannel channel, String command) throws IOException {
        write(channel, "batch\n" + command + "\n");
        channel.shutdownOutput();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (channel.read(buf) >= 0) {
            all.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        String text = all.toString(StandardCharsets.UTF_8);
        int status = text.lastIndexOf(STATUS_PREFIX);
        if (status < 0) {
            System.out.print(text);
            System.err.println("kimserver: the console closed before the command finished");
            return 1;
        }
        System.out.print(text.substring(0, status));
        return Integer.parseInt(text.substring(status + STATUS_PREFIX.length()).trim());
    }

    private static void interactive(SocketChannel channel) throws IOException {
        write(channel, "interactive\n");
        Thread input = Thread.ofPlatform().daemon().name("console-input").start(() -> {
            try {
                InputStream in = System.in;
                byte[] buf = new byte[4096];
                int n;
                while ((n = in.read(buf)) > 0) {
                    channel.write(ByteBuffer.wrap(buf, 0, n));
                }
                channel.shutdownOutput();
            } catch (IOException e) {
                // The server went away; the output side notices and ends the session.
            }
        });
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (channel.read(buf) >= 0) {
            System.out.write(buf.array(), 0, buf.position());
            System.out.flush();
            buf.clear();
        }
        input.interrupt();
    }

    private static void write(SocketChannel channel, String text) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }
}
