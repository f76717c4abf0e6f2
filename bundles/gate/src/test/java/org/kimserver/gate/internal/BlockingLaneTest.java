package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.Test;
import org.kimserver.api.Reply;
import org.osgi.framework.Version;

/**
 * Lanes on real virtual threads. The gate's tests run with one carrier thread for them (the pom sets
 * jdk.virtualThreadScheduler.parallelism=1), so that taking turns shows in the order of the calls, not in time.
 */
public class BlockingLaneTest {
    private static final Reply OK = Reply.ok("ok", "");
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    /** A connection's lane whose calls spin for {@code spinNanos} of CPU and log "name seq". */
    private final class Connection implements BlockingLane.Calls {
        final String name;
        final long spinNanos;
        final CountDownLatch answered;
        final BlockingLane lane;

        Connection(String name, long spinNanos, int requests) {
            this.name = name;
            this.spinNanos = spinNanos;
            this.answered = new CountDownLatch(requests);
            Executor threads = task -> Thread.ofVirtual().start(task);
            BlockingLane[] self = new BlockingLane[1];
            Executor loop = Runnable::run; // the replies are only counted
            lane = new BlockingLane(this, threads, loop, () -> self[0].takeBack().answered()
                    .forEach(a -> answered.countDown()));
            self[0] = lane;
        }

        @Override
        public HandlerEntry enterBlocking(GateRequest request) {
            return new HandlerEntry(r -> OK, 1007, false, "test", Version.emptyVersion, 1, 0);
        }

        @Override
        public Reply invoke(HandlerEntry handler, GateRequest request) {
            long until = System.nanoTime() + spinNanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait(); // CPU work, no blocking: nothing here gives up the carrier
            }
            calls.add(name + " " + request.seq());
            return OK;
        }
    }

    private static GateRequest request(int seq) {
        return new GateRequest(1007, seq, new byte[0]);
    }

    @Test
    public void aLaneOfHeavyCallsTakesTurnsWithAnotherConnectionsLane() throws Exception {
        assertEquals("one carrier", "1", System.getProperty("jdk.virtualThreadScheduler.parallelism"));
        Connection heavy = new Connection("heavy", TimeUnit.MILLISECONDS.toNanos(3), 20);
        heavy.lane.start(request(1));
        for (int seq = 2; seq <= 20; seq++) {
            assertTrue(heavy.lane.offer(request(seq)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!calls.contains("heavy 1")) { // the heavy lane has the carrier now
            assertTrue("the heavy lane runs", System.nanoTime() < deadline);
            Thread.sleep(1);
        }
        Connection light = new Connection("light", 0, 1);
        light.lane.start(request(1));
        assertTrue(heavy.answered.await(10, TimeUnit.SECONDS));
        assertTrue(light.answered.await(10, TimeUnit.SECONDS));
        int lightAt = calls.indexOf("light 1");
        assertTrue("the light request ran after " + lightAt + " heavy calls, not after all 20: " + calls,
                lightAt <= 4);
    }
}
