package org.kimserver.shell.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.felix.service.command.CommandProcessor;
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
 * <p>The kernel takes a socket path of at most {@value #MAX_SOCKET_PATH} bytes. When the home is too deep for
 * that, the socket goes into a new owner-only folder under a short temporary directory and the socket's name in
 * {@code data/run} is a symbolic link to it; the client connects through the link by a relative path, which is
 * short. When the console cannot listen, {@code data/run/console.error} ({@code console-w<n>.error} for a worker)
 * says why, for the client to show.
 */
@Component(immediate = true, service = {})
public final class ConsoleSocketServer {
    /** Linux's sun_path holds 108 bytes, the terminating NUL included. */
    static final int MAX_SOCKET_PATH = 107;
    /** The name every short socket folder starts with, so a stale one can be recognised and removed. */
    static final String SHORT_FOLDER_PREFIX = "kimserver-";
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleSocketServer.class);

    @Reference
    private CommandProcessor processor;

    private Path link;
    private Path socketFile;
    private ServerSocketChannel server;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();

    @Activate
    void activate(BundleContext context) throws IOException {
        String home = context.getProperty("kimserver.home");
        if (home == null) {
            throw new IllegalStateException("framework property kimserver.home is not set");
        }
        Path dir = Path.of(home, "data", "run").toAbsolutePath().normalize();
        Files.createDirectories(dir);
        // The folder is closed to everyone else before the socket exists, so there is no window in which another
        // user could connect.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        String name = baseName(context.getProperty("kimserver.process"));
        link = dir.resolve(name + ".sock");
        Path errorFile = dir.resolve(name + ".error");
        Files.deleteIfExists(errorFile);
        socketFile = link;
        try {
            removeSocket(link);
            if (!fits(link)) {
                socketFile = shortFolder(link.getFileName().toString()).resolve(link.getFileName());
            }
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socketFile));
            Files.setPosixFilePermissions(socketFile, PosixFilePermissions.fromString("rw-------"));
            if (!socketFile.equals(link)) {
                Files.createSymbolicLink(link, socketFile);
            }
        } catch (IOException | RuntimeException e) {
            String reason = "the console cannot listen on " + socketFile + ": " + e;
            Files.writeString(errorFile, reason + "\n", StandardCharsets.UTF_8);
            if (server != null) {
                server.close();
            }
            throw new IOException(reason, e);
        }
        Thread.ofPlatform().name("kimserver-console-accept").daemon().start(this::acceptLoop);
        LOG.info("console listening on {}{}", link, socketFile.equals(link) ? "" : " (a link to " + socketFile + ")");
    }

    /** Closes the sessions too: a command that runs (kim:log -f) is interrupted, no thread stays behind. */
    @Deactivate
    void deactivate() throws IOException {
        server.close();
        for (SocketChannel client : clients) {
            client.close();
        }
        removeSocket(link);
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

    static boolean fits(Path socket) {
        return socket.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH;
    }

    /**
     * A new folder, readable by this user only from its creation, under the first temporary directory whose
     * socket path fits.
     */
    private static Path shortFolder(String socketName) throws IOException {
        List<String> bases = new ArrayList<>();
        String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
        if (runtimeDir != null && !runtimeDir.isEmpty()) {
            bases.add(runtimeDir);
        }
        bases.add(System.getProperty("java.io.tmpdir"));
        bases.add("/tmp");
        for (String base : bases) {
            Path dir = Path.of(base).toAbsolutePath();
            // createTempDirectory adds at most 20 characters to the prefix.
            if (Files.isDirectory(dir) && Files.isWritable(dir)
                    && fits(dir.resolve(SHORT_FOLDER_PREFIX + "x".repeat(20)).resolve(socketName))) {
                return Files.createTempDirectory(dir, SHORT_FOLDER_PREFIX,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        }
        throw new IOException("the socket path is longer than " + MAX_SOCKET_PATH
                + " bytes and no temporary directory (" + String.join(", ", bases) + ") can hold a shorter one");
    }

    /**
     * Removes a socket, or a link to a socket in a short folder with that folder: what a server that was killed
     * may have left behind.
     */
    private static void removeSocket(Path socket) throws IOException {
        if (Files.isSymbolicLink(socket)) {
            Path target = Files.readSymbolicLink(socket);
            Files.delete(socket);
            removeSocket(target);
            return;
        }
        Files.deleteIfExists(socket);
        Path folder = socket.getParent();
        if (folder != null && folder.getFileName().toString().startsWith(SHORT_FOLDER_PREFIX)) {
            try {
                Files.deleteIfExists(folder);
            } catch (DirectoryNotEmptyException e) {
                LOG.warn("left {} in place: it holds more than the console socket", folder);
            }
        }
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
