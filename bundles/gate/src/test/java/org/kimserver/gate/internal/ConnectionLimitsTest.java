package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.gate.internal.GateFixture.request;

import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.Test;
import org.kimserver.wire.Frames;

/** The time and memory limits of a connection, on a frozen clock. */
public class ConnectionLimitsTest {

    /** The head of a frame claiming a body of {@code length} bytes, and that many bytes of the body. */
    private static byte[] largeFrameStart(int length, int sent) {
        var out = Unpooled.buffer();
        Frames.writeHead(out, 1001, 1, length);
        out.writeByte(0x1A);
        byte[] bytes = new byte[out.readableBytes() + sent];
        out.readBytes(bytes, 0, out.readableBytes());
        return bytes;
    }

    @Test
    public void anIdleConnectionClosesAfterKeepAlive() {
        GateFixture gate = new GateFixture().echo(1001);
        gate.advance(GateFixture.KEEP_ALIVE_MS - 100);
        gate.send(request(1001, 1, "traffic"));
        gate.advance(GateFixture.KEEP_ALIVE_MS - 100);
        assertTrue("traffic counts as activity", gate.channel.isOpen());
        gate.advance(200);
        assertFalse(gate.channel.isOpen());
        assertEquals(1, gate.counters.idleClosed.sum());
    }

    @Test
    public void aClientThatStopsTakingItsRepliesIsClosedKeepAliveAfterItStopped() {
        GateFixture gate = new GateFixture().echo(1001);
        gate.send(request(1001, 1, "last request"));
        // Reply bytes the socket does not take: the client has stopped reading.
        gate.channel.unsafe().outboundBuffer().addMessage(Unpooled.wrappedBuffer(new byte[1000]), 1000,
                gate.channel.newPromise());
        gate.advance(GateFixture.KEEP_ALIVE_MS - 500);
        assertTrue(gate.channel.isOpen());
        gate.advance(1500);
        assertFalse("no progress is not activity, however long the replies wait", gate.channel.isOpen());
        assertEquals(1, gate.counters.idleClosed.sum());
    }

    @Test
    public void aHandlerAtWorkKeepsTheConnection() {
        GateFixture gate = new GateFixture().blockingEcho(1007);
        gate.send(request(1007, 1, "slow"));
        gate.advance(3 * GateFixture.KEEP_ALIVE_MS);
        assertTrue(gate.channel.isOpen());
        gate.runBlockingCalls();
        gate.advance(GateFixture.KEEP_ALIVE_MS + 1000);
        assertFalse("idle once the work is done", gate.channel.isOpen());
    }

    @Test
    public void aFrameNotWholeByItsDeadlineClosesTheConnection() {
        GateFixture gate = new GateFixture().echo(1001);
        byte[] frame = request(1001, 1, "slowly");
        gate.send(Arrays.copyOf(frame, 1));
        for (int i = 1; i < 5; i++) { // a byte every two seconds resets keep_alive, not the frame's deadline
            gate.advance(2000);
            gate.send(Arrays.copyOfRange(frame, i, i + 1));
        }
        assertTrue(gate.channel.isOpen());
        gate.advance(GateFixture.FRAME_TIMEOUT_MS - 8000 + 100);
        assertFalse("closed at frame_timeout_ms after the frame's first byte", gate.channel.isOpen());
        assertEquals(1, gate.counters.frameTimeouts.sum());
    }

    @Test
    public void wholeFramesNeverTripTheDeadline() {
        GateFixture gate = new GateFixture().echo(1001);
        byte[] frame = request(1001, 1, "steady");
        for (int second = 0; second < 60; second += 4) {
            gate.send(Arrays.copyOf(frame, 10));
            gate.advance(2000);
            gate.send(Arrays.copyOfRange(frame, 10, frame.length));
            gate.advance(2000);
        }
        assertTrue(gate.channel.isOpen());
        assertEquals(15, gate.replies().size());
    }

    @Test
    public void aShorterKeepAliveAppliesToAnOpenConnectionAtOnce() {
        GateFixture gate = new GateFixture(new MemoryBudget(256L << 20), 600_000).echo(1001);
        gate.send(request(1001, 1, "x"));
        assertEquals(1, gate.replies().size());
        GateContext.Settings before = gate.context.settings();
        gate.context.settings(new GateContext.Settings(TimeUnit.MILLISECONDS.toNanos(3000), before.frameTimeoutNanos(),
                before.minBodyRate(), before.maxFrameSize(), before.closeOnUnknownCmd(), before.handlerGraceNanos(),
                before.lingerQuietNanos()));
        gate.channel.pipeline().get(ConnectionLimits.class).settingsChanged();
        gate.advance(2000);
        assertTrue("not idle for the new keep_alive yet", gate.channel.isOpen());
        gate.advance(1500);
        assertFalse("closed by the new keep_alive, long before the old one", gate.channel.isOpen());
    }

    @Test
    public void aLongBodyGetsItsLengthAtTheMinimumRate() {
        GateFixture gate = new GateFixture(new MemoryBudget(256L << 20), 600_000).echo(1001);
        int length = 300_000; // 30 s at min_body_rate 10,000 bytes a second
        byte[] start = largeFrameStart(length, 1000);
        gate.send(start);
        gate.advance(25_000);
        assertTrue("within its allowance, well past frame_timeout_ms", gate.channel.isOpen());
        gate.advance(5_200);
        assertFalse(gate.channel.isOpen());
    }

    @Test
    public void theFrameClockStandsStillWhileTheGateDoesNotRead() {
        GateFixture gate = new GateFixture(new MemoryBudget(256L << 20), 600_000).echo(1001);
        gate.send(Arrays.copyOf(request(1001, 1, "x"), 5));
        gate.pauses.pause(ReadPauses.MEMORY);
        gate.advance(3 * GateFixture.FRAME_TIMEOUT_MS);
        assertTrue(gate.channel.isOpen());
        gate.pauses.resume(ReadPauses.MEMORY);
        gate.advance(GateFixture.FRAME_TIMEOUT_MS - 2000);
        assertTrue(gate.channel.isOpen());
        gate.advance(GateFixture.FRAME_TIMEOUT_MS);
        assertFalse(gate.channel.isOpen());
    }

    @Test
    public void aLargeFrameIsChargedItsClaimAndRefusedWhenTheBudgetCannotHoldIt() {
        MemoryBudget budget = new MemoryBudget(1 << 20);
        GateFixture first = new GateFixture(budget, GateFixture.KEEP_ALIVE_MS).echo(1001);
        first.send(largeFrameStart(900_000, 100));
        assertTrue("charged the whole claim before it arrives: " + budget.used(), budget.used() >= 900_000);

        GateFixture second = new GateFixture(budget, GateFixture.KEEP_ALIVE_MS).echo(1001);
        second.send(largeFrameStart(300_000, 100));
        assertFalse("refused: it does not fit", second.channel.isOpen());
        assertEquals(1, second.counters.refusedOverBudget.sum());
        assertTrue(first.channel.isOpen());

        first.channel.close();
        assertEquals("everything given back when the connections close", 0, budget.used());
        GateFixture third = new GateFixture(budget, GateFixture.KEEP_ALIVE_MS).echo(1001);
        third.send(largeFrameStart(300_000, 100));
        assertTrue(third.channel.isOpen());
    }

    @Test
    public void overTheBudgetAHeavyConnectionStopsReadingUntilThereIsRoom() {
        MemoryBudget budget = new MemoryBudget(256 * 1024);
        GateFixture gate = new GateFixture(budget, GateFixture.KEEP_ALIVE_MS).blockingEcho(1007);
        byte[] frames = new byte[0];
        for (int seq = 1; seq <= 100; seq++) { // 400 KB of data waiting behind the first call
            frames = DispatcherTest.concat(frames, request(1007, seq, "x".repeat(4000)));
        }
        gate.send(frames);
        assertFalse(gate.reading());
        assertTrue(gate.pauses.isPaused(ReadPauses.MEMORY));
        assertFalse("not the queue's own limit", gate.pauses.isPaused(ReadPauses.QUEUE_FULL));
        assertEquals(1, budget.pausedConnections());

        gate.runBlockingCalls();
        gate.channel.runPendingTasks();
        gate.runBlockingCalls();
        assertTrue("reading again once its work is done", gate.reading());
        assertEquals(0, budget.pausedConnections());
        assertEquals(100, gate.replies().size());
    }
}
