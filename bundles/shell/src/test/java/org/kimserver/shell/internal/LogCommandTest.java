package org.kimserver.shell.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class LogCommandTest {
    private static final String INFO = "[INFO][M0][1][2026-11-26 10:00:00.000][b] c - ";
    private static final String WARN = "[WARN][M0][1][2026-11-26 10:00:00.000][b] c - ";
    private static final String ERRO = "[ERRO][M0][1][2026-11-26 10:00:00.000][b] c - ";

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    private List<String> printedLines() {
        synchronized (printed) {
            return printed.toString(StandardCharsets.UTF_8).lines().toList();
        }
    }

    private Path log(String... lines) throws IOException {
        Path file = folder.getRoot().toPath().resolve("kimserver.log");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardOpenOption.APPEND, StandardOpenOption.CREATE);
    }

    @Test
    public void printsTheLastLines() throws IOException {
        Path file = log(INFO + "one", INFO + "two", INFO + "three", INFO + "four");
        new LogCommand.LogFile(file, 0).printLast(2, out);
        assertEquals(List.of(INFO + "three", INFO + "four"), printedLines());
    }

    @Test
    public void aLevelKeepsItsEventsWithTheirStackTraces() throws IOException {
        Path file = log(INFO + "chatter", WARN + "careful", ERRO + "failed", "java.lang.Exception: boom",
                "\tat Somewhere.run", INFO + "more chatter", "\tat Elsewhere.run");
        new LogCommand.LogFile(file, LogCommand.levelRank("warn")).printLast(10, out);
        assertEquals(List.of(WARN + "careful", ERRO + "failed", "java.lang.Exception: boom", "\tat Somewhere.run"),
                printedLines());
    }

    @Test
    public void levelsAreNamedAsInTheConfigurationOrAsInTheLog() {
        assertEquals(LogCommand.levelRank("warn"), LogCommand.levelRank("WARN"));
        assertEquals(LogCommand.levelRank("error"), LogCommand.levelRank("erro"));
        assertEquals(LogCommand.levelRank("info"), LogCommand.levelRank("notice"));
        assertEquals(LogCommand.levelRank("crit"), LogCommand.levelRank("emerg"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> LogCommand.levelRank("loud"));
        assertTrue(bad.getMessage(), bad.getMessage().contains("'loud'"));
    }

    @Test
    public void aMissingFileIsNamed() {
        Path missing = folder.getRoot().toPath().resolve("nowhere.log");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new LogCommand.LogFile(missing, 0).printLast(5, out));
        assertTrue(e.getMessage(), e.getMessage().contains(missing.toString()));
    }

    @Test
    public void followPrintsNewLinesAcrossARotationAndEndsWhenInterrupted() throws Exception {
        Path file = log(INFO + "old");
        LogCommand.LogFile log = new LogCommand.LogFile(file, 0);
        long end = log.printLast(1, out);
        Thread follower = Thread.ofPlatform().start(() -> {
            try {
                log.follow(end, out);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        append(file, INFO + "new\n");
        awaitLine(INFO + "new", this::printedLines);
        append(file, INFO + "half");
        Thread.sleep(3 * LogCommand.FOLLOW_POLL_MS);
        assertFalse("a line is printed once it is whole", printedLines().contains(INFO + "half"));
        append(file, " a line\n");
        awaitLine(INFO + "half a line", this::printedLines);

        // Rotation as Log4j does it: the file is renamed away, the writer finishes there, then a new file begins.
        Files.move(file, file.resolveSibling("kimserver.log.1"));
        append(file.resolveSibling("kimserver.log.1"), INFO + "last in the old file\n");
        append(file, INFO + "first in the new file\n");
        awaitLine(INFO + "first in the new file", this::printedLines);
        assertEquals(List.of(INFO + "old", INFO + "new", INFO + "half a line", INFO + "last in the old file",
                INFO + "first in the new file"), printedLines());

        follower.interrupt();
        follower.join(TimeUnit.SECONDS.toMillis(5));
        assertFalse("follow ends when interrupted", follower.isAlive());
    }

    @Test
    public void followEndsWhenItsOutputFails() throws Exception {
        Path file = log(INFO + "old");
        PrintStream closed = new PrintStream(new ByteArrayOutputStream()) {
            @Override
            public boolean checkError() {
                return true;
            }
        };
        Thread follower = Thread.ofPlatform().start(() -> {
            try {
                new LogCommand.LogFile(file, 0).follow(0, closed);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        follower.join(TimeUnit.SECONDS.toMillis(5));
        assertFalse(follower.isAlive());
    }

    private static void awaitLine(String line, Supplier<List<String>> lines) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!lines.get().contains(line) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(lines.get() + " has " + line, lines.get().contains(line));
    }

    @Test
    public void levelsAreTheNamesOfLogLevelAndOfTheLines() {
        assertEquals(LogCommand.levelRank("info"), LogCommand.levelRank("notice"));
        assertEquals(LogCommand.levelRank("crit"), LogCommand.levelRank("alert"));
        assertEquals(LogCommand.levelRank("CRIT"), LogCommand.levelRank("emerg"));
        assertEquals(LogCommand.levelRank("trace"), LogCommand.levelRank("TRAC"));
        IllegalArgumentException e = org.junit.Assert.assertThrows(IllegalArgumentException.class,
                () -> LogCommand.levelRank("loud"));
        assertTrue(e.getMessage(), e.getMessage().contains(org.kimserver.config.LogLevel.names()));
    }

    @Test
    public void aLineCountThatIsNoNumberSaysSo() {
        assertEquals(5, LogCommand.lineCount("5"));
        IllegalArgumentException e = org.junit.Assert.assertThrows(IllegalArgumentException.class,
                () -> LogCommand.lineCount("abc"));
        assertEquals("-n takes a number of lines, 0 or more, not 'abc'", e.getMessage());
        org.junit.Assert.assertThrows(IllegalArgumentException.class, () -> LogCommand.lineCount("-1"));
    }
}
