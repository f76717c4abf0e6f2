package org.kimserver.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The bundles one role boots, as its {@code system/<role>.bundles} file declares them: each line
 * {@code <start level> <artifactId>}, {@code #} to the end of a line a comment; start level 0 installs the bundle for
 * its packages and never starts it (the manager's fileinstall: the shell needs its API, but nothing may deploy
 * {@code deploy/} there). Every jar lies once, flat, in
 * {@code system/} as {@code <artifactId>-<version>[-<classifier>].jar}, so that one jar serves each role that names
 * it. Public so that the Pax Exam tests and the build's check read the lists as the launcher reads them.
 */
public final class BundleList {
    /** The role of the process that runs the workers and hands them their connections. */
    public static final String MANAGER = "manager";
    /** The role of a process that serves clients (gate, sessions, modules of deploy/). */
    public static final String WORKER = "worker";
    /** The bundle that deploys {@code deploy/}: its level is reached only once the rest of the system is up. */
    static final String DEPLOYER = "org.apache.felix.fileinstall";

    private static final Pattern LINE = Pattern.compile("(\\d+)\\s+(\\S+)");

    /** One entry: the jar of {@code artifactId}, started at {@code level}; 0: installed, never started. */
    public record Entry(int level, String artifactId, Path jar) {
        /** False for a bundle installed only for its packages. */
        public boolean started() {
            return level > 0;
        }
    }

    private final Path file;
    private final List<Entry> entries;

    private BundleList(Path file, List<Entry> entries) {
        this.file = file;
        this.entries = entries;
    }

    /**
     * Reads {@code system/<role>.bundles} and finds the jar of each entry.
     *
     * @throws IllegalStateException naming the file and line: a malformed line, an artifact named twice, an entry
     *     with no jar or with more than one
     */
    public static BundleList read(Path system, String role) throws IOException {
        Path file = system.resolve(role + ".bundles");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file + ": no bundle list for the role '" + role + "'");
        }
        List<String> jarNames;
        try (Stream<Path> s = Files.list(system)) {
            jarNames = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted().toList();
        }
        List<Entry> entries = new ArrayList<>();
        Set<String> named = new HashSet<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).replaceFirst("#.*", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file + ":" + (i + 1) + ": ";
            var m = LINE.matcher(line);
            if (!m.matches()) {
                throw new IllegalStateException(where + "'" + line + "' is not '<start level> <artifactId>'");
            }
            int level = Integer.parseInt(m.group(1));
            String artifactId = m.group(2);
            if (!named.add(artifactId)) {
                throw new IllegalStateException(where + artifactId + " is named twice");
            }
            // The version starts with a digit: netty-transport does not take netty-transport-classes-epoll's jar.
            List<String> jars = jarNames.stream().filter(n -> artifactOf(n, artifactId)).toList();
            if (jars.size() != 1) {
                throw new IllegalStateException(where + (jars.isEmpty()
                        ? "no jar " + artifactId + "-<version>.jar in " + system
                        : "more than one jar of " + artifactId + " in " + system + ": " + jars));
            }
            entries.add(new Entry(level, artifactId, system.resolve(jars.getFirst())));
        }
        return new BundleList(file, List.copyOf(entries));
    }

    /** True when {@code jarName} is {@code <artifactId>-<version starting with a digit>...jar}. */
    static boolean artifactOf(String jarName, String artifactId) {
        return jarName.length() > artifactId.length() + 1 && jarName.startsWith(artifactId + "-")
                && Character.isDigit(jarName.charAt(artifactId.length() + 1));
    }

    /** The file the list was read from. */
    public Path file() {
        return file;
    }

    /** The entries in the order of the file. */
    public List<Entry> entries() {
        return entries;
    }

    /** The jars by start level (0: never started), each level's in the order of the file. */
    public TreeMap<Integer, List<Path>> jarsByLevel() {
        TreeMap<Integer, List<Path>> levels = new TreeMap<>();
        for (Entry e : entries) {
            levels.computeIfAbsent(e.level(), l -> new ArrayList<>()).add(e.jar());
        }
        return levels;
    }

    /**
     * The level at which {@code deploy/} is deployed: the deployer's, when this role has it (it must be alone on the
     * last level, so that everything else is up before the first module starts); 0 when this role deploys nothing
     * (it has no deployer, or one it never starts).
     */
    public int deployLevel() {
        Entry deployer = entries.stream().filter(e -> e.artifactId().equals(DEPLOYER) && e.started()).findFirst()
                .orElse(null);
        if (deployer == null) {
            return 0;
        }
        for (Entry e : entries) {
            if (e != deployer && e.level() >= deployer.level()) {
                throw new IllegalStateException(file + ": " + e.artifactId() + " is at level " + e.level() + ", not"
                        + " below " + DEPLOYER + "'s " + deployer.level() + ": it would start with the modules");
            }
        }
        return deployer.level();
    }
}
