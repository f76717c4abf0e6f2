package org.kimserver.shell.internal;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.apache.felix.service.command.Job;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of the console socket: a gogo session that runs the client's lines one at a time.
 *
 * <p>Protocol (UTF-8). The client sends lines; each is a gogo command line, as typed at the interactive console,
 * unless it starts with NUL: {@value #INTERRUPT_REQUEST} (after the NUL) interrupts the command that runs, as
 * Ctrl-C does, and {@value #COMMANDS_REQUEST} asks for the names of every command, one a line. The server
 * answers each line with what the command printed (a NUL in it is sent as '?'), then a record
 * NUL {@value #STATUS}&lt;0|1&gt; and a newline: 0 if the command succeeded. The end of the client's input ends
 * the session and interrupts the command that runs, so a command that follows something (kim:log -f) ends when
 * its client goes away.
 */
final class ConsoleSession {
    static final char CONTROL = '\0';
    static final String INTERRUPT_REQUEST = "interrupt";
    static final String COMMANDS_REQUEST = "commands";
    static final String STATUS = "status ";
    /** Longer lines are no command anyone types: dropped as they come, so a wrong file piped in costs no memory. */
    static final int MAX_LINE_BYTES = 64 * 1024;
    private static final String TOO_LONG = CONTROL + "too long";
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleSession.class);
    /** Queued when the client's input ends; compared by identity. */
    private static final String END = new String("end of input");

    private final CommandProcessor processor;
    private final SocketChannel client;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private volatile CommandSession session;

    ConsoleSession(CommandProcessor processor, SocketChannel client) {
        this.processor = processor;
        this.client = client;
    }

    void run() {
        try (client) {
            OutputStream raw = new SocketOutput(client);
            PrintStream out = new PrintStream(new NulReplacing(raw), true, StandardCharsets.UTF_8);
            CommandSession gogo = processor.createSession(InputStream.nullInputStream(), out, out);
            session = gogo;
            Thread.ofVirtual().name("kimserver-console-input").start(this::readLines);
            try {
                serve(gogo, out, raw);
            } finally {
                gogo.close();
            }
        } catch (IOException | InterruptedException e) {
            LOG.debug("console session ended: {}", e.toString());
        }
    }

    private void serve(CommandSession gogo, PrintStream out, OutputStream raw)
            throws InterruptedException, IOException {
        for (String line = lines.take(); line != END; line = lines.take()) {
            boolean succeeded = true;
            if (line.equals(CONTROL + COMMANDS_REQUEST)) {
                commandNames(gogo).forEach(out::println);
            } else if (line.equals(TOO_LONG)) {
                out.println("error: a line longer than " + MAX_LINE_BYTES + " bytes was dropped");
                succeeded = false;
            } else if (!line.isBlank()) {
                succeeded = execute(gogo, line, out);
            }
            out.flush();
            raw.write((CONTROL + STATUS + (succeeded ? 0 : 1) + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private static boolean execute(CommandSession gogo, String line, PrintStream out) {
        try {
            Object result = gogo.execute(line);
            if (result != null) {
                out.println(gogo.format(result, Converter.INSPECT));
            }
            return true;
        } catch (InterruptedException | CancellationException e) {
            out.println("interrupted");
            return false;
        } catch (Exception e) {
            out.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return false;
        }
    }

    @SuppressWarnings("unchecked")
    private static Collection<String> commandNames(CommandSession gogo) {
        // The runtime's session variable for the names of the registered commands, scope:function.
        return new TreeSet<>((Collection<String>) gogo.get(".commands"));
    }

    private void readLines() {
        try {
            InputStream in = new BufferedInputStream(new SocketInput(client));
            for (String line = readLine(in); line != null; line = readLine(in)) {
                if (line.equals(CONTROL + INTERRUPT_REQUEST)) {
                    interruptCommand();
                } else {
                    lines.add(line);
                }
            }
        } catch (IOException e) {
            LOG.debug("console input ended: {}", e.toString());
        } finally {
            lines.clear();
            lines.add(END);
            interruptCommand();
        }
    }

    /** The next line without its end (LF or CRLF), {@link #TOO_LONG} for one too long, null at the end. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean tooLong = false;
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                return line.size() == 0 && !tooLong ? null : finish(line, tooLong);
            }
            if (line.size() < MAX_LINE_BYTES) {
                line.write(b);
            } else {
                tooLong = true;
            }
        }
        return finish(line, tooLong);
    }

    private static String finish(ByteArrayOutputStream line, boolean tooLong) {
        if (tooLong) {
            return TOO_LONG;
        }
        String text = line.toString(StandardCharsets.UTF_8);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    private void interruptCommand() {
        CommandSession gogo = session;
        Job job = gogo == null ? null : gogo.foregroundJob();
        if (job != null) {
            job.interrupt();
        }
    }

    /**
     * Reads the socket directly: the streams of {@code Channels} may serialise reading and writing on one lock,
     * and this session reads and writes at the same time.
     */
    private static final class SocketInput extends InputStream {
        private final SocketChannel channel;

        SocketInput(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return len == 0 ? 0 : channel.read(ByteBuffer.wrap(b, off, len));
        }
    }

    private static final class SocketOutput extends OutputStream {
        private final SocketChannel channel;

        SocketOutput(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        }
    }

    /** Keeps command output from forging a status record. */
    private static final class NulReplacing extends FilterOutputStream {
        NulReplacing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b == 0 ? '?' : b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            byte[] copy = Arrays.copyOfRange(b, off, off + len);
            for (int i = 0; i < copy.length; i++) {
                if (copy[i] == 0) {
                    copy[i] = '?';
                }
            }
            out.write(copy, 0, copy.length);
        }
    }
}
