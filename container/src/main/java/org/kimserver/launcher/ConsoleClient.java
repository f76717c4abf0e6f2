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
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jline.reader.Candidate;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.kimserver.config.ConfigException;
import org.kimserver.config.KimConfig;
import org.kimserver.config.LogLevel;

/**
 * {@code bin/kimserver console}: attaches to a running process's gogo shell through its Unix domain socket (readable
 * by the owning user only): the manager's, data/run/console.sock, or with {@code -w <n>} worker n's,
 * data/run/console-w&lt;n&gt;.sock.
 *
 * <ul>
 * <li>With a command: runs it and exits 0 if it succeeded, 1 if not. Several words are several arguments, each
 * quoted for gogo as needed, as the user's shell split them; one word is a whole command line.</li>
 * <li>On a terminal: a line editor (JLine) with history in data/console.history and completion of command
 * names, which it asks the server for. Ctrl-C interrupts the command that runs; {@code exit} and Ctrl-D leave.</li>
 * <li>Otherwise (input from a pipe or a file): runs each line in turn; exits 1 if any failed.</li>
 * <li>{@code -w all <command>}: runs the command on every worker whose socket exists, in the order of their
 * numbers, each answer under a line {@code == W<n> ==}; exits 1 if it failed on any (or no worker has a
 * socket).</li>
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
    private static final String USAGE = "usage: bin/kimserver console [-w <n>|all] [command ...]"
            + "   (the class: ConsoleClient <kimserver home> [-w <n>|all] [command ...])";
    private static final int EXIT_USAGE = 2;
    private static final Pattern WORKER_SOCKET = Pattern.compile("console-w([1-9][0-9]{0,8})\\.sock");

    private ConsoleClient() {
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println(USAGE);
            System.exit(EXIT_USAGE);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        List<String> words = List.of(args).subList(1, args.length);
        Target target = Target.manager(home);
        if (!words.isEmpty() && words.get(0).equals("-w")) {
            String worker = words.size() > 1 ? words.get(1) : "";
            words = words.subList(Math.min(2, words.size()), words.size());
            if (worker.equals("all")) {
                if (words.isEmpty()) {
                    System.err.println("kimserver: console -w all runs one command on every worker: give it one"
                            + " (e.g. console -w all kim:info)");
                    System.exit(EXIT_USAGE);
                }
                System.exit(everyWorker(home, commandLine(words)));
            }
            if (!worker.matches("[1-9][0-9]{0,8}")) {
                System.err.println("kimserver: -w takes a worker's number, from 1, or all; not '" + worker + "'");
                System.err.println(USAGE);
                System.exit(EXIT_USAGE);
            }
            target = Target.worker(home, Integer.parseInt(worker));
        }
        if (!words.isEmpty()) {
            String command = commandLine(words);
            System.exit(session(target, connection -> batch(connection, command)));
        }
        System.exit(session(target, connection -> interactive(connection, home, null)));
    }

    /**
     * An interactive console on this process's terminal for the manager of {@code home}, or the lines of its
     * standard input when that is not a terminal; returns when the user leaves it or the server closes it: 0, or 1
     * if something failed.
     *
     * @param interruptAtPrompt what Ctrl-C at the prompt does; null: it drops the line being typed
     */
    static int attach(Path home, Runnable interruptAtPrompt) {
        return session(Target.manager(home), connection -> interactive(connection, home, interruptAtPrompt));
    }

    /**
     * One process's console.
     *
     * @param name how the messages name it
     * @param tag its process tag, which names its socket and its log file
     * @param home the home it runs on
     */
    record Target(String name, String tag, Path home) {
        static Target manager(Path home) {
            return new Target("the server", "M0", home);
        }

        static Target worker(Path home, int n) {
            return new Target("worker " + n, "W" + n, home);
        }

        /** Its socket (or a link to it), as ConsoleSocketServer names it. */
        Path socket() {
            return home.resolve("data/run").resolve(baseName() + ".sock");
        }

        /** Where it says why it has no console. */
        Path errorFile() {
            return home.resolve("data/run").resolve(baseName() + ".error");
        }

        boolean manager() {
            return tag.equals("M0");
        }

        private String baseName() {
            return manager() ? "console" : "console-" + tag.toLowerCase(Locale.ROOT);
        }
    }

    private interface Session {
        int run(Connection connection) throws IOException;
    }

    private static int session(Target target, Session session) {
        if (!Files.exists(target.socket())) {
            return noConsole(target, "there is no console socket at " + target.socket());
        }
        try (Connection connection = Connection.open(target.socket())) {
            return session.run(connection);
        } catch (IOException e) {
            return noConsole(target, "cannot connect to " + target.socket() + ": " + e.getMessage());
        }
    }

    /** {@code -w all}: the command on each worker that has a socket, each answer under a header; 1 if any failed. */
    private static int everyWorker(Path home, String command) {
        List<Integer> workers = workersWithASocket(home.resolve("data/run"));
        if (workers.isEmpty()) {
            System.err.println("kimserver: no worker has a console socket in " + home.resolve("data/run")
                    + " (no worker is running?)");
            return 1;
        }
        int result = 0;
        for (int n : workers) {
            System.out.println("== W" + n + " ==");
            System.out.flush();
            result |= session(Target.worker(home, n), connection -> batch(connection, command)) == 0 ? 0 : 1;
            System.out.flush();
            System.err.flush();
        }
        return result;
    }

    /** The numbers of the workers whose socket (or the socket a link leads to) exists, in order. */
    static List<Integer> workersWithASocket(Path runFolder) {
        List<Integer> workers = new ArrayList<>();
        try (Stream<Path> entries = Files.list(runFolder)) {
            for (Path entry : entries.toList()) {
                Matcher name = WORKER_SOCKET.matcher(entry.getFileName().toString());
                if (name.matches() && Files.exists(entry)) {
                    workers.add(Integer.parseInt(name.group(1)));
                }
            }
        } catch (IOException e) {
            return List.of(); // no data/run: no process has a console
        }
        Collections.sort(workers);
        return workers;
    }

    /**
     * The command line for the words given: one word is a whole command line ({@code console 'lb | grep x'});
     * several are one argument each, as the user's shell split them, with a backslash before each character gogo
     * would split at or read.
     */
    private static String commandLine(List<String> words) {
        if (words.size() == 1) {
            return words.get(0);
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

    /**
     * Says why there is no console and where to look. For the manager, the script has checked that it runs; a
     * worker's socket is all the client knows of it.
     */
    private static int noConsole(Target target, String what) {
        System.err.println("kimserver: " + (target.manager() ? "the server is running, but its console is not"
                + " available: " : target.name() + " has no console: ") + what);
        String reason = null;
        try {
            reason = Files.isRegularFile(target.errorFile()) ? Files.readString(target.errorFile()).strip() : null;
        } catch (IOException e) {
            reason = "(" + target.errorFile() + " cannot be read: " + e.getMessage() + ")";
        }
        if (reason != null) {
            System.err.println("kimserver: " + reason);
        } else if (target.manager()) {
            System.err.println("kimserver: the console is served by the kimserver-shell bundle; "
                    + logFile(target) + " says why it is not (look for ConsoleSocketServer)");
        } else {
            System.err.println("kimserver: it is not running, or its console did not start: if it runs, "
                    + logFile(target) + " says why (look for ConsoleSocketServer)");
        }
        return 1;
    }

    /** The target's log file, as etc/kimserver.json names it now, or where it usually is. */
    private static Path logFile(Target target) {
        Path home = target.home();
        String name;
        try {
            name = KimConfig.load(home.resolve("etc/kimserver.json")).log().pathFor(target.tag());
        } catch (ConfigException e) {
            name = new KimConfig.LogSettings("kimserver.log", LogLevel.INFO, 0, 0).pathFor(target.tag());
        }
        return home.resolve("log").resolve(name);
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
