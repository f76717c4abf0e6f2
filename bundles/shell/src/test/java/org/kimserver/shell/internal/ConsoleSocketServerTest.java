package org.kimserver.shell.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;

public class ConsoleSocketServerTest {
    @Test
    public void eachProcessHasASocketOfItsOwn() {
        assertEquals("console", ConsoleSocketServer.baseName("M0"));
        assertEquals("a framework the launcher did not start is the manager's", "console",
                ConsoleSocketServer.baseName(null));
        assertEquals("console-w1", ConsoleSocketServer.baseName("W1"));
        assertEquals("console-w12", ConsoleSocketServer.baseName("W12"));
    }

    /** A tag is made into a file name: one that is not a process's could point anywhere (W1/../x) or collide. */
    @Test
    public void aTagThatNamesNoProcessIsRefused() {
        for (String tag : List.of("W0", "W01", "w1", "M1", "", "W", "W1/../../x", "W1.sock")) {
            IllegalArgumentException e = assertThrows(tag, IllegalArgumentException.class,
                    () -> ConsoleSocketServer.baseName(tag));
            assertTrue(e.getMessage(), e.getMessage().contains("'" + tag + "'"));
        }
    }
}
