package org.kimserver.session.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
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

    @Test
    public void timersSetAndCancelledFromManyThreadsWhileItTurnsAreNeitherLostNorFiredTwice() throws Exception {
        TimerWheel onRealTime = new TimerWheel(System::nanoTime);
        int perThread = 40_000;
        int threads = 6;
        int n = perThread * threads;
        AtomicIntegerArray fired = new AtomicIntegerArray(n);
        long[] notBefore = new long[n];
        long[] firedAt = new long[n];
        boolean[] cancelled = new boolean[n];
        AtomicBoolean stop = new AtomicBoolean();
        Thread turner = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                onRealTime.turn();
            }
        });
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int tt = t;
            Runnable r = () -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                for (int k = 0; k < perThread; k++) {
                    int i = tt * perThread + k;
                    long delay = rnd.nextInt(4) == 0 ? 0 : rnd.nextLong(30_000_000L);
                    notBefore[i] = System.nanoTime() + delay;
                    TimerWheel.Timer timer = onRealTime.schedule(() -> {
                        firedAt[i] = System.nanoTime();
                        fired.incrementAndGet(i);
                    }, delay);
                    if (rnd.nextBoolean()) {
                        if (rnd.nextBoolean()) {
                            Thread.onSpinWait();
                        }
                        cancelled[i] = onRealTime.cancel(timer);
                    }
                }
            };
            ts.add(t % 2 == 0 ? Thread.ofPlatform().start(r) : Thread.ofVirtual().start(r));
        }
        for (Thread t : ts) {
            t.join();
        }
        Thread.sleep(200);
        stop.set(true);
        turner.join();
        int lost = 0;
        int twice = 0;
        int cancelledButFired = 0;
        int early = 0;
        for (int i = 0; i < n; i++) {
            int f = fired.get(i);
            twice += f > 1 ? 1 : 0;
            cancelledButFired += cancelled[i] && f > 0 ? 1 : 0;
            lost += !cancelled[i] && f == 0 ? 1 : 0;
            early += f > 0 && firedAt[i] < notBefore[i] ? 1 : 0;
        }
        assertEquals("of " + n + ": lost " + lost + ", twice " + twice + ", cancelled but fired " + cancelledButFired
                + ", early " + early, 0, lost + twice + cancelledButFired + early);
    }
}
