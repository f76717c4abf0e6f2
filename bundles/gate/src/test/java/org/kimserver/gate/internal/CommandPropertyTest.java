package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;

/** The forms of the kim.cmd service property a module may use. */
public class CommandPropertyTest {

    @Test
    public void numbersStringsArraysAndCollectionsAreRead() {
        assertEquals(List.of(1001), HandlerRegistry.parseCommands(1001));
        assertEquals(List.of(1001), HandlerRegistry.parseCommands(1001L));
        assertEquals(List.of(1001, 1003), HandlerRegistry.parseCommands("1001, 1003"));
        assertEquals(List.of(1001, 1003), HandlerRegistry.parseCommands(new int[] {1001, 1003}));
        assertEquals(List.of(1001, 1003), HandlerRegistry.parseCommands(new String[] {"1001", "1003"}));
        assertEquals(List.of(1001, 1005), HandlerRegistry.parseCommands(List.of(1001, "1005")));
    }

    @Test
    public void theCatchAllIsItsOwnKey() {
        List<Integer> any = HandlerRegistry.parseCommands("*");
        assertEquals(1, any.size());
        assertTrue(any.get(0) < 0);
    }

    @Test
    public void badValuesAreRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HandlerRegistry.parseCommands(null))
                .getMessage().contains("missing"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HandlerRegistry.parseCommands("hello"))
                .getMessage().contains("\"hello\" is not a command number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HandlerRegistry.parseCommands(-5))
                .getMessage().contains("out of range"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HandlerRegistry.parseCommands(1L << 33))
                .getMessage().contains("out of range"));
    }
}
