package org.kimserver.supervisor.internal;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.kimserver.api.diag.Problem;
import org.kimserver.shell.deploy.DeployJar;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bundle sets of deploy/: a file {@code <name>.bundles} lists bundles by Maven coordinates, one
 * {@code mvn:<groupId>/<artifactId>/<version>} a line ({@code #} starts a comment). They are fetched
 * ({@link MavenRepositories}) and must resolve, all of them, beside the worker's system bundles and the other
 * modules ({@link ResolveCheck}) before the roll-out gets them, as modules named {@code <name>~<jar file name>}: so a
 * set goes to the workers whole or not at all. A set that cannot be fetched or does not resolve is refused, with
 * why, until its file changes (or, for one that did not resolve, until the other modules change); the version of it
 * that was in force, if any, stays.
 */
final class BundleSets {
    static final String SUFFIX = ".bundles";
    /** Between a set's name and its bundle's file name in the modules it becomes. */
    static final String SEPARATOR = "~";
    /** A set's file larger than this is refused unread. */
    static final long MAX_FILE_BYTES = 64 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(BundleSets.class);

    /**
     * What a look at one version of a set's file found: its modules, or why it is refused.
     *
     * @param digest  the file's digest
     * @param modules module name to jar, null when it could not be read or fetched
     * @param digests module name to the jar's digest (what the roll-out puts in force)
     * @param others  the other modules it was checked beside (a refusal is looked at again when they change)
     */
    record Look(String digest, Map<String, Path> modules, Map<String, String> digests, String refusal,
                Map<String, Path> others, Instant at) {
    }

    /** What the roll-out thread does for a set now: the roll-out of every change of deploy/ waits for it. */
    private record Busy(String file, String what, Instant since) {
    }

    /** How long a set's fetch or check runs before kim:info lists it. */
    static final Duration BUSY_PROBLEM = Duration.ofSeconds(5);

    private final Path deploy;
    private volatile MavenRepositories repositories;
    private final Supplier<List<Path>> systemJars;
    private final Path work;
    /** By the set's file name; guarded by this (the roll-out thread writes, the shell reads). */
    private final Map<String, Look> looks = new TreeMap<>();
    /** The modules of the last version of each set that was not refused. */
    private final Map<String, Map<String, Path>> lastGood = new TreeMap<>();
    private volatile Busy busy;

    /**
     * @param deploy       the deploy/ folder
     * @param repositories where the bundles come from
     * @param systemJars   the jars a worker boots
     * @param work         a folder of this process for the resolver's storage
     */
    BundleSets(Path deploy, MavenRepositories repositories, Supplier<List<Path>> systemJars, Path work) {
        this.deploy = deploy;
        this.repositories = repositories;
        this.systemJars = systemJars;
        this.work = work;
    }

    /** Where the bundles of sets read from now on come from (maven_repositories changed). */
    void repositories(MavenRepositories changed) {
        repositories = changed;
    }

    /** The set file whose bundle {@code module} (a name of the roll-out) is, or null for a jar of deploy/. */
    static String setOf(String module) {
        int at = module.indexOf(SEPARATOR);
        return at < 0 ? null : module.substring(0, at) + SUFFIX;
    }

    /** Whether {@code module} (a name of the roll-out) is a bundle of the set file {@code setFile}. */
    static boolean memberOf(String module, String setFile) {
        return module.startsWith(setFile.substring(0, setFile.length() - SUFFIX.length()) + SEPARATOR);
    }

    /**
     * The modules of every set of deploy/ as they should be now, beside {@code jars} (the other modules: file name
     * to jar). Each set's file is read again only when it changed.
     */
    Map<String, Path> modules(Map<String, Path> jars) throws IOException {
        Map<String, Path> sets = new TreeMap<>();
        if (Files.isDirectory(deploy)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(deploy, "*" + SUFFIX)) {
                for (Path f : files) {
                    if (Files.isRegularFile(f)) {
                        sets.put(f.getFileName().toString(), f);
                    }
                }
            }
        }
        Map<String, Path> modules = new TreeMap<>();
        synchronized (this) {
            looks.keySet().retainAll(sets.keySet());
            lastGood.keySet().retainAll(sets.keySet());
        }
        for (Map.Entry<String, Path> set : sets.entrySet()) {
            String file = set.getKey();
            String digest;
            try {
                digest = DeployJar.digest(set.getValue());
            } catch (IOException e) {
                continue; // deleted meanwhile
            }
            Map<String, Path> others = new TreeMap<>(jars);
            synchronized (this) {
                lastGood.forEach((name, good) -> {
                    if (!name.equals(file)) {
                        others.putAll(good);
                    }
                });
            }
            Look look;
            synchronized (this) {
                look = looks.get(file);
            }
            if (file.contains(SEPARATOR)) {
                if (look == null || !look.digest().equals(digest)) {
                    synchronized (this) {
                        looks.put(file, refused(file, digest, "'" + SEPARATOR + "' in a set's name is kept for the"
                                + " names of its bundles; rename it", Instant.now()));
                    }
                }
                continue;
            }
            if (look == null || !look.digest().equals(digest)
                    || look.refusal() != null && look.modules() != null && !look.others().equals(others)) {
                look = look(file, set.getValue(), digest, others);
                synchronized (this) {
                    looks.put(file, look);
                    if (look.refusal() == null) {
                        lastGood.put(file, look.modules());
                    }
                }
            }
            synchronized (this) {
                modules.putAll(lastGood.getOrDefault(file, Map.of()));
            }
        }
        return modules;
    }

    /** Reads, fetches and checks one version of a set. */
    private Look look(String file, Path path, String digest, Map<String, Path> others) {
        Instant now = Instant.now();
        long checkMillis;
        Map<String, Path> modules = new LinkedHashMap<>();
        Map<String, String> digests = new LinkedHashMap<>();
        try {
            if (Files.size(path) > MAX_FILE_BYTES) {
                return refused(file, digest, "it is larger than " + MAX_FILE_BYTES / 1024 + " KiB: no list of"
                        + " coordinates", now);
            }
            List<String> lines;
            try {
                lines = Files.readAllLines(path);
            } catch (CharacterCodingException e) {
                return refused(file, digest, "it is not UTF-8 text", now);
            }
            String prefix = file.substring(0, file.length() - SUFFIX.length()) + SEPARATOR;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).replaceFirst("#.*", "").strip();
                if (line.isEmpty()) {
                    continue;
                }
                MavenCoordinates artifact;
                try {
                    artifact = MavenCoordinates.parse(line);
                } catch (IllegalArgumentException e) {
                    return refused(file, digest, "line " + (i + 1) + ": " + e.getMessage(), now);
                }
                if (!artifact.type().equals("jar")) {
                    return refused(file, digest, "line " + (i + 1) + ": " + artifact + " is no jar", now);
                }
                busy = new Busy(file, "fetching " + artifact, Instant.now());
                Path jar = repositories.fetch(artifact);
                DeployJar read = DeployJar.read(jar);
                if (read.defect() != null) {
                    return refused(file, digest, artifact + ": " + read.defect() + " (" + jar
                            + "; delete it there if it is broken, and it is fetched again)", now);
                }
                if (modules.put(prefix + artifact.fileName(), jar) != null) {
                    return refused(file, digest, "line " + (i + 1) + ": " + artifact + " is listed twice", now);
                }
                digests.put(prefix + artifact.fileName(), DeployJar.digest(jar));
            }
            if (modules.isEmpty()) {
                return refused(file, digest, "it lists no bundle (a line: mvn:<groupId>/<artifactId>/<version>)",
                        now);
            }
            Files.createDirectories(work);
            busy = new Busy(file, "checking that its bundles resolve", Instant.now());
            long checkStarted = System.nanoTime();
            String unresolved = ResolveCheck.unresolved(systemJars.get(), List.copyOf(others.values()), modules,
                    Files.createTempDirectory(work, "resolve"));
            checkMillis = (System.nanoTime() - checkStarted) / 1_000_000;
            if (unresolved != null) {
                return new Look(digest, Map.copyOf(modules), Map.copyOf(digests), refusal(file, unresolved),
                        Map.copyOf(others), now);
            }
        } catch (IOException e) {
            return refused(file, digest, e.getMessage(), now);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return refused(file, digest, "interrupted while it was fetched", now);
        } finally {
            busy = null;
        }
        LOG.info("deploy/{}: {} bundle{} resolve beside the server's (checked in {} ms): {}", file, modules.size(),
                modules.size() == 1 ? "" : "s", checkMillis, String.join(", ", modules.keySet()));
        return new Look(digest, Map.copyOf(modules), Map.copyOf(digests), null, Map.copyOf(others), now);
    }

    private static Look refused(String file, String digest, String reason, Instant at) {
        return new Look(digest, null, null, refusal(file, reason), Map.of(), at);
    }

    private static String refusal(String file, String reason) {
        LOG.warn("deploy/{} refused: {}; nothing of this version of it is installed", file, reason);
        return reason;
    }

    /** Forgets the last look at the set's file {@code file}: the next scan reads, fetches and checks it again. */
    synchronized void forget(String file) {
        looks.remove(file);
    }

    /** The last look at the set's file {@code file} if it was at the version {@code digest}; else null. */
    synchronized Look look(String file, String digest) {
        Look look = looks.get(file);
        return look != null && look.digest().equals(digest) ? look : null;
    }

    /** What is being done for a set now, with for how long ("deploy/x.bundles: fetching mvn:... for 3 s"), or null. */
    String busy() {
        Busy now = busy;
        return now == null ? null : "deploy/" + now.file() + ": " + now.what() + " for "
                + Duration.between(now.since(), Instant.now()).toSeconds() + " s";
    }

    /** Each set refused, and a fetch or check that has run long, as kim:info lists them. */
    synchronized List<Problem> problems() {
        List<Problem> problems = new ArrayList<>();
        Busy now = busy;
        if (now != null && Duration.between(now.since(), Instant.now()).compareTo(BUSY_PROBLEM) >= 0) {
            problems.add(new Problem("deploy/" + now.file(), now.what() + " (up to "
                    + MavenRepositories.DOWNLOAD_TIMEOUT.toSeconds() + " s a repository): the roll-out of deploy/"
                    + " waits for it", now.since()));
        }
        looks.forEach((file, look) -> {
            if (look.refusal() != null) {
                problems.add(new Problem("deploy/" + file, "refused: " + look.refusal() + "; the workers run "
                        + (lastGood.containsKey(file) ? "its previous version" : "none of it")
                        + "; change or remove the file", look.at()));
            }
        });
        return problems;
    }

    /** Why each set is refused, by file. */
    synchronized Map<String, String> refusals() {
        Map<String, String> refusals = new TreeMap<>();
        looks.forEach((file, look) -> {
            if (look.refusal() != null) {
                refusals.put(file, Objects.requireNonNull(look.refusal()));
            }
        });
        return refusals;
    }
}
