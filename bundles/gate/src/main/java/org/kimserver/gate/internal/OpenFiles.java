package org.kimserver.gate.internal;

import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * The process's open-file limit, as far as client connections are concerned: each one takes a file descriptor,
 * and the process needs some for itself. Read through the platform MBean (Unix JVMs), so nothing JDK-internal is
 * imported. The JVM raises its soft limit to the hard one at start on Linux (HotSpot's MaxFDLimit).
 */
final class OpenFiles {
    /** Descriptors kept for everything but client connections: log files, bundles, database and node links. */
    static final int RESERVE = 256;

    private OpenFiles() {
    }

    /** The limit, or -1 where the JVM does not tell. */
    static long max() {
        return attribute("MaxFileDescriptorCount");
    }

    /** Descriptors open now, or -1 where the JVM does not tell. */
    static long open() {
        return attribute("OpenFileDescriptorCount");
    }

    /** How many client connections the limit leaves room for now, or {@code Integer.MAX_VALUE} if unknown. */
    static int connectionRoom() {
        long max = max();
        long open = open();
        if (max < 0 || open < 0) {
            return Integer.MAX_VALUE;
        }
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, max - open - RESERVE));
    }

    private static long attribute(String name) {
        try {
            Object value = ManagementFactory.getPlatformMBeanServer()
                    .getAttribute(new ObjectName("java.lang:type=OperatingSystem"), name);
            return value instanceof Number number ? number.longValue() : -1;
        } catch (JMException | RuntimeException e) {
            return -1;
        }
    }
}
