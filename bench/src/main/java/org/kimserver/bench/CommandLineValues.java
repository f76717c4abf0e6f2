package org.kimserver.bench;

/**
 * The values of command-line options and arguments, read the same way by kim-bench and kim-call: each tool checks
 * its own ranges, the messages for a missing value or one that is no number are these.
 */
final class CommandLineValues {

    private CommandLineValues() {
    }

    /** The value after option {@code args[i - 1]}. */
    static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    /** A whole number, 0 or more. */
    static long wholeNumber(String name, String text) {
        try {
            long value = Long.parseLong(text);
            if (value < 0) {
                throw new IllegalArgumentException(name + " " + text + " is out of range");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " \"" + text + "\" is not a number");
        }
    }

    /** A number with a fraction or not, any sign: the caller checks its range. */
    static double decimal(String name, String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " \"" + text + "\" is not a number");
        }
    }
}
