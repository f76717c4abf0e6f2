package org.kimserver.bench;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class BenchOptionsTest {

    @Test
    public void theOriginalsFiveArgumentsWithItsDefaults() {
        BenchOptions o = BenchOptions.parse(new String[] {"127.0.0.1", "3355", "1001", "10000", "100"});
        assertEquals("127.0.0.1", o.host());
        assertEquals(3355, o.port());
        assertEquals(1001, o.cmd());
        assertEquals(10000, o.users());
        assertEquals(100, o.packets());
        assertEquals(100, o.burst());
        assertEquals(100, o.pauseMillis());
        assertFalse(o.timed());
        assertTrue(o.progress());
        assertFalse(o.frameWrites());
    }

    @Test
    public void optionsAnywhere() {
        BenchOptions o = BenchOptions.parse(new String[] {"--burst", "10", "h", "1", "1003", "2", "3", "--duration",
            "1.5", "--pause", "0", "--threads", "2", "--no-progress", "--timeout", "9", "--frame-writes"});
        assertEquals(10, o.burst());
        assertEquals(0, o.pauseMillis());
        assertEquals(1.5, o.durationSeconds(), 0);
        assertTrue(o.timed());
        assertEquals(2, o.threads());
        assertEquals(9, o.timeoutSeconds(), 0);
        assertFalse(o.progress());
        assertTrue(o.frameWrites());
    }

    @Test
    public void withADurationPacketsMayBeZero() {
        assertTrue(BenchOptions.parse(new String[] {"--duration", "12", "h", "1", "1005", "50", "0"}).timed());
        assertMessage("<packets> must be above 0", "h", "1", "1005", "50", "0");
    }

    @Test
    public void badArgumentsSayWhat() {
        assertMessage("expected 5 arguments, got 3", "h", "1", "1001");
        assertMessage("<users> must be above 0", "h", "1", "1001", "0", "1");
        assertMessage("<port> 70000 is out of range", "h", "70000", "1001", "1", "1");
        assertMessage("<cmd> \"abc\" is not a number", "h", "1", "abc", "1", "1");
        assertMessage("unknown option --fast", "--fast", "h", "1", "1001", "1", "1");
        assertMessage("--burst needs a value", "h", "1", "1001", "1", "1", "--burst");
    }

    private static void assertMessage(String expected, String... args) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(args))
                .getMessage());
    }
}
