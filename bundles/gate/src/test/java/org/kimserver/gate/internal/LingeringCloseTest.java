package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.gate.internal.GateFixture.request;

import java.util.List;
import org.junit.Test;

/** How a connection the gate closes ends: a FIN, then reading what the client still sends until it is quiet. */
public class LingeringCloseTest {

    /** A client that was answered, then sent a malformed head. */
    private static GateFixture answeredThenBad() {
        GateFixture gate = new GateFixture().echo(1001);
        byte[] bad = request(1001, 2, "x");
        bad[0] = 0x0E;
        gate.send(DispatcherTest.concat(request(1001, 1, "a"), bad));
        assertEquals(1, gate.replies().size());
        assertTrue("FIN", gate.channel.isOutputShutdown());
        return gate;
    }

    @Test
    public void whatTheClientStillSendsIsReadUntilItHasBeenQuietForTwoSeconds() {
        GateFixture gate = answeredThenBad();
        for (int second = 0; second < 5; second++) {
            gate.advance(1000);
            gate.send(new byte[100]);
        }
        assertTrue("open while the client keeps sending", gate.channel.isOpen());
        gate.advance(1900);
        assertTrue(gate.channel.isOpen());
        gate.advance(200);
        assertFalse("closed 2 s after its last bytes", gate.channel.isOpen());
    }

    @Test
    public void aClientThatNeverStopsSendingIsClosedAfterThirtySeconds() {
        GateFixture gate = answeredThenBad();
        int seconds = 0;
        while (seconds < 60) {
            gate.advance(1000);
            seconds++;
            if (!gate.channel.isOpen()) {
                break;
            }
            gate.send(new byte[10]);
        }
        assertEquals(LingeringClose.MAX_LINGER_SECONDS, seconds);
    }

    @Test
    public void aClientThatWasNeverAnsweredIsClosedAtOnce() {
        GateFixture gate = new GateFixture().echo(1001);
        gate.send(new byte[] {0x0E});
        assertEquals(List.of(), gate.replies());
        assertFalse(gate.channel.isOpen());
    }

    @Test
    public void aClosingConnectionHoldsNothingOfTheBudget() {
        MemoryBudget budget = new MemoryBudget(256L << 20);
        GateFixture gate = new GateFixture(budget, 600_000).echo(1001);
        gate.send(request(1001, 1, "a"));
        var head = io.netty.buffer.Unpooled.buffer();
        org.kimserver.wire.Frames.writeHead(head, 1001, 2, 1_000_000);
        byte[] start = new byte[head.readableBytes() + 1];
        head.readBytes(start, 0, head.readableBytes());
        start[start.length - 1] = 0x1A;
        gate.send(start);
        assertTrue("the large frame is charged its claim", budget.used() >= 1_000_000);
        gate.advance(101_000); // past its allowance at min_body_rate: closed as too slow
        assertEquals(1, gate.counters.frameTimeouts.sum());
        assertTrue("lingering", gate.channel.isOpen());
        assertEquals("nothing charged while it lingers", 0, budget.used());
    }
}
