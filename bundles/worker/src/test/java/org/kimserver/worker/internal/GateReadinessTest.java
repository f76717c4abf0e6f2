package org.kimserver.worker.internal;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.Test;

/** When a worker tells its manager that it is ready: the launcher's verdict, unless a gate state says failed. */
public class GateReadinessTest {

    @Test
    public void notUpYetIsStarting() {
        assertEquals(GateReadiness.STARTING, GateReadiness.of(List.of(), false).state());
        assertEquals(GateReadiness.STARTING, GateReadiness.of(List.of(Map.of("kim.gate.state", "listening")), false)
                .state());
    }

    @Test
    public void upIsReadyEvenWithoutAGateState() {
        assertEquals(GateReadiness.LISTENING, GateReadiness.of(List.of(), true).state());
    }

    @Test
    public void aFailedGateWinsOverUpAndSaysWhy() {
        GateReadiness r = GateReadiness.of(List.of(Map.of("kim.gate.state", "listening"),
                Map.of("kim.gate.state", "failed", "kim.gate.error", "Address already in use",
                        "kim.gate.address", "0.0.0.0:3355")), true);
        assertEquals(new GateReadiness("failed", "Address already in use", "0.0.0.0:3355"), r);
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
