package org.kimserver.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The place of a process's Unix domain socket (console, control, hand-off): {@code data/run/<name>} under the
 * server's home, in a folder only the owning user can enter, which is the socket's authentication.
 *
 * <p>The kernel takes a socket path of at most {@value #MAX_PATH_BYTES} bytes. When the home is too deep for that,
 * the socket goes into a new owner-only folder under a short temporary directory ({@code $XDG_RUNTIME_DIR}, then
 * {@code java.io.tmpdir}, then {@code /tmp}) and {@code data/run/<name>} is a symbolic link to it, for clients that
 * connect by a relative path and for people to find. Such a folder's name starts with {@value #SHORT_FOLDER_PREFIX},
 * so that the one a killed process left behind is recognised and removed with its link.
 *
 * <p>No logging here: the class is also on the launcher's class path, outside OSGi. A short folder that holds more
 * than the socket is left in place and handed to the caller to report.
 */
public final class RuntimeSocket {
    /** Linux's sun_path holds 108 bytes, the terminating NUL included. */
    public static final int MAX_PATH_BYTES = 107;
    /** The name every short socket folder starts with. */
    public static final String SHORT_FOLDER_PREFIX = "kimserver-";
    /** {@link java.nio.file.Files#createTempDirectory} adds at most this many characters to the prefix. */
    private static final int TEMP_SUFFIX_CHARS = 20;

    private final Path link;
    private final Path socket;

    private RuntimeSocket(Path link, Path socket) {
        this.link = link;
        this.socket = socket;
    }

    /**
     * Makes room for the socket {@code data/run/<fileName>} under {@code home}: an owner-only {@code data/run},
     * what a process that was killed left there removed, and a short folder if the path does not fit. The socket
     * is not created: bind {@link #socket()}, then call {@link #secureAndLink()}.
     *
     * @param keptFolder told of a stale short folder left in place because it holds more than the socket
     * @throws IOException also when the path does not fit and no temporary directory can hold a shorter one
     */
    public static RuntimeSocket place(Path home, String fileName, Consumer<Path> keptFolder) throws IOException {
        List<String> bases = new ArrayList<>();
        String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
        if (runtimeDir != null && !runtimeDir.isEmpty()) {
            bases.add(runtimeDir);
        }
        bases.add(System.getProperty("java.io.tmpdir"));
        bases.add("/tmp");
        return place(home, fileName, bases, keptFolder);
    }

    /** {@link #place(Path, String, Consumer)} with the temporary directories to try, in order. */
    static RuntimeSocket place(Path home, String fileName, List<String> shortBases, Consumer<Path> keptFolder)
            throws IOException {
        Path dir = home.resolve("data").resolve("run").toAbsolutePath().normalize();
        Files.createDirectories(dir);
        // Closed to everyone else before the socket exists: no window in which another user could connect.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path link = dir.resolve(fileName);
        remove(link, keptFolder);
        if (fits(link)) {
            return new RuntimeSocket(link, link);
        }
        return new RuntimeSocket(link, shortFolder(link, shortBases).resolve(fileName));
    }

    /** {@code data/run/<name>} under the home: the socket, or a link to it. */
    public Path link() {
        return link;
    }

    /** The path to bind: {@link #link()}, or a short path it links to. */
    public Path socket() {
        return socket;
    }

    /** Whether the socket is elsewhere than {@link #link()}, in a short folder. */
    public boolean isLinked() {
        return !socket.equals(link);
    }

    /** Once the socket exists: makes it owner-only, and links it from {@code data/run/} when it is elsewhere. */
    public void secureAndLink() throws IOException {
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        if (isLinked()) {
            Files.createSymbolicLink(link, socket);
        }
    }

    /**
     * Removes the socket, its link and its short folder.
     *
     * @param keptFolder told of the short folder if it is left in place because it holds more than the socket
     */
    public void remove(Consumer<Path> keptFolder) throws IOException {
        remove(link, keptFolder);
        remove(socket, keptFolder);
    }

    /** Whether the kernel takes {@code socket} as a socket path. */
    public static boolean fits(Path socket) {
        return fits(socket.toString());
    }

    /** The same for a path's text, counted in the UTF-8 bytes the kernel is given. */
    static boolean fits(String socket) {
        return socket.getBytes(StandardCharsets.UTF_8).length <= MAX_PATH_BYTES;
    }

    /** A new folder, owner-only from its creation, under the first of {@code bases} where the socket path fits. */
    private static Path shortFolder(Path link, List<String> bases) throws IOException {
        String socketName = link.getFileName().toString();
        for (String base : bases) {
            Path dir = Path.of(base).toAbsolutePath();
            if (Files.isDirectory(dir) && Files.isWritable(dir)
                    && fits(dir.resolve(SHORT_FOLDER_PREFIX + "x".repeat(TEMP_SUFFIX_CHARS)).resolve(socketName))) {
                return Files.createTempDirectory(dir, SHORT_FOLDER_PREFIX,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        }
        throw new IOException("the socket path " + link + " is longer than " + MAX_PATH_BYTES
                + " bytes and no temporary directory (" + String.join(", ", bases) + ") can hold a shorter one");
    }

    /** Removes a socket, or a link to a socket in a short folder with that folder. */
    private static void remove(Path socketOrLink, Consumer<Path> keptFolder) throws IOException {
        if (Files.isSymbolicLink(socketOrLink)) {
            Path target = Files.readSymbolicLink(socketOrLink);
            Files.delete(socketOrLink);
            remove(target, keptFolder);
            return;
        }
        Files.deleteIfExists(socketOrLink);
        Path folder = socketOrLink.getParent();
        if (folder != null && folder.getFileName() != null
                && folder.getFileName().toString().startsWith(SHORT_FOLDER_PREFIX)) {
            try {
                Files.deleteIfExists(folder);
            } catch (DirectoryNotEmptyException e) {
                keptFolder.accept(folder);
            }
        }
    }
}
