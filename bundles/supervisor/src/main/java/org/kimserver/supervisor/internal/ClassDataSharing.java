package org.kimserver.supervisor.internal;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.kimserver.api.diag.Problem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Class data sharing for the workers, so that a worker that replaces one that died starts faster: the classes its
 * JVM loads (the JDK's, lib/'s and, as JDK 25 archives those of other class loaders too, the bundles') are read from
 * an archive, mapped from data/cds/, instead of parsed and verified again.
 *
 * <p>The archive is made for one JDK, one lib/ and system/ and one set of JVM options (its name carries a digest of
 * them), so a new build, JDK or worker_java_opts gets a new one and never a stale one. While there is none, one
 * worker at a time is started to write it as its JVM exits ({@code -XX:ArchiveClassesAtExit}, into a part this
 * class moves in place when that process ended with exit code 0): at a stop of the server, a reload that replaces
 * it, or a smaller worker_cnt; a worker killed writes none, and the next one started is asked instead. (Writing it
 * from a running worker, {@code jcmd VM.cds dynamic_dump}, crashed that worker later in JDK 25.0.3, in its lookup
 * of archived lambda classes.) A worker that finds its archive unusable (damaged) removes it, and the next worker
 * started writes it again. After {@link #ATTEMPTS} workers asked to write one have exited without it (not killed),
 * no more are asked until the manager's next start. Options of the user's own about class data sharing or the AOT cache (in
 * worker_java_opts or the manager's) turn this off: {@code -Xshare:off} is how.
 */
final class ClassDataSharing {
    /** Tells a worker the archive it was started from, for it to check that its JVM could use it. */
    static final String ARCHIVE_PROPERTY = "kimserver.cds.archive";
    private static final List<String> USERS_OWN = List.of("-Xshare", "-XX:SharedArchiveFile",
            "-XX:ArchiveClassesAtExit", "-XX:+AutoCreateSharedArchive", "-XX:+RecordDynamicDumpInfo", "-XX:AOT");
    /** The archives, and what a writer leaves while it writes (the JVM's own temporary file included). */
    private static final String ARCHIVES = "worker-*.jsa";
    private static final String PARTS = "worker-*.part*";
    private static final Logger LOG = LoggerFactory.getLogger(ClassDataSharing.class);

    /** How many workers that exited without writing an archive (not killed) make this give up on it. */
    static final int ATTEMPTS = 3;

    private final Path folder;
    // Guarded by this: workers are started on the supervisor's thread, kim:info asks from others.
    /** The worker process asked to write {@link #writing}, or null. */
    private Process writer;
    private Path writing;
    /** The archive of the options in force, as the last {@link #options} found them. */
    private Path current;
    /** Done once what the writer left has been dealt with. */
    private CompletableFuture<Void> writerDone = CompletableFuture.completedFuture(null);
    /** The archive the last {@link #options} asked to write, until {@link #started}. */
    private Path asked;
    private final Map<Path, Integer> attempts = new HashMap<>();
    private Problem problem;

    /** @param folder data/cds: the manager's, shared by its workers; leftovers of an earlier run are removed */
    ClassDataSharing(Path folder) {
        this.folder = folder;
        remove(PARTS, null);
    }

    /** Why the workers start without an archive, when they should have one; null when nothing is wrong. */
    synchronized Problem problem() {
        return problem;
    }

    /**
     * The class data sharing options of the next worker started with {@code command}, to add to its own; empty for
     * none. {@link #started} must follow.
     */
    synchronized List<String> options(WorkerCommand command) {
        asked = null;
        if (command.options().stream().anyMatch(o -> USERS_OWN.stream().anyMatch(o::startsWith))) {
            remove(ARCHIVES, null); // the user's own choice: ours are of no more use
            problem = null;
            return List.of();
        }
        if (Stream.of(command.classPath().split(File.pathSeparator)).anyMatch(e -> Files.isDirectory(Path.of(e)))) {
            return List.of(); // a JVM asked to write an archive refuses to start with a folder on its class path
        }
        Path archive;
        try {
            archive = folder.resolve("worker-" + key(command) + ".jsa");
        } catch (IOException e) {
            LOG.warn("no class data sharing for the workers: {}", e.toString());
            return List.of();
        }
        current = archive;
        remove(ARCHIVES, archive); // archives of another build, JDK or options: running workers keep their mapping
        // Its messages would go to each worker's console.out; what matters, the launcher says itself.
        String quiet = "-Xlog:cds*=off";
        if (Files.isRegularFile(archive)) {
            problem = null;
            return List.of("-XX:SharedArchiveFile=" + archive, quiet, "-D" + ARCHIVE_PROPERTY + "=" + archive);
        }
        if (writer != null && writer.isAlive() && archive.equals(writing)) {
            return List.of(); // one writes it already
        }
        int failed = attempts.getOrDefault(archive, 0);
        if (failed >= ATTEMPTS) {
            if (problem == null || !problem.reason().contains(archive.toString())) {
                problem = new Problem("class data sharing", "the workers start without their class-data archive: "
                        + failed + " workers asked to write " + archive + " exited without writing it (see"
                        + " log/console.out); none is asked again until the next start of the server", Instant.now());
                LOG.warn("{}: {}", problem.subject(), problem.reason());
            }
            return List.of();
        }
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            LOG.warn("no class data sharing for the workers: {}", e.toString());
            return List.of();
        }
        if (writer == null || !writer.isAlive()) {
            remove(PARTS, null); // what a writer killed meanwhile left
        }
        asked = archive;
        return List.of("-XX:ArchiveClassesAtExit=" + part(archive), quiet);
    }

    /** The process started with the last {@link #options}; null when it did not start. */
    synchronized void started(Process process) {
        if (asked != null && process != null) {
            writer = process;
            writing = asked;
            Path archive = asked;
            writerDone = process.onExit().thenRun(() -> exited(process, archive));
        }
        asked = null;
    }

    /** Waits, bounded, until what the writer's exit left has been dealt with (the manager's stop). */
    void awaitWriter(Duration bound) {
        CompletableFuture<Void> done;
        synchronized (this) {
            done = writerDone;
        }
        try {
            done.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("the class-data archive's writer was not dealt with: {}", e.toString());
        }
    }

    /**
     * A writer's process ended: the archive it wrote is put in place if it ended normally and is still for the
     * options in force (a reload may have changed them), else what it left goes. One killed by a signal did not
     * try; one that exited otherwise without an archive counts against {@link #ATTEMPTS} (a JVM that cannot write
     * it says why and exits with code 1).
     */
    private synchronized void exited(Process process, Path archive) {
        Path part = part(archive);
        try {
            int code = process.exitValue();
            if (code != 0 || !archive.equals(current)) {
                Files.deleteIfExists(part);
                Files.deleteIfExists(part.resolveSibling(part.getFileName() + ".temp")); // the JVM's own part
                if (code != 0 && code < 128) {
                    attempts.merge(archive, 1, Integer::sum);
                    LOG.warn("the worker process {} exited with exit code {} without writing the class-data archive"
                            + " {}; log/console.out may say why", process.pid(), code, archive);
                }
            } else if (Files.isRegularFile(part)) {
                long bytes = Files.size(part);
                Files.move(part, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                LOG.info("the worker process {} wrote the class-data archive {} ({} MB) as it exited: the workers"
                        + " started from now on load their classes from it", process.pid(), archive, bytes >> 20);
            } else {
                attempts.merge(archive, 1, Integer::sum);
                LOG.warn("the worker process {} exited normally without writing the class-data archive {}",
                        process.pid(), archive);
            }
        } catch (IOException e) {
            attempts.merge(archive, 1, Integer::sum);
            LOG.warn("the class-data archive {} cannot be put in place: {}", archive, e.toString());
        }
    }

    private static Path part(Path archive) {
        return archive.resolveSibling(archive.getFileName() + ".part");
    }

    /**
     * A digest of what an archive is valid for: the JDK, each class path entry and each file of system/ as it is on
     * disk, and the JVM options (an archive holds what a JVM with those options loaded).
     */
    private static String key(WorkerCommand command) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<String> parts = new ArrayList<>();
        parts.add(command.java());
        parts.add(Runtime.version().toString());
        List<Path> jars = new ArrayList<>();
        for (String entry : command.classPath().split(File.pathSeparator)) {
            jars.add(Path.of(entry));
        }
        Path system = Path.of(command.home(), "system");
        if (Files.isDirectory(system)) {
            try (Stream<Path> files = Files.list(system)) {
                files.sorted().forEach(jars::add);
            }
        }
        for (Path jar : jars) {
            parts.add(jar + " " + Files.size(jar) + " " + Files.getLastModifiedTime(jar).toMillis());
        }
        parts.addAll(command.options());
        for (String part : parts) {
            digest.update(part.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
        }
        return HexFormat.of().formatHex(digest.digest(), 0, 8);
    }

    /** Removes data/cds's files that match {@code glob}, but {@code kept}. */
    private void remove(String glob, Path kept) {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, glob)) {
            for (Path file : files) {
                if (!file.equals(kept)) {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot clean {}: {}", folder, e.toString());
        }
    }
}
