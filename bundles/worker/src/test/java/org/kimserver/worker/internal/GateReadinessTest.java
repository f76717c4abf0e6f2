package org.kimserver.worker.internal;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.Test;

/** When a worker tells its manager that it is ready, from the services carrying kim.gate.state. */
public class GateReadinessTest {

    @Test
    public void noServiceYetIsStarting() {
        assertEquals(GateReadiness.STARTING, GateReadiness.of(List.of()).state());
    }

    @Test
    public void aFailedGateWinsOverAListeningOneAndSaysWhy() {
        GateReadiness r = GateReadiness.of(List.of(Map.of("kim.gate.state", "listening"),
                Map.of("kim.gate.state", "failed", "kim.gate.error", "Address already in use",
                        "kim.gate.address", "0.0.0.0:3355")));
        assertEquals(new GateReadiness("failed", "Address already in use", "0.0.0.0:3355"), r);
    }

    @Test
    public void aGateConfiguredNotToListenDoesNotHoldBackAReadyHandOff() {
        GateReadiness r = GateReadiness.of(List.of(Map.of("kim.gate.state", "not listening"),
                Map.of("kim.gate.state", "listening", "kim.gate.address", "handoff")));
        assertEquals(GateReadiness.LISTENING, r.state());
    }

    @Test
    public void onlyNotListeningIsStarting() {
        assertEquals(GateReadiness.STARTING, GateReadiness.of(List.of(Map.of("kim.gate.state", "not listening")))
                .state());
    }

    @Test
    public void theWorkerIndexComesFromTheProcessTag() {
        assertEquals(12, WorkerControl.workerIndex("W12"));
        assertEquals(1, WorkerControl.workerIndex("W1"));
    }

    @Test(expected = IllegalStateException.class)
    public void aTagThatIsNotAWorkersIsRefused() {
        WorkerControl.workerIndex("M0");
    }

    @Test
    public void aCountThatWentBackCountsFromZeroAndAHugeOneIsCapped() {
        assertEquals(5, ControlClient.delta(15, 10));
        assertEquals(3, ControlClient.delta(3, 10));
        assertEquals(-1, ControlClient.delta(1L << 40, 0)); // 0xFFFFFFFF as uint32
    }
}
