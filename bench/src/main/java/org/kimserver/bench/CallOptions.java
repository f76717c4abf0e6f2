package org.kimserver.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The command line of kim-call. The request's data is either {@code data} (text, sent as UTF-8) or read from
 * {@code dataFile} ({@value #STDIN} for standard input), never both.
 */
record CallOptions(String host, int port, int cmd, String data, String dataFile, double timeoutSeconds,
                   boolean json, int seq, int count) {

    /** The name that stands for standard input, as data or as {@code --data-file}. */
    static final String STDIN = "-";
    /** A day: long enough for anything kim-call is for, short enough that a deadline in nanoseconds cannot overflow. */
    static final int MAX_TIMEOUT_SECONDS = 86400;

    static final String USAGE = """
            usage: kim-call [options] <host> <port> <cmd> [data]
              Sends one request of <cmd> with [data] (text, sent as UTF-8; "-" reads it from standard input),
              waits for the reply and prints its code, msg and data (as text when it is UTF-8, else as hex).
            options:
              --json            print the reply as one JSON object: cmd, seq, code, msg, data (a string when
                                UTF-8, else base64 with msg_base64 / data_base64 true) and elapsed_ms
              --data-file F     send the bytes of file F as data ("-": standard input)
              --timeout S       give up when no reply came S seconds after sending; also bounds the connect
                                (default 5)
              --seq N           the request's seq (default 1)
              --count N         send N requests one after another on the connection, seq N, N+1, ...,
                                stopping at the first that does not get a code-0 reply (default 1)
              --                the arguments after it are not options (data that starts with --)
            exit status: 0 the reply's code is 0; 1 the reply's code is an error (it is printed), or the reply
            does not match the request; 2 bad arguments or unreadable data; 3 no reply (connection refused,
            closed without a reply, or the timeout)""";

    static CallOptions parse(String[] args) {
        List<String> positional = new ArrayList<>();
        String dataFile = null;
        double timeout = 5;
        boolean json = false;
        long seq = 1;
        long count = 1;
        boolean options = true;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!options || !arg.startsWith("--") && !arg.equals("-h")) {
                positional.add(arg);
                continue;
            }
            switch (arg) {
                case "--json" -> json = true;
                case "--data-file" -> dataFile = CommandLineValues.value(args, ++i);
                case "--timeout" -> timeout = positiveDecimal(arg, CommandLineValues.value(args, ++i));
                case "--seq" -> seq = unsigned32(arg, CommandLineValues.value(args, ++i));
                case "--count" -> count = positiveInt(arg, CommandLineValues.value(args, ++i));
                case "--" -> options = false;
                case "-h", "--help" -> throw new IllegalArgumentException("");
                default -> throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        if (positional.size() < 3 || positional.size() > 4) {
            throw new IllegalArgumentException("expected 3 or 4 arguments, got " + positional.size());
        }
        String data = positional.size() == 4 ? positional.get(3) : "";
        if (dataFile != null && positional.size() == 4) {
            throw new IllegalArgumentException("[data] and --data-file both given: send one of them");
        }
        if (data.equals(STDIN)) {
            dataFile = STDIN;
            data = "";
        }
        long port = positiveInt("<port>", positional.get(1));
        if (port > 65535) {
            throw new IllegalArgumentException("<port> " + port + " is out of range");
        }
        return new CallOptions(positional.get(0), (int) port, (int) unsigned32("<cmd>", positional.get(2)), data,
                dataFile, timeout, json, (int) seq, (int) count);
    }

    /** The address as the messages show it. */
    String address() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private static long positiveInt(String name, String text) {
        long value = CommandLineValues.wholeNumber(name, text);
        if (value == 0 || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " " + text + " is out of range (1.." + Integer.MAX_VALUE + ")");
        }
        return value;
    }

    /** cmd and seq are fixed32 on the wire: 0..4294967295, kept in an int as their bits. */
    private static long unsigned32(String name, String text) {
        long value = CommandLineValues.wholeNumber(name, text);
        if (value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(name + " " + text + " is out of range (0..4294967295)");
        }
        return value;
    }

    private static double positiveDecimal(String name, String text) {
        double value = CommandLineValues.decimal(name, text);
        if (!(value > 0 && value <= MAX_TIMEOUT_SECONDS)) {
            throw new IllegalArgumentException(name + " " + text + " is out of range (above 0, at most "
                    + MAX_TIMEOUT_SECONDS + ")");
        }
        return value;
    }
}
