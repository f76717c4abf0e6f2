package org.kimserver.supervisor.internal;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * An artifact named as pax-url names it: {@code mvn:<groupId>/<artifactId>/<version>[/<type>[/<classifier>]]}, the
 * type {@code jar} unless given.
 */
record MavenCoordinates(String groupId, String artifactId, String version, String type, String classifier) {
    /** Letters, digits and {@code . _ -}: nothing that could climb out of the repository's folders. */
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

    /**
     * Reads {@code mvn:g/a/v[/type[/classifier]]}.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    static MavenCoordinates parse(String text) {
        String usage = "'" + text + "' is not mvn:<groupId>/<artifactId>/<version>[/<type>[/<classifier>]]";
        if (!text.startsWith("mvn:")) {
            throw new IllegalArgumentException(usage);
        }
        String[] parts = text.substring("mvn:".length()).split("/", -1);
        if (parts.length < 3 || parts.length > 5) {
            throw new IllegalArgumentException(usage);
        }
        for (String part : parts) {
            if (!PART.matcher(part).matches() || part.contains("..")) {
                throw new IllegalArgumentException(usage + ": '" + part + "' is not a name");
            }
        }
        return new MavenCoordinates(parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : "jar",
                parts.length > 4 ? parts[4] : "");
    }

    boolean snapshot() {
        return version.endsWith("-SNAPSHOT");
    }

    /** The artifact's file name: {@code <artifactId>-<version>[-<classifier>].<type>}. */
    String fileName() {
        return artifactId + "-" + version + (classifier.isEmpty() ? "" : "-" + classifier) + "." + type;
    }

    /** Its path in a repository of Maven's layout, relative to the repository's root, with '/' between folders. */
    String path() {
        return groupId.replace('.', '/') + "/" + artifactId + "/" + version + "/" + fileName();
    }

    /** Its file in the local repository at {@code root}. */
    Path in(Path root) {
        return root.resolve(path());
    }

    @Override
    public String toString() {
        return "mvn:" + groupId + "/" + artifactId + "/" + version + (type.equals("jar") && classifier.isEmpty() ? ""
                : "/" + type + (classifier.isEmpty() ? "" : "/" + classifier));
    }
}
