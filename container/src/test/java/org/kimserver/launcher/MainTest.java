package org.kimserver.launcher;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.kimserver.launcher.Main.Role;

public class MainTest {
    private static final String CONFIGURED = "127.0.0.1:3355";

    @Test
    public void theTwoRolesAndTheirTags() {
        assertEquals(new Role("M0", false), Role.of(List.of("run")));
        assertEquals(new Role("M0", true), Role.of(List.of("run", "--daemon")));
        assertEquals(new Role("W1", true), Role.of(List.of("worker", "1")));
        assertEquals(new Role("W16", true), Role.of(List.of("worker", "16")));
        assertTrue(Role.of(List.of("run")).manager());
        assertFalse(Role.of(List.of("worker", "3")).manager());
        assertEquals("kimserver W3: ", Role.of(List.of("worker", "3")).says());
        assertEquals("kimserver: ", Role.of(List.of("run")).says());
    }

    /** A worker's number names its folder, log and socket: only a plain number from 1 is one. */
    @Test
    public void anythingElseIsWrongUsage() {
        for (List<String> argv : List.of(List.<String>of(), List.of("worker"), List.of("worker", "0"),
                List.of("worker", "-1"), List.of("worker", "01"), List.of("worker", "+1"), List.of("worker", "1x"),
                List.of("worker", "../m0"), List.of("worker", "1", "2"), List.of("worker", "1", "--daemon"),
                List.of("worker", "12345678901"), List.of("--daemon", "run"), List.of("run", "worker", "1"),
                List.of("start"))) {
            assertNull(argv.toString(), Role.of(argv));
        }
    }

    private static Map<String, Object> state(String state, String address) {
        return address == null ? Map.of(Main.GATE_STATE, state) : Map.of(Main.GATE_STATE, state,
                Main.GATE_ADDRESS, address);
    }

    private static Map<String, Object> failed(String address, String error) {
        return Map.of(Main.GATE_STATE, "failed", Main.GATE_ADDRESS, address, Main.GATE_ERROR, error);
    }

    @Test
    public void upWhenEveryStateSaysListening() {
        assertTrue(Main.up(List.of(state("listening", "a:1")), true));
        assertTrue(Main.up(List.of(state("listening", "a:1"), state("listening", "workers")), true));
        assertFalse("one not yet", Main.up(List.of(state("listening", "a:1"), state("starting", "workers")), true));
        assertFalse("none at all", Main.up(List.of(), true));
        assertFalse(Main.up(List.of(state("failed", "a:1")), true));
        assertFalse("a value nobody defined is not yet", Main.up(List.of(state("LISTENING", "a:1")), true));
    }

    /** With an empty gate_host nothing has to listen, but what says something must say listening. */
    @Test
    public void withoutAGateNoStateIsNeededButEachThereMustListen() {
        assertTrue(Main.up(List.of(), false));
        assertTrue(Main.up(List.of(state("listening", "workers")), false));
        assertFalse(Main.up(List.of(state("starting", "workers")), false));
    }

    @Test
    public void aFailedStateIsTheReasonWhateverTheOthersSay() {
        assertNull(Main.failure(List.of(state("listening", "a:1"), state("starting", null)), CONFIGURED));
        assertEquals("the gate cannot listen on 127.0.0.1:4000: Address already in use",
                Main.failure(List.of(state("listening", "workers"), failed("127.0.0.1:4000",
                        "Address already in use")), CONFIGURED));
        assertEquals("each failure, in the order of their addresses",
                "the gate cannot listen on a:1: one; the gate cannot listen on b:2: two",
                Main.failure(List.of(failed("b:2", "two"), state("listening", "c:3"), failed("a:1", "one")),
                        CONFIGURED));
        assertEquals("one without an address is the configured one's",
                "the gate cannot listen on 127.0.0.1:3355: null",
                Main.failure(List.of(state("failed", null)), CONFIGURED));
    }

    @Test
    public void whatIsNotYetListeningIsNamedWhenTimeRunsOut() {
        assertEquals("", Main.pending(List.of(state("listening", "a:1"))));
        assertEquals(" (not yet listening: null, workers: starting)", Main.pending(List.of(state("listening", "a:1"),
                Map.of(Main.GATE_STATE, "null"), state("starting", "workers"))));
    }
}
