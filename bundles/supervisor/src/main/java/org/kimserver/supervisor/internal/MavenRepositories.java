package org.kimserver.supervisor.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the bundles of a bundle set and of {@code kim:install mvn:...} come from: the local Maven repository, and
 * else the remote repositories of {@code maven_repositories}, in their order, whose download is kept in the local
 * repository (checked against the repository's SHA-1 when it has one), as Maven keeps it.
 */
final class MavenRepositories {
    private static final Logger LOG = LoggerFactory.getLogger(MavenRepositories.class);
    /** How long a connection to a repository may take. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** How long one file may take to download, whole: deploy/ changes wait for a set's fetch. */
    static final Duration DOWNLOAD_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern SHA1 = Pattern.compile("[0-9a-fA-F]{40}");

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

    /**
     * The local repository {@code configured}: {@code ~/.m2/repository} when empty; a leading {@code ~/} is the
     * user's home, and a relative path is taken from the server's {@code home}.
     */
    static Path localRepository(String configured, Path home) {
        Path user = Path.of(System.getProperty("user.home"));
        if (configured.isEmpty()) {
            return user.resolve(".m2").resolve("repository");
        }
        return configured.equals("~") ? user : configured.startsWith("~/") ? user.resolve(configured.substring(2))
                : home.resolve(configured);
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
                LOG.info("{}: downloaded from {}", artifact, shown(uri));
                return file;
            } catch (IOException e) {
                tried.add(e.getMessage());
            }
        }
        throw new IOException(artifact + ": " + String.join("; ", tried)
                + (remotes.isEmpty() ? " (no maven_repositories configured)" : ""));
    }

    private void download(URI uri, Path file) throws IOException, InterruptedException {
        String where = shown(uri);
        Files.createDirectories(file.getParent());
        Path part = file.resolveSibling("." + file.getFileName() + ".part");
        try {
            HttpResponse<Path> response = get(uri, HttpResponse.BodyHandlers.ofFile(part));
            if (response.statusCode() != 200) {
                throw new IOException(where + ": HTTP " + response.statusCode());
            }
            String expected = sha1Of(uri);
            String actual = sha1(part);
            if (expected != null && !expected.equalsIgnoreCase(actual)) {
                throw new IOException(where + ": its SHA-1 " + actual + " is not the repository's " + expected);
            }
            try (ZipFile zip = new ZipFile(part.toFile())) {
                zip.size(); // a page of an HTML "repository", a cut download: not kept
            } catch (IOException e) {
                throw new IOException(where + ": what came is not a jar (" + Files.size(part) + " bytes)");
            }
            Files.move(part, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /** The repository's SHA-1 of the file at {@code uri}, or null when it has none. */
    private String sha1Of(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response = get(URI.create(uri + ".sha1"), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            return null;
        }
        String body = response.body().strip();
        int space = body.indexOf(' ');
        String sha1 = space < 0 ? body : body.substring(0, space); // some repositories add the file name
        if (!SHA1.matcher(sha1).matches()) {
            throw new IOException(shown(uri) + ".sha1 is no SHA-1: it begins \""
                    + body.substring(0, Math.min(body.length(), 20)).replaceAll("\\s", " ") + "\"");
        }
        return sha1;
    }

    /** One GET, bounded in time as a whole: a repository that accepts and never answers holds nothing for long. */
    private <T> HttpResponse<T> get(URI uri, HttpResponse.BodyHandler<T> body) throws IOException,
            InterruptedException {
        CompletableFuture<HttpResponse<T>> response = http.sendAsync(HttpRequest.newBuilder(uri)
                .timeout(DOWNLOAD_TIMEOUT).build(), body);
        try {
            return response.get(DOWNLOAD_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            response.cancel(true);
            throw new IOException(shown(uri) + ": no whole answer within " + DOWNLOAD_TIMEOUT.toSeconds() + " s");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new IOException(shown(uri) + ": " + (cause instanceof ConnectException ? "cannot connect"
                    : cause instanceof HttpTimeoutException ? "no answer within " + DOWNLOAD_TIMEOUT.toSeconds() + " s"
                    : cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
        }
    }

    /** {@code uri} as messages show it: without a user and password it may hold. */
    static String shown(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri.toString();
        }
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                + uri.getRawPath();
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
