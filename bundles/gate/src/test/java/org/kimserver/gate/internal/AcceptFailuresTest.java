package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.Test;
import org.slf4j.LoggerFactory;

/** A failing accept ("Too many open files") on the listening channel. */
public class AcceptFailuresTest {

    @Test
    public void aFailedAcceptIsCountedAndAcceptingPausesForASecond() {
        GateCounters counters = new GateCounters();
        EmbeddedChannel listener = new EmbeddedChannel(new AcceptFailures(counters,
                ClientLogs.create(LoggerFactory.getLogger(AcceptFailuresTest.class), System::nanoTime)));
        listener.freezeTime();
        listener.pipeline().fireExceptionCaught(new IOException("accept(..) failed: Too many open files"));
        listener.pipeline().fireExceptionCaught(new IOException("accept(..) failed: Too many open files"));
        listener.checkException(); // handled here, not passed on to the tail's WARN with a stack trace
        assertEquals(2, counters.acceptFailures.sum());
        assertFalse("accepting pauses", listener.config().isAutoRead());

        listener.advanceTimeBy(999, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertFalse(listener.config().isAutoRead());
        listener.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertTrue("and resumes after a second", listener.config().isAutoRead());
    }
}
