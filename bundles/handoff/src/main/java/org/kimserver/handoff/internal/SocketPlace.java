package org.kimserver.handoff.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the hand-off socket goes: {@code data/run/handoff.sock}, in a folder only the owning user can enter (the
 * socket is its own authentication, as the console's). The kernel takes a socket path of at most
 * {@value #MAX_SOCKET_PATH} bytes: when the home is too deep for that, the socket goes into a new owner-only folder
 * under a short temporary directory and {@code data/run/handoff.sock} is a symbolic link to it, for people to find;
 * the workers are given the real, short path.
 */
final class SocketPlace {
    static final String SOCKET_NAME = "handoff.sock";
    /** Linux's sun_path holds 108 bytes, the terminating NUL included. */
    static final int MAX_SOCKET_PATH = 107;
    /** The name every short socket folder starts with, so that a stale one can be recognised and removed. */
    static final String SHORT_FOLDER_PREFIX = "kimserver-handoff-";
    private static final Logger LOG = LoggerFactory.getLogger(SocketPlace.class);

    /** {@code data/run/handoff.sock} under the home (a socket or a link to one). */
    final Path link;
    /** The socket itself: {@link #link}, or a short path it links to. */
    final Path socket;

    private SocketPlace(Path link, Path socket) {
        this.link = link;
        this.socket = socket;
    }

    /**
     * Makes room for the socket under {@code home}: an owner-only {@code data/run}, and what a manager that was killed
     * left there removed. The socket is not created; {@link #secureAndLink} once it is.
     */
    static SocketPlace under(Path home) throws IOException {
        Path dir = home.resolve("data").resolve("run").toAbsolutePath().normalize();
        Files.createDirectories(dir);
        // Closed to everyone else before the socket exists: no window in which another user could connect.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path link = dir.resolve(SOCKET_NAME);
        remove(link);
        return new SocketPlace(link, fits(link) ? link : shortFolder().resolve(SOCKET_NAME));
    }

    static boolean fits(Path socket) {
        return socket.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH;
    }

    /** Once the socket exists: makes it owner-only, and links it from {@code data/run/} when it is elsewhere. */
    void secureAndLink() throws IOException {
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        if (!socket.equals(link)) {
            Files.createSymbolicLink(link, socket);
        }
    }

    /** Removes the socket, its link and its short folder. */
    void remove() {
        try {
            remove(link);
            remove(socket);
        } catch (IOException e) {
            LOG.warn("cannot remove the hand-off socket {}: {}", socket, e.toString());
        }
    }

    private static Path shortFolder() throws IOException {
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
                    && fits(dir.resolve(SHORT_FOLDER_PREFIX + "x".repeat(20)).resolve(SOCKET_NAME))) {
                return Files.createTempDirectory(dir, SHORT_FOLDER_PREFIX,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        }
        throw new IOException("the hand-off socket's path is longer than " + MAX_SOCKET_PATH
                + " bytes and no temporary directory (" + String.join(", ", bases) + ") can hold a shorter one");
    }

    /** Removes a socket, or a link to a socket in a short folder with that folder. */
    private static void remove(Path socket) throws IOException {
        if (Files.isSymbolicLink(socket)) {
            Path target = Files.readSymbolicLink(socket);
            Files.delete(socket);
            remove(target);
            return;
        }
        Files.deleteIfExists(socket);
        Path folder = socket.getParent();
        if (folder != null && folder.getFileName().toString().startsWith(SHORT_FOLDER_PREFIX)) {
            try {
                Files.deleteIfExists(folder);
            } catch (DirectoryNotEmptyException e) {
                LOG.warn("left {} in place: it holds more than the hand-off socket", folder);
            }
        }
    }
}
