package org.kimserver.shell.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.kimserver.config.ConfigException;
import org.kimserver.config.LogLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;

/**
 * {@code kim:log}: the last lines of the server's log file, optionally only from a level up, and new lines as
 * they are written ({@code -f}) until the command is interrupted or its console goes away.
 *
 * <p>The file is the one Pax Logging writes in this process, from its configuration (which the kimserver.json keys
 * {@code log_path} and friends become): each process has its own, so a worker's console shows the worker's log. A
 * line of the original's layout starts with its level, {@code [INFO]};
 * the lines after it that do not (a stack trace) belong to it and share its fate under a level filter.
 */
@Component(service = LogCommand.class, configurationPid = "org.ops4j.pax.logging",
        property = {"osgi.command.scope=kim", "osgi.command.function=log"})
public final class LogCommand {
    static final int DEFAULT_LINES = 20;
    /** How often follow mode looks for new lines and for a rotation. */
    static final long FOLLOW_POLL_MS = 200;
    /** The four-letter level names of the log's lines, lowest first. */
    private static final List<String> LINE_LEVELS = List.of("TRAC", "DBUG", "INFO", "WARN", "ERRO", "CRIT");

    /** The Pax Logging property that names the log file (Log4j's RollingFile appender "file"). */
    @interface PaxLogging {
        String log4j2_appender_file_fileName() default "";
    }

    private volatile String logFile;

    @Activate
    @Modified
    void configure(PaxLogging config) {
        logFile = config.log4j2_appender_file_fileName();
    }

    @Descriptor("shows the last lines of this process's log (log/<log_path> for the manager, log/<name>_w_<n>.<ext>"
            + " for worker n), or follows it as it is written")
    public void log(
            @Descriptor("how many lines to show (default " + DEFAULT_LINES + ")")
            @Parameter(names = {"-n", "--lines"}, absentValue = "" + DEFAULT_LINES) String lines,
            @Descriptor("keep printing new lines as they are written, until interrupted (Ctrl-C)")
            @Parameter(names = {"-f", "--follow"}, presentValue = "true", absentValue = "false") boolean follow,
            @Descriptor("show only lines at this level or above: a log_level name (trace, debug, info, notice, warn,"
                    + " error, alert, crit, emerg) or a level as the lines show it (TRAC, DBUG, ERRO, ...)")
            @Parameter(names = {"-l", "--level"}, absentValue = "trace") String level)
            throws IOException {
        int count = lineCount(lines);
        String file = logFile;
        if (file == null || file.isEmpty()) {
            throw new IllegalStateException("no log file is configured (log_path in etc/kimserver.json)");
        }
        LogFile log = new LogFile(Path.of(file), levelRank(level));
        long end = log.printLast(count, System.out);
        if (follow) {
            log.follow(end, System.out);
        }
    }

    /** The value of -n: a number of lines, 0 or more. */
    static int lineCount(String lines) {
        try {
            int count = Integer.parseInt(lines.trim());
            if (count >= 0) {
                return count;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("-n takes a number of lines, 0 or more, not '" + lines + "'");
    }

    /**
     * The rank of a level name as kimserver.json's log_level (and kim:loglevel) spells it, {@link LogLevel}, or
     * as the log's lines show it.
     */
    static int levelRank(String level) {
        int line = LINE_LEVELS.indexOf(level.trim().toUpperCase(Locale.ROOT));
        if (line >= 0) {
            return line;
        }
        try {
            return switch (LogLevel.of(level).log4jLevel()) {
                case "TRACE" -> 0;
                case "DEBUG" -> 1;
                case "INFO" -> 2;
                case "WARN" -> 3;
                case "ERROR" -> 4;
                default -> 5;
            };
        } catch (ConfigException e) {
            throw new IllegalArgumentException("unknown level '" + level + "': one of " + LogLevel.names()
                    + ", or as the log's lines show it (" + String.join(", ", LINE_LEVELS) + ")");
        }
    }

    /** One log file read from a level up. */
    static final class LogFile {
        private final Path path;
        private final int minRank;
        /** Whether the lines that continue an event (a stack trace) are shown: whether the event was. */
        private boolean showing = true;

        LogFile(Path path, int minRank) {
            this.path = Objects.requireNonNull(path);
            this.minRank = minRank;
        }

        /** Prints the last {@code count} lines that pass the level filter; returns where the file ended. */
        long printLast(int count, PrintStream out) throws IOException {
            Deque<String> last = new ArrayDeque<>();
            long end;
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                end = channel.size();
                LineSplitter splitter = new LineSplitter(line -> {
                    if (count > 0 && passes(line)) {
                        if (last.size() == count) {
                            last.removeFirst();
                        }
                        last.addLast(line);
                    }
                });
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                long position = 0;
                while (position < end) {
                    buf.clear().limit((int) Math.min(buf.capacity(), end - position));
                    int n = channel.read(buf, position);
                    if (n < 0) {
                        break;
                    }
                    position += n;
                    splitter.accept(buf.array(), n);
                }
                end = position - splitter.pending();
            } catch (NoSuchFileException e) {
                throw new IllegalStateException("no log file at " + path);
            }
            last.forEach(out::println);
            out.flush();
            return end;
        }

        /**
         * Prints the lines written after {@code position} as they come, until the thread is interrupted or the
         * output fails. A rotation (the file renamed away and a new one begun) is followed: what was written to
         * the old file is printed first, then the new file from its beginning.
         */
        void follow(long position, PrintStream out) throws IOException {
            LineSplitter splitter = new LineSplitter(line -> {
                if (passes(line)) {
                    out.println(line);
                }
            });
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
            Object fileKey = fileKey(path);
            try {
                while (!Thread.currentThread().isInterrupted() && !out.checkError()) {
                    boolean read = false;
                    if (channel.size() < position) { // truncated in place
                        position = 0;
                    }
                    for (int n; (n = channel.read(buf.clear(), position)) > 0; ) {
                        position += n;
                        splitter.accept(buf.array(), n);
                        read = true;
                    }
                    if (read) {
                        out.flush();
                        continue;
                    }
                    Object current = fileKey(path);
                    if (current != null && !current.equals(fileKey)) { // rotated: the old one is drained above
                        channel.close();
                        channel = FileChannel.open(path, StandardOpenOption.READ);
                        fileKey = current;
                        position = 0;
                        continue;
                    }
                    Thread.sleep(FOLLOW_POLL_MS);
                }
            } catch (InterruptedException | ClosedByInterruptException e) {
                Thread.currentThread().interrupt();
            } finally {
                channel.close();
            }
        }

        private static Object fileKey(Path path) {
            try {
                return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            } catch (NoSuchFileException e) {
                return null; // between a rotation's rename and the new file
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private boolean passes(String line) {
            if (line.length() >= 6 && line.charAt(0) == '[' && line.charAt(5) == ']') {
                int rank = LINE_LEVELS.indexOf(line.substring(1, 5));
                if (rank >= 0) {
                    showing = rank >= minRank;
                }
            }
            return showing;
        }
    }

    /** Cuts bytes into UTF-8 lines; keeps an unfinished last line until its end arrives. */
    private static final class LineSplitter {
        private final Consumer<String> lines;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        LineSplitter(Consumer<String> lines) {
            this.lines = lines;
        }

        void accept(byte[] bytes, int length) {
            int start = 0;
            for (int i = 0; i < length; i++) {
                if (bytes[i] == '\n') {
                    partial.write(bytes, start, i - start);
                    lines.accept(partial.toString(StandardCharsets.UTF_8));
                    partial.reset();
                    start = i + 1;
                }
            }
            partial.write(bytes, start, length - start);
        }

        /** Bytes of a line not yet ended. */
        int pending() {
            return partial.size();
        }
    }
}
