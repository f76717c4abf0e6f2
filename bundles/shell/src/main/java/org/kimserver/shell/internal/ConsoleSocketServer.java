package org.kimserver.shell.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.felix.service.command.CommandProcessor;
import org.kimserver.config.RuntimeSocket;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console that {@code bin/kimserver console} attaches to: gogo sessions over a Unix domain socket, one for
 * each process: {@code data/run/console.sock} for the manager (M0), {@code data/run/console-w<n>.sock} for worker
 * n. No network port is opened; the socket and its folder are readable by the owning OS user only, which is the
 * authentication. The protocol is described in {@link ConsoleSession}.
 *
 * <p>When the home is too deep for the kernel's limit on a socket path, the socket goes into a short folder and the
 * socket's name in {@code data/run} is a symbolic link to it ({@link RuntimeSocket}); the client connects through
 * the link by a relative path, which is short. When the console cannot listen, {@code data/run/console.error}
 * ({@code console-w<n>.error} for a worker) says why, for the client to show.
 */
@Component(immediate = true, service = {})
public final class ConsoleSocketServer {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleSocketServer.class);

    @Reference
    private CommandProcessor processor;

    private RuntimeSocket place;
    private ServerSocketChannel server;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();

    @Activate
    void activate(BundleContext context) throws IOException {
        String home = context.getProperty("kimserver.home");
        if (home == null) {
            throw new IllegalStateException("framework property kimserver.home is not set");
        }
        String name = baseName(context.getProperty("kimserver.process"));
        Path dir = Path.of(home, "data", "run").toAbsolutePath().normalize();
        Path socketFile = dir.resolve(name + ".sock");
        Path errorFile = dir.resolve(name + ".error");
        try {
            place = RuntimeSocket.place(Path.of(home), name + ".sock", ConsoleSocketServer::keptFolder);
            Files.deleteIfExists(errorFile);
            socketFile = place.socket();
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socketFile));
            place.secureAndLink();
        } catch (IOException | RuntimeException e) {
            String reason = "the console cannot listen on " + socketFile + ": " + e;
            Files.createDirectories(dir);
            Files.writeString(errorFile, reason + "\n", StandardCharsets.UTF_8);
            if (server != null) {
                server.close();
            }
            throw new IOException(reason, e);
        }
        Thread.ofPlatform().name("kimserver-console-accept").daemon().start(this::acceptLoop);
        LOG.info("console listening on {}{}", place.link(), place.isLinked() ? " (a link to " + socketFile + ")" : "");
    }

    /** Closes the sessions too: a command that runs (kim:log -f) is interrupted, no thread stays behind. */
    @Deactivate
    void deactivate() throws IOException {
        server.close();
        for (SocketChannel client : clients) {
            client.close();
        }
        place.remove(ConsoleSocketServer::keptFolder);
    }

    private static void keptFolder(Path folder) {
        LOG.warn("left {} in place: it holds more than the console socket", folder);
    }

    /**
     * The name of a process's socket and error file without their extension: {@code console} for the manager
     * (M0, or no tag: a framework not started by the launcher), {@code console-w<n>} for worker n (W&lt;n&gt;).
     */
    static String baseName(String processTag) {
        if (processTag == null || processTag.equals("M0")) {
            return "console";
        }
        if (!processTag.matches("W[1-9][0-9]{0,8}")) {
            throw new IllegalArgumentException("framework property kimserver.process is not a process tag (M0, W1,"
                    + " W2, ...): '" + processTag + "'");
        }
        return "console-w" + processTag.substring(1);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                clients.add(client);
                Thread.ofVirtual().name("kimserver-console-session").start(() -> {
                    try {
                        new ConsoleSession(processor, client).run();
                    } finally {
                        clients.remove(client);
                    }
                });
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("console accept failed", e);
            }
        }
    }
}
