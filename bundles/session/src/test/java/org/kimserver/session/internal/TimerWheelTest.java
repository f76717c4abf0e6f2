package org.kimserver.session.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/** The wheel on a clock the test moves: never early, at most a tick late, cancels, and several turns long. */
public class TimerWheelTest {
    private long now = 1_000_000_000L;
    private final TimerWheel wheel = new TimerWheel(() -> now);
    private final List<String> fired = new ArrayList<>();

    private void advanceMillis(long millis) {
        for (long i = 0; i < millis; i++) { // the timer thread turns the wheel about once a tick; here every ms
            now += TimeUnit.MILLISECONDS.toNanos(1);
            wheel.turn();
        }
    }

    @Test
    public void aTimerFiresNotBeforeItsDelayAndAtMostATickAfter() {
        now += TimeUnit.MILLISECONDS.toNanos(3); // not on a tick boundary
        wheel.schedule(() -> fired.add("t"), TimeUnit.MILLISECONDS.toNanos(150));
        advanceMillis(149);
        assertTrue(fired.isEmpty());
        advanceMillis(10);
        assertEquals(List.of("t"), fired);
        advanceMillis(10_000);
        assertEquals("once", List.of("t"), fired);
    }

    @Test
    public void aCancelledTimerNeverFires() {
        TimerWheel.Timer timer = wheel.schedule(() -> fired.add("t"), TimeUnit.MILLISECONDS.toNanos(100));
        assertTrue(wheel.cancel(timer));
        assertFalse("a second cancel finds nothing", wheel.cancel(timer));
        advanceMillis(1_000);
        assertTrue(fired.isEmpty());
    }

    @Test
    public void aTimerLongerThanTheWheelWaitsForItsOwnTurn() {
        long wheelMillis = TimerWheel.SLOTS * TimeUnit.NANOSECONDS.toMillis(TimerWheel.TICK_NANOS);
        wheel.schedule(() -> fired.add("long"), TimeUnit.MILLISECONDS.toNanos(wheelMillis * 2 + 30));
        wheel.schedule(() -> fired.add("short"), TimeUnit.MILLISECONDS.toNanos(30));
        advanceMillis(40);
        assertEquals(List.of("short"), fired);
        advanceMillis(wheelMillis * 2 - 20);
        assertEquals("not at the first or second pass over its slot", List.of("short"), fired);
        advanceMillis(20);
        assertEquals(List.of("short", "long"), fired);
    }

    @Test
    public void aLateTurnFiresEverythingDueSinceInOrderOfTheirTicks() {
        wheel.schedule(() -> fired.add("b"), TimeUnit.MILLISECONDS.toNanos(200));
        wheel.schedule(() -> fired.add("a"), TimeUnit.MILLISECONDS.toNanos(100));
        now += TimeUnit.SECONDS.toNanos(3); // the timer thread was held up
        wheel.turn();
        assertEquals(List.of("a", "b"), fired);
    }

    @Test
    public void aTimerSetWhileTheWheelIsBehindIsNotLostAFullTurn() {
        now += TimeUnit.SECONDS.toNanos(1); // the wheel has not turned for a second
        wheel.schedule(() -> fired.add("t"), TimeUnit.MILLISECONDS.toNanos(10));
        advanceMillis(20);
        assertEquals(List.of("t"), fired);
    }
}
