package org.kimserver.config;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Real sockets in real folders: a home that fits, one too deep, and what a killed process left behind. */
public class RuntimeSocketTest {
    private Path top;
    private Path shortBase;
    private final List<Path> kept = new ArrayList<>();
    private final List<ServerSocketChannel> servers = new ArrayList<>();

    @Before
    public void folders() throws IOException {
        top = Files.createTempDirectory(Path.of("/tmp"), "krs");
        shortBase = Files.createDirectory(top.resolve("s"));
    }

    @After
    public void clean() throws IOException {
        for (ServerSocketChannel server : servers) {
            server.close();
        }
        try (Stream<Path> all = Files.walk(top)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private Path deepHome() throws IOException {
        return Files.createDirectories(top.resolve("x".repeat(60)).resolve("y".repeat(60)));
    }

    private RuntimeSocket place(Path home) throws IOException {
        return RuntimeSocket.place(home, "test.sock", List.of(shortBase.toString()), kept::add);
    }

    private ServerSocketChannel bind(Path socket) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        servers.add(server);
        server.bind(UnixDomainSocketAddress.of(socket));
        return server;
    }

    private static String permissions(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    public void aHomeThatFitsHasTheSocketInDataRunOwnerOnly() throws IOException {
        Path home = Files.createDirectory(top.resolve("home"));
        Files.createDirectories(home.resolve("data/run"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        RuntimeSocket place = place(home);
        assertEquals(home.resolve("data/run/test.sock"), place.link());
        assertEquals(place.link(), place.socket());
        assertFalse(place.isLinked());
        assertEquals("an open data/run is closed before the socket exists", "rwx------",
                permissions(home.resolve("data/run")));

        bind(place.socket());
        place.secureAndLink();
        assertEquals("rw-------", permissions(place.socket()));
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(place.link()))) {
            assertTrue(client.isConnected());
        }
        place.remove(kept::add);
        assertFalse(Files.exists(place.socket(), LinkOption.NOFOLLOW_LINKS));
        assertTrue(kept.isEmpty());
    }

    @Test
    public void aDeepHomeHasTheSocketInAShortOwnerOnlyFolderLinkedFromDataRun() throws IOException {
        Path home = deepHome();
        RuntimeSocket place = place(home);
        assertFalse(RuntimeSocket.fits(place.link()));
        assertTrue(place.isLinked());
        assertTrue(place.socket().toString(), RuntimeSocket.fits(place.socket()));
        Path folder = place.socket().getParent();
        assertEquals(shortBase, folder.getParent());
        assertTrue(folder.getFileName().toString().startsWith(RuntimeSocket.SHORT_FOLDER_PREFIX));
        assertEquals("owner-only from its creation", "rwx------", permissions(folder));
        assertFalse("no link before the socket exists", Files.exists(place.link(), LinkOption.NOFOLLOW_LINKS));

        bind(place.socket());
        place.secureAndLink();
        assertEquals(place.socket(), Files.readSymbolicLink(place.link()));
        assertEquals("rw-------", permissions(place.socket()));
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(place.socket()))) {
            assertTrue(client.isConnected());
        }

        place.remove(kept::add);
        assertFalse(Files.exists(place.link(), LinkOption.NOFOLLOW_LINKS));
        assertFalse("the short folder goes with the socket", Files.exists(folder));
        assertTrue(kept.isEmpty());
    }

    /** The kernel counts bytes: 100 characters that take two bytes each do not fit. */
    @Test
    public void theLimitIsInBytesNotCharacters() {
        // A string, not a Path: under a C locale the JVM cannot make a file name of it.
        String path = "/" + "é".repeat(100);
        assertEquals(101, path.length());
        assertFalse(RuntimeSocket.fits(path));
        assertTrue(RuntimeSocket.fits(Path.of("/" + "e".repeat(RuntimeSocket.MAX_PATH_BYTES - 1))));
        assertFalse(RuntimeSocket.fits(Path.of("/" + "e".repeat(RuntimeSocket.MAX_PATH_BYTES))));
    }

    @Test
    public void theFirstTemporaryDirectoryThatCanHoldTheSocketIsTaken() throws IOException {
        Path missing = top.resolve("missing");
        Path tooDeep = Files.createDirectories(top.resolve("z".repeat(100)));
        RuntimeSocket place = RuntimeSocket.place(deepHome(), "test.sock",
                List.of(missing.toString(), tooDeep.toString(), shortBase.toString()), kept::add);
        assertEquals(shortBase, place.socket().getParent().getParent());
        assertFalse(Files.exists(missing));
    }

    @Test
    public void whenNoTemporaryDirectoryCanHoldTheSocketItSaysWhich() throws IOException {
        Path home = deepHome();
        Path tooDeep = Files.createDirectories(top.resolve("z".repeat(100)));
        IOException e = assertThrows(IOException.class, () -> RuntimeSocket.place(home, "test.sock",
                List.of(tooDeep.toString()), kept::add));
        assertTrue(e.getMessage(), e.getMessage().contains(home.resolve("data/run/test.sock").toString()));
        assertTrue(e.getMessage(), e.getMessage().contains("longer than 107 bytes"));
        assertTrue(e.getMessage(), e.getMessage().contains(tooDeep.toString()));
        try (Stream<Path> left = Files.list(tooDeep)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    public void aFileLeftInDataRunIsReplaced() throws IOException {
        Path home = Files.createDirectory(top.resolve("home"));
        Files.createDirectories(home.resolve("data/run"));
        Files.writeString(home.resolve("data/run/test.sock"), "stale");
        RuntimeSocket place = place(home);
        bind(place.socket());
        place.secureAndLink();
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(place.link()))) {
            assertTrue(client.isConnected());
        }
    }

    /** A killed process removes nothing: its socket, link and short folder are found and removed by the next. */
    @Test
    public void theLinkAndShortFolderOfAKilledProcessAreRemoved() throws IOException {
        Path home = deepHome();
        RuntimeSocket killed = place(home);
        bind(killed.socket()).close();
        killed.secureAndLink();
        Path staleFolder = killed.socket().getParent();
        assertTrue(Files.exists(killed.socket(), LinkOption.NOFOLLOW_LINKS));

        RuntimeSocket next = place(home);
        assertFalse("the stale short folder is removed", Files.exists(staleFolder));
        assertFalse(Files.exists(next.link(), LinkOption.NOFOLLOW_LINKS));
        assertNotEquals(staleFolder, next.socket().getParent());
        bind(next.socket());
        next.secureAndLink();
        assertEquals(next.socket(), Files.readSymbolicLink(next.link()));
        try (Stream<Path> folders = Files.list(shortBase)) {
            assertEquals("only the new short folder", List.of(next.socket().getParent()), folders.toList());
        }
        assertTrue(kept.isEmpty());
    }

    /** Something else put in a short folder is not deleted with it: the folder stays and the caller is told. */
    @Test
    public void aShortFolderHoldingMoreThanTheSocketIsKeptAndReported() throws IOException {
        Path home = deepHome();
        RuntimeSocket killed = place(home);
        bind(killed.socket()).close();
        killed.secureAndLink();
        Path staleFolder = killed.socket().getParent();
        Path other = Files.writeString(staleFolder.resolve("other"), "not ours to delete");

        RuntimeSocket next = place(home);
        assertEquals(List.of(staleFolder), kept);
        assertTrue(Files.exists(other));
        assertFalse("the stale socket is removed all the same", Files.exists(killed.socket()));
        assertFalse(Files.exists(next.link(), LinkOption.NOFOLLOW_LINKS));
    }
}
