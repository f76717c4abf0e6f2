package org.kimserver.session.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Test;
import org.kimserver.api.Session;

/** The original's session semantics (reference 5.5) on real timers. */
public class SessionRegistryTest {
    private final SessionRegistry registry = new SessionRegistry();
    private final BlockingQueue<String> timeouts = new LinkedBlockingQueue<>();
    private final Object owner = new Object();

    private final class Recording implements Session {
        private final String id;

        Recording(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void onTimeout() {
            timeouts.add(id + "@" + System.nanoTime());
        }
    }

    @After
    public void stop() {
        registry.deactivate();
    }

    private String nextTimeout() throws InterruptedException {
        String fired = timeouts.poll(5, TimeUnit.SECONDS);
        if (fired == null) {
            throw new AssertionError("no onTimeout within 5 s");
        }
        return fired.substring(0, fired.indexOf('@'));
    }

    @Test
    public void oneShotSessionExpiresOnceAndIsRemoved() throws Exception {
        long start = System.nanoTime();
        assertTrue(registry.add(new Recording("u1"), Duration.ofMillis(150), Duration.ZERO, owner));
        assertTrue(registry.get("u1").isPresent());
        assertEquals("u1", nextTimeout());
        assertTrue("expired after " + (System.nanoTime() - start) / 1_000_000 + " ms",
                System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(150));
        assertFalse(registry.get("u1").isPresent());
        assertEquals(0, registry.size());
        assertEquals(null, timeouts.poll(400, TimeUnit.MILLISECONDS));
    }

    @Test
    public void repeatingSessionFiresAgainAndStaysUntilDeleted() throws Exception {
        assertTrue(registry.add(new Recording("r"), Duration.ofMillis(100), Duration.ofMillis(100), owner));
        assertEquals("r", nextTimeout());
        assertEquals("r", nextTimeout());
        assertEquals("r", nextTimeout());
        assertTrue(registry.get("r").isPresent());
        assertTrue(registry.delete("r"));
        Thread.sleep(50); // a call already started may still land
        timeouts.clear();
        assertEquals(null, timeouts.poll(400, TimeUnit.MILLISECONDS));
    }

    @Test
    public void deletedSessionNeverTimesOut() throws Exception {
        registry.add(new Recording("d"), Duration.ofMillis(100), Duration.ZERO, owner);
        assertTrue(registry.delete("d"));
        assertFalse(registry.delete("d"));
        assertEquals(null, timeouts.poll(400, TimeUnit.MILLISECONDS));
    }

    @Test
    public void duplicateIdIsRefusedAndGetOrCreateReturnsTheExistingOne() {
        Recording first = new Recording("x");
        assertTrue(registry.add(first, Duration.ofSeconds(5), Duration.ZERO, owner));
        assertFalse(registry.add(new Recording("x"), Duration.ofSeconds(5), Duration.ZERO, owner));
        assertSame(first, registry.getOrCreate("x", Recording.class, Recording::new, Duration.ofSeconds(5), owner));
        Recording made = registry.getOrCreate("y", Recording.class, Recording::new, Duration.ofSeconds(5), owner);
        assertSame(made, registry.get("y").orElseThrow());
    }

    @Test(expected = IllegalArgumentException.class)
    public void zeroExpiryIsRefusedAsTheOriginalDoes() {
        registry.add(new Recording("z"), Duration.ZERO, Duration.ZERO, owner);
    }

    @Test
    public void aSessionWhoseIdThrowsWhenItFiresStopsNoOtherTimer() throws Exception {
        AtomicInteger idCalls = new AtomicInteger();
        registry.add(new Session() {
            @Override
            public String id() {
                if (idCalls.incrementAndGet() > 1) {
                    throw new IllegalStateException("a careless module: id() after its user left");
                }
                return "careless";
            }
        }, Duration.ofMillis(20), Duration.ofMillis(20), owner);
        Thread.sleep(100);
        registry.add(new Recording("good"), Duration.ofMillis(20), Duration.ZERO, new Object());
        assertEquals("good", nextTimeout());
    }

    @Test
    public void repeatingSessionsKeepTheirRate() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        long start = System.nanoTime();
        registry.add(new Session() {
            @Override
            public String id() {
                return "every 20 ms";
            }

            @Override
            public void onTimeout() {
                calls.incrementAndGet();
            }
        }, Duration.ofMillis(20), Duration.ofMillis(20), owner);
        Thread.sleep(1_000);
        int called = calls.get();
        long expected = (System.nanoTime() - start) / TimeUnit.MILLISECONDS.toNanos(20);
        // One tick (10 ms) late each time would make it 34 in a second.
        assertTrue(called + " calls, about " + expected + " expected", called >= expected - 5 && called <= expected);
    }

    @Test
    public void anExpiryOrRepeatTooLongForALongIsNever() throws Exception {
        registry.add(new Recording("forever"), Duration.ofNanos(Long.MAX_VALUE), Duration.ZERO, owner);
        registry.add(new Recording("longer"), Duration.ofDays(1_000_000_000L), Duration.ZERO, owner);
        registry.add(new Recording("once"), Duration.ofMillis(10), Duration.ofNanos(Long.MAX_VALUE), owner);
        assertEquals("once", nextTimeout());
        assertEquals(null, timeouts.poll(300, TimeUnit.MILLISECONDS));
        assertEquals(3, registry.size());
    }

    @Test
    public void anOwnersSessionsGoWithIt() throws Exception {
        Object other = new Object();
        registry.add(new Recording("mine"), Duration.ofMillis(200), Duration.ZERO, owner);
        registry.add(new Recording("theirs"), Duration.ofMillis(200), Duration.ZERO, other);
        registry.deleteOwnedBy(owner);
        assertFalse(registry.get("mine").isPresent());
        assertEquals("theirs", nextTimeout());
        assertEquals(null, timeouts.poll(300, TimeUnit.MILLISECONDS));
    }
}
