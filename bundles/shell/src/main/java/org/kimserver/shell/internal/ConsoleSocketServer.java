package org.kimserver.shell.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console that {@code bin/kimserver console} attaches to: a gogo session over a Unix domain socket at
 * {@code data/run/console.sock}. No network port is opened; the socket and its folder are readable by the
 * owning OS user only, which is the authentication.
 *
 * <p>Protocol (line based, UTF-8): the client's first line is {@value #MODE_INTERACTIVE} or {@value #MODE_BATCH};
 * then one command a line. Interactive sessions get a prompt; batch sessions end with a line
 * {@value #STATUS_PREFIX}&lt;0|1&gt; telling whether every command succeeded. The launcher's ConsoleClient is the
 * other end.
 */
@Component(immediate = true, service = {})
public final class ConsoleSocketServer {
    static final String MODE_INTERACTIVE = "interactive";
    static final String MODE_BATCH = "batch";
    static final String STATUS_PREFIX = "#kim-status ";
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleSocketServer.class);

    @Reference
    private CommandProcessor processor;

    private Path socketFile;
    private ServerSocketChannel server;

    @Activate
    void activate(BundleContext context) throws IOException {
        String home = context.getProperty("kimserver.home");
        if (home == null) {
            throw new IllegalStateException("framework property kimserver.home is not set");
        }
        Path dir = Path.of(home, "data", "run");
        Files.createDirectories(dir);
        // The folder is closed to everyone else before the socket exists, so there is no window in which another
        // user could connect.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        socketFile = dir.resolve("console.sock");
        Files.deleteIfExists(socketFile);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketFile));
        Files.setPosixFilePermissions(socketFile, PosixFilePermissions.fromString("rw-------"));
        Thread.ofPlatform().name("kimserver-console-accept").daemon().start(this::acceptLoop);
        LOG.info("console listening on {}", socketFile);
    }

    @Deactivate
    void deactivate() throws IOException {
        server.close();
        Files.deleteIfExists(socketFile);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                Thread.ofVirtual().name("kimserver-console-session").start(() -> serve(client));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("console accept failed", e);
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                    StandardCharsets.UTF_8));
            OutputStream raw = Channels.newOutputStream(client);
            PrintStream out = new PrintStream(raw, true, StandardCharsets.UTF_8);
            boolean batch = MODE_BATCH.equals(in.readLine());
            CommandSession session = processor.createSession(InputStream.nullInputStream(), out, out);
            boolean allSucceeded = true;
            try {
                allSucceeded = runCommands(session, in, out, batch);
            } finally {
                session.close();
            }
            if (batch) {
                out.println(STATUS_PREFIX + (allSucceeded ? 0 : 1));
            }
        } catch (IOException e) {
            LOG.debug("console session ended: {}", e.toString());
        }
    }

    private static boolean runCommands(CommandSession session, BufferedReader in, PrintStream out, boolean batch)
            throws IOException {
        boolean allSucceeded = true;
        while (true) {
            if (!batch) {
                out.print("kim> ");
                out.flush();
            }
            String line = in.readLine();
            if (line == null || line.strip().equals("exit") || line.strip().equals("logout")) {
                return allSucceeded;
            }
            if (line.isBlank()) {
                continue;
            }
            try {
                Object result = session.execute(line);
                if (result != null) {
                    out.println(session.format(result, Converter.INSPECT));
                }
            } catch (Exception e) {
                allSucceeded = false;
                out.println("error: " + e.getMessage());
            }
        }
    }
}
