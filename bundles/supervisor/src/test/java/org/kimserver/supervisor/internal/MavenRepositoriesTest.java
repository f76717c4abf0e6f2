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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    private byte[] publish(String path, String content, boolean withSha1) throws IOException {
        Path file = remote.resolve(path);
        Files.createDirectories(file.getParent());
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Files.write(file, bytes);
        if (withSha1) {
            Files.writeString(file.resolveSibling(file.getFileName() + ".sha1"),
                    MavenRepositories.sha1(file) + "  " + file.getFileName());
        }
        return bytes;
    }

    @Test
    public void anArtifactMissingLocallyIsDownloadedCheckedAndKeptInTheLocalRepository() throws Exception {
        byte[] bytes = publish("org/example/lib/1.0.0/lib-1.0.0.jar", "the bytes of a jar", true);
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
        publish("org/example/lib/1.0.0/lib-1.0.0.jar", "the bytes of a jar", false);
        Files.writeString(remote.resolve("org/example/lib/1.0.0/lib-1.0.0.jar.sha1"),
                "0000000000000000000000000000000000000000");
        MavenRepositories repositories = new MavenRepositories(local, List.of(url()));
        IOException e = assertThrows(IOException.class,
                () -> repositories.fetch(MavenCoordinates.parse("mvn:org.example/lib/1.0.0")));
        assertTrue(e.getMessage(), e.getMessage().contains("lib-1.0.0.jar: its SHA-1 is not the repository's"));
        try (var files = Files.walk(local)) {
            assertEquals("nothing kept, no part left", 0, files.filter(Files::isRegularFile).count());
        }
    }

    @Test
    public void anArtifactNowhereSaysWhereItWasLookedFor() throws Exception {
        URI down = URI.create("http://127.0.0.1:1/maven2/");
        MavenRepositories repositories = new MavenRepositories(local, List.of(url(), down));
        IOException e = assertThrows(IOException.class,
                () -> repositories.fetch(MavenCoordinates.parse("mvn:org.example/lib/1.0.0")));
        assertTrue(e.getMessage(), e.getMessage().startsWith("mvn:org.example/lib/1.0.0: not in the local repository "
                + local + "; " + url() + "/org/example/lib/1.0.0/lib-1.0.0.jar: HTTP 404; http://127.0.0.1:1/maven2/"
                + "org/example/lib/1.0.0/lib-1.0.0.jar: "));
    }

    @Test
    public void aSnapshotComesFromTheLocalRepositoryOnly() throws Exception {
        publish("org/example/lib/1.0-SNAPSHOT/lib-1.0-SNAPSHOT.jar", "remote", false);
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
}
