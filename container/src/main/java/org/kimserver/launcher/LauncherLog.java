package org.kimserver.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * A line in a process's log from the launcher itself, for what happens when no bundle can log: the process not
 * coming up. Written only while the framework is stopped, so that it is the log's only writer; in the layout of
 * the log's other lines (see the config bundle's PaxLoggingConfiguration), under the process's tag.
 */
final class LauncherLog {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private LauncherLog() {
    }

    static void error(Path logFile, String processTag, String message) {
        String line = "[ERRO][" + processTag + "][" + ProcessHandle.current().pid() + "][" + LocalDateTime.now().format(TIME)
                + "][launcher] " + Main.class.getName() + " - " + message.replace("\n", "; ") + "\n";
        try {
            Files.createDirectories(logFile.getParent());
            if (!Files.exists(logFile)) {
                Files.createFile(logFile, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(logFile, line, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("kimserver: cannot write to " + logFile + ": " + e);
        }
    }
}
