package org.kimserver.supervisor.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the control socket goes: {@code data/run/control.sock} in an owner-only folder when that path fits the
 * kernel's {@value #MAX_SOCKET_PATH} bytes; otherwise a new owner-only folder under a short temporary directory,
 * with {@code data/run/control.sock} a symbolic link to it (the console socket's rule), and the workers are given
 * the short path.
 */
final class ControlSocketPath {
    static final String SOCKET_NAME = "control.sock";
    /** Linux's sun_path holds 108 bytes, the terminating NUL included. */
    static final int MAX_SOCKET_PATH = 107;
    static final String SHORT_FOLDER_PREFIX = "kimserver-";

    private ControlSocketPath() {
    }

    /** The socket path to bind, with the link in data/run made if it is elsewhere; stale ones removed. */
    static Path prepare(Path home) throws IOException {
        Path dir = home.resolve("data").resolve("run").toAbsolutePath().normalize();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path link = dir.resolve(SOCKET_NAME);
        remove(link);
        if (fits(link)) {
            return link;
        }
        Path socket = shortFolder().resolve(SOCKET_NAME);
        Files.createSymbolicLink(link, socket);
        return socket;
    }

    /** Removes the socket, or the link in data/run with the short folder it points to. */
    static void remove(Path socketOrLink) throws IOException {
        if (Files.isSymbolicLink(socketOrLink)) {
            Path target = Files.readSymbolicLink(socketOrLink);
            Files.delete(socketOrLink);
            remove(target);
            return;
        }
        Files.deleteIfExists(socketOrLink);
        Path folder = socketOrLink.getParent();
        if (folder != null && folder.getFileName().toString().startsWith(SHORT_FOLDER_PREFIX)
                && Files.isDirectory(folder)) {
            try (var entries = Files.list(folder)) {
                if (entries.findAny().isEmpty()) {
                    Files.delete(folder);
                }
            }
        }
    }

    static boolean fits(Path socket) {
        return socket.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH;
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
        throw new IOException("the control socket's path is longer than " + MAX_SOCKET_PATH
                + " bytes and no temporary directory (" + String.join(", ", bases) + ") can hold a shorter one");
    }
}
