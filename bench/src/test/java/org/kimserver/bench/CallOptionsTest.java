package org.kimserver.bench;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class CallOptionsTest {

    @Test
    public void threeArgumentsWithTheDefaults() {
        CallOptions o = CallOptions.parse(new String[] {"127.0.0.1", "3355", "1001"});
        assertEquals("127.0.0.1", o.host());
        assertEquals(3355, o.port());
        assertEquals(1001, o.cmd());
        assertEquals("", o.data());
        assertNull(o.dataFile());
        assertEquals(5, o.timeoutSeconds(), 0);
        assertFalse(o.json());
        assertEquals(1, o.seq());
        assertEquals(1, o.count());
        assertEquals("127.0.0.1:3355", o.address());
    }

    @Test
    public void optionsAnywhereAndADashForStandardInput() {
        CallOptions o = CallOptions.parse(new String[] {"--json", "::1", "7", "--timeout", "0.25", "4294967295",
            "-", "--seq", "4294967295", "--count", "3"});
        assertTrue(o.json());
        assertEquals(0.25, o.timeoutSeconds(), 0);
        assertEquals(-1, o.cmd()); // fixed32 on the wire: the int holds the unsigned value's bits
        assertEquals(-1, o.seq());
        assertEquals(3, o.count());
        assertEquals(CallOptions.STDIN, o.dataFile());
        assertEquals("", o.data());
        assertEquals("[::1]:7", o.address());
    }

    @Test
    public void dataThatLooksLikeAnOptionAfterTwoDashes() {
        CallOptions o = CallOptions.parse(new String[] {"h", "1", "1001", "--", "--json"});
        assertEquals("--json", o.data());
        assertFalse(o.json());
        assertEquals("-5 apples", CallOptions.parse(new String[] {"h", "1", "1001", "-5 apples"}).data());
    }

    @Test
    public void aDataFile() {
        CallOptions o = CallOptions.parse(new String[] {"h", "1", "1001", "--data-file", "/tmp/body"});
        assertEquals("/tmp/body", o.dataFile());
    }

    @Test
    public void badArgumentsSayWhat() {
        assertMessage("expected 3 or 4 arguments, got 2", "h", "1");
        assertMessage("expected 3 or 4 arguments, got 5", "h", "1", "1001", "a", "b");
        assertMessage("<port> 0 is out of range (1..2147483647)", "h", "0", "1001");
        assertMessage("<port> 70000 is out of range", "h", "70000", "1001");
        assertMessage("<port> \"http\" is not a number", "h", "http", "1001");
        assertMessage("<cmd> \"hello\" is not a number", "h", "1", "hello");
        assertMessage("<cmd> -1 is out of range", "h", "1", "--", "-1");
        assertMessage("<cmd> 4294967296 is out of range (0..4294967295)", "h", "1", "4294967296");
        assertMessage("--timeout 0 is out of range (above 0, at most 86400)", "h", "1", "1", "--timeout", "0");
        assertMessage("--timeout NaN is out of range (above 0, at most 86400)", "h", "1", "1", "--timeout", "NaN");
        assertMessage("--timeout 1e300 is out of range (above 0, at most 86400)", "h", "1", "1", "--timeout",
                "1e300");
        assertMessage("--timeout \"soon\" is not a number", "h", "1", "1", "--timeout", "soon");
        assertMessage("--count 0 is out of range (1..2147483647)", "h", "1", "1", "--count", "0");
        assertMessage("[data] and --data-file both given: send one of them", "h", "1", "1", "x", "--data-file",
                "f");
        assertMessage("unknown option --jsn", "--jsn", "h", "1", "1001");
        assertMessage("--seq needs a value", "h", "1", "1001", "--seq");
    }

    @Test
    public void helpIsAnEmptyMessage() {
        assertMessage("", "--help");
        assertMessage("", "h", "1", "1", "-h");
    }

    private static void assertMessage(String expected, String... args) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> CallOptions.parse(args))
                .getMessage());
    }
}
