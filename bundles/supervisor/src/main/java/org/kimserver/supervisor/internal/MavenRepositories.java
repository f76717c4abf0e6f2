package org.kimserver.supervisor.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the bundles of a bundle set and of {@code kim:install mvn:...} come from: the local Maven repository, and
 * else the remote repositories of {@code maven_repositories}, in their order, whose download is kept in the local
 * repository (checked against the repository's SHA-1 when it has one), as Maven keeps it.
 */
final class MavenRepositories {
    private static final Logger LOG = LoggerFactory.getLogger(MavenRepositories.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DOWNLOAD_TIMEOUT = Duration.ofMinutes(2);

    private final Path local;
    private final List<URI> remotes;
    private final HttpClient http;

    /**
     * @param local   the local repository
     * @param remotes the remote repositories' root URLs, http or https
     */
    MavenRepositories(Path local, List<URI> remotes) {
        this.local = local;
        this.remotes = List.copyOf(remotes);
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /** The local repository of {@code configured}: {@code ~/.m2/repository} when empty. */
    static Path localRepository(String configured) {
        return configured.isEmpty() ? Path.of(System.getProperty("user.home"), ".m2", "repository")
                : Path.of(configured);
    }

    /**
     * The artifact's file in the local repository, downloaded first if it is not there.
     *
     * @throws IOException saying where it was looked for and why each place did not have it
     */
    Path fetch(MavenCoordinates artifact) throws IOException, InterruptedException {
        Path file = artifact.in(local);
        if (Files.isRegularFile(file)) {
            return file;
        }
        List<String> tried = new ArrayList<>();
        tried.add("not in the local repository " + local);
        if (artifact.snapshot()) {
            throw new IOException(artifact + ": " + tried.getFirst() + " (a SNAPSHOT comes from the local"
                    + " repository only)");
        }
        for (URI remote : remotes) {
            String base = remote.toString().endsWith("/") ? remote.toString() : remote + "/";
            URI uri = URI.create(base + artifact.path());
            try {
                download(uri, file);
                LOG.info("{}: downloaded from {}", artifact, uri);
                return file;
            } catch (IOException e) {
                tried.add(e.getMessage());
            }
        }
        throw new IOException(artifact + ": " + String.join("; ", tried)
                + (remotes.isEmpty() ? " (no maven_repositories configured)" : ""));
    }

    private void download(URI uri, Path file) throws IOException, InterruptedException {
        Files.createDirectories(file.getParent());
        Path part = file.resolveSibling("." + file.getFileName() + ".part");
        try {
            HttpResponse<Path> response = http.send(HttpRequest.newBuilder(uri).timeout(DOWNLOAD_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofFile(part));
            if (response.statusCode() != 200) {
                throw new IOException(uri + ": HTTP " + response.statusCode());
            }
            String expected = sha1Of(uri);
            if (expected != null && !expected.equalsIgnoreCase(sha1(part))) {
                throw new IOException(uri + ": its SHA-1 is not the repository's (" + expected + ")");
            }
            Files.move(part, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(uri.toString()) ? e
                    : new IOException(uri + ": " + e, e);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /** The repository's SHA-1 of the file at {@code uri}, or null when it has none. */
    private String sha1Of(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(uri + ".sha1"))
                .timeout(DOWNLOAD_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            return null;
        }
        String body = response.body().strip();
        int space = body.indexOf(' ');
        return space < 0 ? body : body.substring(0, space); // some repositories add the file name
    }

    static String sha1(Path file) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-1");
            return HexFormat.of().formatHex(digest.digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
