package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Test;
import org.kimserver.api.Reply;
import org.osgi.framework.Version;

/**
 * Lanes on real virtual threads, with a platform thread as their event loop. The gate's tests run with one carrier
 * thread for virtual threads (the pom sets jdk.virtualThreadScheduler.parallelism=1), so that taking turns shows in
 * the order of the calls, not in time.
 */
public class BlockingLaneTest {
    private static final Reply OK = Reply.ok("ok", "");
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final ExecutorService loop = Executors.newSingleThreadExecutor();

    @After
    public void stopLoop() {
        loop.shutdownNow();
    }

    /**
     * A connection whose calls spin for {@code spinNanos} of CPU and log "name seq"; on its loop it takes the replies
     * back and, as the dispatcher does, starts a new run for what a stopped run left.
     */
    private final class Connection implements BlockingLane.Calls {
        final String name;
        final long spinNanos;
        final CountDownLatch answered;
        final BlockingLane lane;
        /** Requests the loop holds while the lane is stopped (on the loop only). */
        final ArrayDeque<GateRequest> waiting = new ArrayDeque<>();

        Connection(String name, long spinNanos, int requests) {
            this.name = name;
            this.spinNanos = spinNanos;
            this.answered = new CountDownLatch(requests);
            lane = new BlockingLane(this, task -> Thread.ofVirtual().start(task), BlockingLane.SLICE_NANOS, loop,
                    this::takeBack);
        }

        /** On the loop: the replies, and what a stopped run left, run next before what waits here. */
        private void takeBack() {
            BlockingLane.Batch batch = lane.takeBack();
            batch.answered().forEach(a -> answered.countDown());
            if (!batch.stopped()) {
                return;
            }
            List<GateRequest> next = new ArrayList<>(batch.left());
            next.addAll(waiting);
            waiting.clear();
            waiting.addAll(next);
            if (!waiting.isEmpty()) {
                lane.start(waiting.poll());
                while (!waiting.isEmpty() && lane.offer(waiting.peek())) {
                    waiting.poll(); // else the new run has stopped already: its take-back comes
                }
            }
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
        // Each heavy call is longer than a slice: a run of them stops after every call.
        Connection heavy = new Connection("heavy", BlockingLane.SLICE_NANOS + TimeUnit.MILLISECONDS.toNanos(2), 20);
        loop.submit(() -> {
            heavy.lane.start(request(1));
            for (int seq = 2; seq <= 20; seq++) {
                heavy.lane.offer(request(seq));
            }
        }).get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!calls.contains("heavy 1")) { // the heavy lane has the carrier now
            assertTrue("the heavy lane runs", System.nanoTime() < deadline);
            Thread.sleep(1);
        }
        Connection light = new Connection("light", 0, 1);
        int heavyCallsBefore = calls.size();
        loop.submit(() -> light.lane.start(request(1))).get();
        assertTrue(heavy.answered.await(10, TimeUnit.SECONDS));
        assertTrue(light.answered.await(10, TimeUnit.SECONDS));
        int lightAt = calls.indexOf("light 1");
        // The heavy run stops after the call at work when the light one came (one more may pass while the light
        // thread is being scheduled); with no slices: after all 20.
        assertTrue("the light request ran after " + lightAt + " heavy calls, " + heavyCallsBefore
                + " of them before it came: " + calls, lightAt <= heavyCallsBefore + 2);
        assertTrue("the heavy lane was not done when the light request came", heavyCallsBefore < 18);
    }
}
