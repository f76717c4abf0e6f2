package org.kimserver.launcher;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.jline.reader.Candidate;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * {@code bin/kimserver console}: attaches to the running server's gogo shell through its Unix domain socket
 * (data/run/console.sock, readable by the owning user only).
 *
 * <ul>
 * <li>With a command: runs it and exits 0 if it succeeded, 1 if not. Several words are several arguments, each
 * quoted for gogo as needed, as the user's shell split them; one word is a whole command line.</li>
 * <li>On a terminal: a line editor (JLine) with history in data/console.history and completion of command
 * names, which it asks the server for. Ctrl-C interrupts the command that runs; {@code exit} and Ctrl-D leave.</li>
 * <li>Otherwise (input from a pipe or a file): runs each line in turn; exits 1 if any failed.</li>
 * </ul>
 *
 * <p>{@code bin/kimserver run} attaches the same console to its own terminal ({@link #attach}), where Ctrl-C at
 * the prompt stops the server.
 *
 * <p>The server side and the protocol are ConsoleSocketServer and ConsoleSession in the kimserver-shell bundle.
 */
public final class ConsoleClient {
    /** Linux's sun_path holds 108 bytes, the terminating NUL included. */
    private static final int MAX_SOCKET_PATH = 107;
    private static final String PROMPT = "kim> ";
    /** Characters that make gogo split, quote, substitute or group a word. */
    private static final String GOGO_SPECIAL = "\"'\\;|&$(){}[]<>#=";

    private ConsoleClient() {
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ConsoleClient <kimserver home> [command ...]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        if (args.length > 1) {
            System.exit(session(home, connection -> batch(connection, commandLine(
                    Arrays.copyOfRange(args, 1, args.length)))));
        }
        System.exit(attach(home, null));
    }

    /**
     * An interactive console on this process's terminal, or the lines of its standard input when that is not a
     * terminal; returns when the user leaves it or the server closes it: 0, or 1 if something failed.
     *
     * @param interruptAtPrompt what Ctrl-C at the prompt does; null: it drops the line being typed
     */
    static int attach(Path home, Runnable interruptAtPrompt) {
        return session(home, connection -> interactive(connection, home, interruptAtPrompt));
    }

    private interface Session {
        int run(Connection connection) throws IOException;
    }

    private static int session(Path home, Session session) {
        Path socket = home.resolve("data/run/console.sock");
        if (!Files.exists(socket)) {
            return noConsole(home, "there is no console socket at " + socket);
        }
        try (Connection connection = Connection.open(socket)) {
            return session.run(connection);
        } catch (IOException e) {
            return noConsole(home, "cannot connect to " + socket + ": " + e.getMessage());
        }
    }

    /**
     * The command line for the words given: one word is a whole command line ({@code console 'lb | grep x'});
     * several are one argument each, as the user's shell split them, with a backslash before each character gogo
     * would split at or read.
     */
    private static String commandLine(String... words) {
        if (words.length == 1) {
            return words[0];
        }
        StringBuilder line = new StringBuilder();
        for (String word : words) {
            if (!line.isEmpty()) {
                line.append(' ');
            }
            if (word.isEmpty()) {
                line.append("\"\"");
            }
            for (char c : word.toCharArray()) {
                if (c <= ' ' || GOGO_SPECIAL.indexOf(c) >= 0) {
                    line.append('\\'); // gogo takes the next character as it is
                }
                line.append(c);
            }
        }
        return line.toString();
    }

    /** Says why there is no console and where to look: the server runs (the script checked) but has none. */
    private static int noConsole(Path home, String what) {
        System.err.println("kimserver: the server is running, but its console is not available: " + what);
        Path error = home.resolve("data/run/console.error");
        String reason = null;
        try {
            reason = Files.isRegularFile(error) ? Files.readString(error).strip() : null;
        } catch (IOException e) {
            reason = "(" + error + " cannot be read: " + e.getMessage() + ")";
        }
        if (reason != null) {
            System.err.println("kimserver: " + reason);
        } else {
            System.err.println("kimserver: the console is served by the kimserver-shell bundle; "
                    + home.resolve("log/kimserver.log") + " says why it is not (look for ConsoleSocketServer)");
        }
        return 1;
    }

    private static int batch(Connection connection, String command) throws IOException {
        connection.send(command);
        int status = connection.copyOutput(System.out);
        if (status < 0) {
            System.err.println("kimserver: the console closed before the command finished");
            return 1;
        }
        return status;
    }

    private static int interactive(Connection connection, Path home, Runnable interruptAtPrompt)
            throws IOException {
        Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build();
        if (terminal.getType().startsWith(Terminal.TYPE_DUMB)) {
            terminal.close();
            return lines(connection, System.in);
        }
        Path history = home.resolve("data/console.history");
        if (!Files.exists(history)) { // what was typed at the console is for the console's user only
            Files.createFile(history,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        try (terminal) {
            LineReader reader = LineReaderBuilder.builder()
                    .terminal(terminal)
                    .appName("kimserver")
                    .variable(LineReader.HISTORY_FILE, history)
                    .completer((lineReader, line, candidates) -> {
                        if (line.wordIndex() == 0) {
                            commandCompletions(connection).forEach(name -> candidates.add(new Candidate(name)));
                        }
                    })
                    .build();
            // While a command runs the terminal is not in raw mode: Ctrl-C is a signal, sent on to the server.
            terminal.handle(Terminal.Signal.INT, signal -> connection.interrupt());
            while (true) {
                String line;
                try {
                    line = reader.readLine(PROMPT);
                } catch (UserInterruptException e) {
                    if (interruptAtPrompt == null) {
                        continue; // Ctrl-C at the prompt drops the line
                    }
                    interruptAtPrompt.run();
                    return 0;
                } catch (EndOfFileException e) {
                    return 0;
                }
                if (isExit(line)) {
                    return 0;
                }
                connection.send(line);
                if (connection.copyOutput(terminal.output()) < 0) {
                    terminal.writer().println("kimserver: the console closed (the server stopped?)");
                    terminal.flush();
                    return 1;
                }
            }
        }
    }

    /** Lines from a pipe or a file: each run in turn, no prompt; 1 if any failed. */
    private static int lines(Connection connection, InputStream input) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
        int result = 0;
        for (String line = in.readLine(); line != null && !isExit(line); line = in.readLine()) {
            connection.send(line);
            int status = connection.copyOutput(System.out);
            if (status < 0) {
                System.err.println("kimserver: the console closed before the command finished");
                return 1;
            }
            result |= status;
        }
        return result;
    }

    private static boolean isExit(String line) {
        String command = line.strip();
        return command.equals("exit") || command.equals("logout");
    }

    /** scope:function for every command, and the function alone, as gogo finds it without its scope. */
    private static List<String> commandCompletions(Connection connection) {
        TreeSet<String> names = new TreeSet<>();
        try {
            for (String name : connection.commandNames()) {
                names.add(name);
                names.add(name.substring(name.indexOf(':') + 1));
            }
        } catch (IOException e) {
            // No completion; the next command says what is wrong with the connection.
        }
        return new ArrayList<>(names);
    }

    /** The client end of the console protocol (see ConsoleSession). */
    private static final class Connection implements AutoCloseable {
        private static final byte CONTROL = 0;
        private static final String STATUS = "status ";
        private final SocketChannel channel;
        private final ByteBuffer buf = ByteBuffer.allocate(8192);

        private Connection(SocketChannel channel) {
            this.channel = channel;
            buf.limit(0);
        }

        /** Connects by the absolute path, or by one relative to the working folder when that one is too long. */
        static Connection open(Path socket) throws IOException {
            Path path = socket;
            if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
                path = Path.of("").toAbsolutePath().relativize(socket);
            }
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(path));
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw new IOException(e.getMessage()
                        + (path == socket ? "" : " (connecting by the relative path " + path + ")"), e);
            }
            return new Connection(channel);
        }

        void send(String line) throws IOException {
            write(line.replace("\n", " ") + "\n");
        }

        /** Ctrl-C: interrupts the command that runs. Called from the signal handler's thread. */
        void interrupt() {
            try {
                write((char) CONTROL + "interrupt\n");
            } catch (IOException e) {
                // The connection is gone; the main thread sees it.
            }
        }

        List<String> commandNames() throws IOException {
            write((char) CONTROL + "commands\n");
            ByteArrayOutputStream names = new ByteArrayOutputStream();
            if (copyOutput(names) < 0) {
                throw new IOException("the console closed");
            }
            return names.toString(StandardCharsets.UTF_8).lines().filter(s -> !s.isBlank()).toList();
        }

        private synchronized void write(String text) throws IOException {
            ByteBuffer out = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
        }

        /** Copies a command's output as it comes; returns its status (0 succeeded), or -1 if the server closed. */
        int copyOutput(OutputStream out) throws IOException {
            while (true) {
                if (!buf.hasRemaining() && !fill()) {
                    return -1;
                }
                int start = buf.position();
                int control = -1;
                for (int i = start; i < buf.limit(); i++) {
                    if (buf.get(i) == CONTROL) {
                        control = i;
                        break;
                    }
                }
                if (control < 0) {
                    out.write(buf.array(), start, buf.limit() - start);
                    out.flush();
                    buf.position(buf.limit());
                    continue;
                }
                out.write(buf.array(), start, control - start);
                out.flush();
                buf.position(control + 1);
                String record = readRecord();
                if (record == null) {
                    return -1;
                }
                if (record.startsWith(STATUS)) {
                    return Integer.parseInt(record.substring(STATUS.length()).trim());
                }
            }
        }

        /** Reads what the server sent next into the emptied buffer; false when the server has closed. */
        private boolean fill() throws IOException {
            buf.clear();
            int n = channel.read(buf);
            buf.flip();
            return n >= 0;
        }

        /** The rest of a control record, up to its newline. */
        private String readRecord() throws IOException {
            ByteArrayOutputStream record = new ByteArrayOutputStream();
            while (true) {
                if (!buf.hasRemaining() && !fill()) {
                    return null;
                }
                byte b = buf.get();
                if (b == '\n') {
                    return record.toString(StandardCharsets.UTF_8);
                }
                record.write(b);
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
