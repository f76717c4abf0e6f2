package org.kimserver.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * kim-call: sends one request (or {@code --count} requests one after another) and prints the reply, for people or,
 * with {@code --json}, for scripts. The exit status says how it went: see {@link CallFailure}.
 */
public final class KimCall {
    /** The most data read from a file or standard input: far above any frame a server accepts by default. */
    static final int MAX_DATA = 64 << 20;

    private KimCall() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err));
    }

    static int run(String[] args, InputStream stdin, PrintStream out, PrintStream err) {
        CallOptions options;
        try {
            options = CallOptions.parse(args);
        } catch (IllegalArgumentException e) {
            if (e.getMessage().isEmpty()) { // --help: asked for, so not an error
                out.println(CallOptions.USAGE);
                return 0;
            }
            err.println("kim-call: " + e.getMessage());
            err.println(CallOptions.USAGE);
            return CallFailure.BAD_ARGUMENTS;
        }
        try {
            byte[] data = data(options, stdin);
            long timeoutNanos = (long) (options.timeoutSeconds() * 1e9);
            try (CallConnection connection = CallConnection.open(options.host(), options.port(), options.address(),
                    timeoutNanos)) {
                for (int i = 0; i < options.count(); i++) {
                    CallReply reply = connection.call(options.cmd(), options.seq() + i, data, timeoutNanos);
                    out.print(options.json() ? reply.json() : reply.forPeople());
                    out.flush();
                    if (reply.code() != 0) {
                        return CallFailure.BAD_REPLY;
                    }
                }
            }
            return 0;
        } catch (CallFailure e) {
            err.println("kim-call: " + e.getMessage());
            return e.status();
        }
    }

    /** The request's data: the argument's text as UTF-8, or the bytes of the data file or standard input. */
    static byte[] data(CallOptions options, InputStream stdin) throws CallFailure {
        if (options.dataFile() == null) {
            return options.data().getBytes(StandardCharsets.UTF_8);
        }
        boolean fromStdin = options.dataFile().equals(CallOptions.STDIN);
        String source = fromStdin ? "standard input" : options.dataFile();
        try (InputStream in = fromStdin ? stdin : Files.newInputStream(Path.of(options.dataFile()))) {
            byte[] data = in.readNBytes(MAX_DATA + 1);
            if (data.length > MAX_DATA) {
                throw new CallFailure(CallFailure.BAD_ARGUMENTS, "the data from " + source + " is longer than "
                        + MAX_DATA + " bytes");
            }
            return data;
        } catch (NoSuchFileException e) {
            throw new CallFailure(CallFailure.BAD_ARGUMENTS, "cannot read " + source + ": no such file");
        } catch (IOException e) {
            throw new CallFailure(CallFailure.BAD_ARGUMENTS, "cannot read " + source + ": " + e.getMessage());
        }
    }
}
