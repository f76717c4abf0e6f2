package org.kimserver.bench;

import java.util.ArrayList;
import java.util.List;

/** The command line of kim-bench: the original test_tcp_pressure's five arguments plus options. */
record BenchOptions(String host, int port, int cmd, int users, int packets, int burst, long pauseMillis,
                    double durationSeconds, int threads, double timeoutSeconds, boolean progress,
                    boolean frameWrites) {

    static final String USAGE = """
            usage: kim-bench [options] <host> <port> <cmd> <users> <packets>
              One connection per user; each user sends bursts of pipelined requests of <cmd> and sends the next
              burst once every reply of the last one is in, until it has sent <packets> (as the original's
              test_tcp_pressure). Data: "<i> - hello", or for 1007 {"user_id":<user>,"user_name":"hello - <user>"}.
            options:
              --burst N        requests per burst (default 100)
              --pause MS       pause between a user's bursts (default 100, as the original)
              --duration S     send bursts for S seconds instead of <packets> per user
              --threads N      client I/O threads (default 1)
              --timeout S      give up after S seconds of sending, reporting what is missing (default 300)
              --frame-writes   write and flush each request on its own, as the original's client does
                               (default: one write per burst, which leaves more CPU to the server)
              --no-progress    no progress lines on stderr
            exit status: 0 every reply had code 0; 1 error replies, bad or missing replies, or failed connects;
            2 bad arguments""";

    static BenchOptions parse(String[] args) {
        List<String> positional = new ArrayList<>();
        int burst = 100;
        long pause = 100;
        double duration = 0;
        int threads = 1;
        double timeout = 300;
        boolean progress = true;
        boolean frameWrites = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--burst" -> burst = (int) positive(arg, CommandLineValues.value(args, ++i));
                case "--pause" -> pause = nonNegative(arg, CommandLineValues.value(args, ++i));
                case "--duration" -> duration = positiveDecimal(arg, CommandLineValues.value(args, ++i));
                case "--threads" -> threads = (int) positive(arg, CommandLineValues.value(args, ++i));
                case "--timeout" -> timeout = positiveDecimal(arg, CommandLineValues.value(args, ++i));
                case "--no-progress" -> progress = false;
                case "--frame-writes" -> frameWrites = true;
                case "-h", "--help" -> throw new IllegalArgumentException("");
                default -> {
                    if (arg.startsWith("--")) {
                        throw new IllegalArgumentException("unknown option " + arg);
                    }
                    positional.add(arg);
                }
            }
        }
        if (positional.size() != 5) {
            throw new IllegalArgumentException("expected 5 arguments, got " + positional.size());
        }
        int port = (int) positive("<port>", positional.get(1));
        if (port > 65535) {
            throw new IllegalArgumentException("<port> " + port + " is out of range");
        }
        // With --duration, bursts are sent for that long and <packets> is not used: 0 is as good as any.
        int packets = (int) (duration > 0 ? nonNegative("<packets>", positional.get(4))
                : positive("<packets>", positional.get(4)));
        return new BenchOptions(positional.get(0), port, (int) positive("<cmd>", positional.get(2)),
                (int) positive("<users>", positional.get(3)), packets, burst, pause, duration, threads, timeout,
                progress, frameWrites);
    }

    boolean timed() {
        return durationSeconds > 0;
    }

    private static long positive(String name, String text) {
        long value = nonNegative(name, text);
        if (value == 0) {
            throw new IllegalArgumentException(name + " must be above 0");
        }
        return value;
    }

    private static long nonNegative(String name, String text) {
        long value = CommandLineValues.wholeNumber(name, text);
        if (value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " " + text + " is out of range");
        }
        return value;
    }

    private static double positiveDecimal(String name, String text) {
        double value = CommandLineValues.decimal(name, text);
        if (!(value > 0)) {
            throw new IllegalArgumentException(name + " must be above 0");
        }
        return value;
    }
}
