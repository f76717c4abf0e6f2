package org.kimserver.supervisor.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Fetching from the local repository, and from a remote one served over real HTTP on loopback. */
public class MavenRepositoriesTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private HttpServer server;
    private Path remote;
    private Path local;

    @Before
    public void serveARepository() throws IOException {
        remote = folder.newFolder("remote").toPath();
        local = folder.newFolder("local").toPath();
        server = SimpleFileServer.createFileServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), remote,
                SimpleFileServer.OutputLevel.NONE);
        server.start();
    }

    @After
    public void stop() {
        server.stop(0);
    }

    private URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** A bundle jar at {@code path} of the remote repository, with its .sha1 if asked; its bytes. */
    private byte[] publish(String path, boolean withSha1) throws IOException {
        Path file = TestJars.bundle(remote.resolve(path), "lib", "1.0.0", Map.of());
        if (withSha1) {
            Files.writeString(file.resolveSibling(file.getFileName() + ".sha1"),
                    MavenRepositories.sha1(file) + "  " + file.getFileName());
        }
        return Files.readAllBytes(file);
    }

    private void assertNothingKept() throws IOException {
        try (var files = Files.walk(local)) {
            assertEquals("nothing kept, no part left", 0, files.filter(Files::isRegularFile).count());
        }
    }

    @Test
    public void anArtifactMissingLocallyIsDownloadedCheckedAndKeptInTheLocalRepository() throws Exception {
        byte[] bytes = publish("org/example/lib/1.0.0/lib-1.0.0.jar", true);
        MavenRepositories repositories = new MavenRepositories(local, List.of(url()));
        Path fetched = repositories.fetch(MavenCoordinates.parse("mvn:org.example/lib/1.0.0"));
        assertEquals(local.resolve("org/example/lib/1.0.0/lib-1.0.0.jar"), fetched);
        assertArrayEquals(bytes, Files.readAllBytes(fetched));
        server.stop(0);
        assertEquals("the second fetch is local", fetched,
                repositories.fetch(MavenCoordinates.parse("mvn:org.example/lib/1.0.0")));
    }

    @Test
    public void aDownloadWhoseSha1IsNotTheRepositorysIsNotKept() throws Exception {
        publish("org/example/lib/1.0.0/lib-1.0.0.jar", false);
        Files.writeString(remote.resolve("org/example/lib/1.0.0/lib-1.0.0.jar.sha1"),
                "0000000000000000000000000000000000000000");
        MavenRepositories repositories = new MavenRepositories(local, List.of(url()));
        IOException e = assertThrows(IOException.class,
                () -> repositories.fetch(MavenCoordinates.parse("mvn:org.example/lib/1.0.0")));
        assertTrue(e.getMessage(), e.getMessage().matches(".*lib-1\\.0\\.0\\.jar: its SHA-1 [0-9a-f]{40} is not the"
                + " repository's 0{40}"));
        assertNothingKept();
    }

    @Test
    public void whatIsNoJarOrNoSha1IsRefusedAndNotKept() throws Exception {
        Path page = remote.resolve("org/example/lib/1.0.0/lib-1.0.0.jar");
        Files.createDirectories(page.getParent());
        Files.writeString(page, "<html>not here</html>");
        Files.writeString(page.resolveSibling("lib-1.0.0.jar.sha1"), MavenRepositories.sha1(page));
        MavenRepositories repositories = new MavenRepositories(local, List.of(url()));
        IOException e = assertThrows(IOException.class,
                () -> repositories.fetch(MavenCoordinates.parse("mvn:org.example/lib/1.0.0")));
        assertTrue(e.getMessage(), e.getMessage().endsWith("lib-1.0.0.jar: what came is not a jar (21 bytes)"));
        Files.writeString(page.resolveSibling("lib-1.0.0.jar.sha1"), "<html>no sha1</html>");
        e = assertThrows(IOException.class,
                () -> repositories.fetch(MavenCoordinates.parse("mvn:org.example/lib/1.0.0")));
        assertTrue(e.getMessage(), e.getMessage().endsWith("lib-1.0.0.jar.sha1 is no SHA-1: it begins \"<html>no sha1</html>\""));
        assertNothingKept();
    }

    @Test
    public void anArtifactNowhereSaysWhereItWasLookedFor() throws Exception {
        URI down = URI.create("http://someone:secret@127.0.0.1:1/maven2/");
        MavenRepositories repositories = new MavenRepositories(local, List.of(url(), down));
        IOException e = assertThrows(IOException.class,
                () -> repositories.fetch(MavenCoordinates.parse("mvn:org.example/lib/1.0.0")));
        assertEquals("mvn:org.example/lib/1.0.0: not in the local repository " + local + "; " + url()
                + "/org/example/lib/1.0.0/lib-1.0.0.jar: HTTP 404; http://127.0.0.1:1/maven2/org/example/lib/1.0.0/"
                + "lib-1.0.0.jar: cannot connect", e.getMessage());
    }

    @Test
    public void aSnapshotComesFromTheLocalRepositoryOnly() throws Exception {
        publish("org/example/lib/1.0-SNAPSHOT/lib-1.0-SNAPSHOT.jar", false);
        MavenRepositories repositories = new MavenRepositories(local, List.of(url()));
        IOException e = assertThrows(IOException.class,
                () -> repositories.fetch(MavenCoordinates.parse("mvn:org.example/lib/1.0-SNAPSHOT")));
        assertTrue(e.getMessage(), e.getMessage().endsWith("(a SNAPSHOT comes from the local repository only)"));
    }

    @Test
    public void coordinatesAreCheckedBeforeAnythingIsLookedFor() {
        assertEquals("mvn:org.example/lib/1.0.0/jar/tests",
                MavenCoordinates.parse("mvn:org.example/lib/1.0.0/jar/tests").toString());
        assertEquals("org/example/lib/1.0.0/lib-1.0.0-tests.jar",
                MavenCoordinates.parse("mvn:org.example/lib/1.0.0/jar/tests").path());
        for (String bad : List.of("org.example/lib/1.0.0", "mvn:org.example/lib", "mvn:org.example/../../etc/1",
                "mvn:org.example/lib/1.0.0/jar/x/y", "mvn:org.example//1.0.0", "mvn:org.example/lib/.hidden")) {
            assertThrows(bad, IllegalArgumentException.class, () -> MavenCoordinates.parse(bad));
        }
    }

    @Test
    public void theLocalRepositoryIsTheUsersByDefaultAndARelativeOneIsInTheServerHome() {
        Path user = Path.of(System.getProperty("user.home"));
        Path home = Path.of("/srv/kimserver");
        assertEquals(user.resolve(".m2/repository"), MavenRepositories.localRepository("", home));
        assertEquals(user.resolve("repo"), MavenRepositories.localRepository("~/repo", home));
        assertEquals(home.resolve("data/m2"), MavenRepositories.localRepository("data/m2", home));
        assertEquals(Path.of("/var/m2"), MavenRepositories.localRepository("/var/m2", home));
    }
}
