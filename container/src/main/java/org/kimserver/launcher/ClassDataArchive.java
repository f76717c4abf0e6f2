package org.kimserver.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A worker's side of its class data sharing, which its manager decides and writes (the supervisor's
 * ClassDataSharing): a worker started from an archive ({@code -Dkimserver.cds.archive}) checks that its JVM could
 * use it, and removes one it could not, so that the next worker started writes it again. What it does is said on
 * standard output (log/console.out).
 */
final class ClassDataArchive {
    static final String ARCHIVE_PROPERTY = "kimserver.cds.archive";

    private ClassDataArchive() {
    }

    /** Checks the archive this worker was started from, if any; {@code says} prefixes what it says. */
    static void check(String says) {
        String archive = System.getProperty(ARCHIVE_PROPERTY);
        if (archive == null || mapped(Path.of(archive))) {
            return;
        }
        try {
            Files.deleteIfExists(Path.of(archive));
            System.out.println(says + "warning: the JVM could not use the class-data archive " + archive
                    + " (damaged?): removed; the next worker started writes it again as it exits");
        } catch (IOException e) {
            System.out.println(says + "warning: the JVM could not use the class-data archive " + archive
                    + ", and it cannot be removed: " + e);
        }
    }

    /** Whether the archive is mapped into this process, which the JVM does only with an archive it can use. */
    private static boolean mapped(Path archive) {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            String name = archive.toAbsolutePath().toString();
            return maps.anyMatch(line -> line.endsWith(" " + name));
        } catch (IOException e) {
            return true; // no /proc to tell by
        }
    }
}
