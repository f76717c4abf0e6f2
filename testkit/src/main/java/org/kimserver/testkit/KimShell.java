package org.kimserver.testkit;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;

/** The server's shell commands (kim:info, kim:stats, ...) in a test method, through the gogo CommandProcessor. */
public final class KimShell {
    private KimShell() {
    }

    /** Runs a command and returns what it printed and returned, as the console shows it. */
    public static String run(CommandProcessor commands, String command) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        CommandSession session = commands.createSession(System.in, out, out);
        try {
            Object result = session.execute(command);
            if (result != null) {
                out.println(session.format(result, Converter.INSPECT));
            }
        } finally {
            session.close();
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    /** Runs a command; its failure is an AssertionError. */
    public static String runOrFail(CommandProcessor commands, String command) {
        try {
            return run(commands, command);
        } catch (Exception e) {
            throw new AssertionError(command + " failed", e);
        }
    }

    /** A number from kim:stats: the first group of {@code regex}, e.g. {@code "(\\d+) malformed"}. */
    public static long stat(CommandProcessor commands, String regex) {
        String stats = runOrFail(commands, "kim:stats");
        Matcher m = Pattern.compile(regex).matcher(stats);
        if (!m.find()) {
            throw new AssertionError("kim:stats has no " + regex + ":\n" + stats);
        }
        return Long.parseLong(m.group(1));
    }
}
