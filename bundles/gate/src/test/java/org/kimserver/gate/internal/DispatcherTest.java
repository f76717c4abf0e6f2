package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.gate.internal.GateFixture.request;
import static org.kimserver.gate.internal.GateFixture.requests;

import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.Test;
import org.kimserver.api.Reply;
import org.kimserver.gate.internal.GateFixture.ReplyFrame;

/** The dispatching piece of a connection: order, back-pressure, and no reply owed lost on the way out. */
public class DispatcherTest {

    private static List<Integer> seqs(List<ReplyFrame> replies) {
        return replies.stream().map(ReplyFrame::seq).toList();
    }

    private static List<Integer> range(int from, int to) {
        return IntStream.range(from, to).boxed().toList();
    }

    @Test
    public void pipelinedRequestsAreAnsweredInOrderWithOneWritePerRead() {
        GateFixture gate = new GateFixture().echo(1001);
        gate.send(requests(1001, 1, 100));
        assertEquals("one write for the read", 1, gate.channel.outboundMessages().size());
        List<ReplyFrame> replies = gate.replies();
        assertEquals(range(1, 101), seqs(replies));
        assertEquals(new ReplyFrame(1002, 7, 0, "r7"), replies.get(6));
    }

    @Test
    public void aFullQueueBehindABlockingHandlerStopsReadingUntilItDrains() {
        GateFixture gate = new GateFixture().blockingEcho(1007);
        int sent = Dispatcher.MAX_WAITING + 50;
        gate.send(requests(1007, 1, sent));
        assertFalse("reading stops with the queue full", gate.reading());
        assertTrue(gate.pauses.isPaused(ReadPauses.QUEUE_FULL));
        assertEquals("one call runs, the rest wait", 1, gate.blockingCalls.size());
        long held = gate.memory.total();
        assertTrue("what waits is charged: " + held, held >= Dispatcher.MAX_WAITING * 64L);
        assertTrue("and bounded by the queue: " + held, held < 200_000);

        gate.runBlockingCalls();
        gate.channel.runPendingTasks();
        gate.runBlockingCalls();
        assertTrue(gate.reading());
        assertEquals("every request answered, in order", range(1, sent + 1), seqs(gate.replies()));
        assertEquals(0, gate.memory.total());
    }

    @Test
    public void whileItsRepliesCannotBeWrittenTheConnectionDoesNotRead() {
        GateFixture gate = new GateFixture().echo(1001);
        gate.channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        gate.channel.runPendingTasks();
        assertFalse(gate.reading());
        gate.send(requests(1001, 1, 10));
        assertTrue("nothing handled while the client does not take its replies", gate.replies().isEmpty());

        gate.channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        gate.channel.runPendingTasks();
        assertTrue(gate.reading());
        assertEquals(range(1, 11), seqs(gate.replies()));
    }

    @Test
    public void afterAMalformedFrameTheRepliesOwedAreWrittenThenTheConnectionCloses() {
        GateFixture gate = new GateFixture().blockingEcho(1007);
        byte[] bad = request(1007, 3, "x");
        bad[0] = 0x0E;
        gate.send(concat(request(1007, 1, "a"), request(1007, 2, "b"), bad, request(1007, 4, "after")));
        assertEquals(1, gate.counters.malformedFrames.sum());
        assertFalse("no reading once stopped", gate.reading());
        assertTrue("open while replies are owed", gate.channel.isOpen());

        gate.runBlockingCalls();
        assertEquals("the replies owed, and nothing for the bad frame or after it", List.of(1, 2),
                seqs(gate.replies()));
        gate.assertClosesGracefully();
    }

    @Test
    public void aClientThatShutsItsWriteSideGetsEveryReplyOwed() {
        GateFixture gate = new GateFixture().blockingEcho(1007);
        gate.send(requests(1007, 1, 3));
        gate.channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertTrue(gate.channel.isOpen());
        gate.runBlockingCalls();
        assertEquals(List.of(1, 2, 3), seqs(gate.replies()));
        assertFalse("closed once nothing is owed", gate.channel.isOpen());
    }

    @Test
    public void anUnknownCommandIsAnsweredWithCode4AndTheFramesAfterItDropped() {
        GateFixture gate = new GateFixture().echo(1001);
        gate.send(concat(request(1001, 1, "a"), request(1999, 2, "?"), request(1001, 3, "c")));
        List<ReplyFrame> replies = gate.replies();
        assertEquals(List.of(1, 2), seqs(replies));
        assertEquals(4, replies.get(1).code());
        gate.assertClosesGracefully();
    }

    @Test
    public void drainingClosesAnIdleConnectionOnceQuietAndABusyOneWhenItsWorkIsDone() {
        GateFixture idle = new GateFixture().echo(1001);
        idle.send(request(1001, 1, "a"));
        idle.dispatcher.drain();
        assertFalse("not before it has been quiet a moment", idle.channel.isOutputShutdown());
        idle.advance(100);
        idle.assertClosesGracefully();
        assertEquals(List.of(1), seqs(idle.replies()));

        GateFixture busy = new GateFixture().blockingEcho(1007);
        busy.send(requests(1007, 1, 5));
        busy.dispatcher.drain();
        busy.advance(1000);
        assertTrue("served while it has work", busy.channel.isOpen());
        busy.send(request(1007, 6, "sent during the stop"));
        busy.runBlockingCalls();
        busy.advance(100);
        assertEquals(range(1, 7), seqs(busy.replies()));
        busy.assertClosesGracefully();
    }

    @Test
    public void aPartialFrameKeepsADrainingConnectionOpenUntilItIsWhole() {
        GateFixture gate = new GateFixture().echo(1001);
        byte[] frame = request(1001, 1, "whole");
        gate.send(java.util.Arrays.copyOf(frame, 5));
        gate.dispatcher.drain();
        gate.advance(1000);
        assertTrue(gate.channel.isOpen());
        gate.send(java.util.Arrays.copyOfRange(frame, 5, frame.length));
        gate.advance(100);
        assertEquals(List.of(1), seqs(gate.replies()));
        gate.assertClosesGracefully();
    }

    @Test
    public void aRunOfBlockingRequestsIsOneThreadAndOneWriteNotTwoHandOffsEach() {
        GateFixture gate = new GateFixture().blockingEcho(1007);
        gate.send(requests(1007, 1, 100));
        assertEquals("one thread for the whole run", 1, gate.blockingCalls.size());
        gate.runBlockingCalls();
        assertEquals("the replies handed back together, in one write", 1, gate.channel.outboundMessages().size());
        assertEquals(range(1, 101), seqs(gate.replies()));
        assertEquals(100, gate.counters.commands.sum());
        assertEquals(0, gate.memory.total());
    }

    @Test
    public void requestsArrivingWhileTheLaneRunsJoinItInOrder() {
        GateFixture gate = new GateFixture();
        List<Integer> handled = new ArrayList<>();
        gate.handler(1007, false, request -> {
            handled.add(request.seq());
            if (request.seq() == 1) { // more arrive while the first call is at work
                gate.send(requests(1007, 2, 3));
            }
            return Reply.ok("ok", "");
        });
        gate.send(request(1007, 1, "first"));
        int threads = 0;
        while (!gate.blockingCalls.isEmpty()) {
            gate.blockingCalls.poll().run();
            threads++;
            gate.channel.runPendingTasks();
        }
        assertEquals("no second thread: the run took them", 1, threads);
        assertEquals(List.of(1, 2, 3, 4), handled);
        assertEquals(range(1, 5), seqs(gate.replies()));
    }

    @Test
    public void aNonBlockingCommandBetweenBlockingOnesRunsOnTheLoopInItsTurn() {
        GateFixture gate = new GateFixture();
        List<String> calls = new ArrayList<>();
        boolean[] inLaneThread = new boolean[1];
        gate.handler(1007, false, request -> {
            calls.add("blocking " + request.seq());
            return Reply.ok("ok", "");
        });
        gate.handler(1001, true, request -> {
            calls.add("non-blocking " + request.seq() + (inLaneThread[0] ? " in the lane" : " on the loop"));
            return Reply.ok("ok", "");
        });
        gate.send(concat(request(1007, 1, "a"), request(1007, 2, "b"), request(1001, 3, "c"), request(1007, 4, "d")));
        while (!gate.blockingCalls.isEmpty()) {
            inLaneThread[0] = true;
            gate.blockingCalls.poll().run();
            inLaneThread[0] = false;
            gate.channel.runPendingTasks();
        }
        assertEquals(List.of("blocking 1", "blocking 2", "non-blocking 3 on the loop", "blocking 4"), calls);
        assertEquals(range(1, 5), seqs(gate.replies()));
        assertEquals(0, gate.memory.total());
    }

    @Test
    public void aConnectionClosedWhileItsLaneRunsEndsTheRunAfterTheCallAtWork() {
        GateFixture gate = new GateFixture();
        List<Integer> handled = new ArrayList<>();
        gate.handler(1007, false, request -> {
            handled.add(request.seq());
            if (request.seq() == 1) {
                gate.channel.close();
            }
            return Reply.ok("ok", "");
        });
        gate.send(requests(1007, 1, 10));
        gate.runBlockingCalls();
        assertEquals("nothing after the call at work", List.of(1), handled);
        assertTrue(gate.replies().isEmpty());
    }

    @Test
    public void aHandlerThrowingAnErrorGetsCode1AndTheConnectionGoesOn() {
        GateFixture gate = new GateFixture().echo(1001);
        gate.handler(1007, false, request -> {
            throw new Error("not an exception");
        });
        gate.send(request(1007, 1, "a"));
        gate.runBlockingCalls();
        gate.send(request(1001, 2, "b"));
        List<ReplyFrame> replies = gate.replies();
        assertEquals(List.of(1, 2), seqs(replies));
        assertEquals(1, replies.get(0).code());
        assertEquals(0, replies.get(1).code());
    }

    @Test
    public void anInterruptLeftByOneHandlerDoesNotFailTheNextRequestOfItsLane() throws InterruptedException {
        GateFixture gate = new GateFixture();
        gate.handler(1007, false, request -> {
            Thread.currentThread().interrupt(); // as after catching an InterruptedException
            return Reply.ok("ok", "");
        });
        gate.handler(1009, false, request -> {
            Thread.sleep(1); // any blocking call
            return Reply.ok("ok", "slept");
        });
        gate.send(concat(request(1007, 1, "a"), request(1009, 2, "b")));
        while (!gate.blockingCalls.isEmpty()) { // each run on a thread of its own, as the gate's executor does
            Thread.ofVirtual().start(gate.blockingCalls.poll()).join();
            gate.channel.runPendingTasks();
        }
        List<ReplyFrame> replies = gate.replies();
        assertEquals(List.of(1, 2), seqs(replies));
        assertEquals(new ReplyFrame(1010, 2, 0, "slept"), replies.get(1));
    }

    @Test
    public void aContextClassLoaderSetByOneHandlerIsNotSeenByTheNextRequestOfItsLane() throws InterruptedException {
        GateFixture gate = new GateFixture();
        ClassLoader careless = new ClassLoader(null) {
        };
        gate.handler(1007, false, request -> {
            Thread.currentThread().setContextClassLoader(careless); // and never set back
            return Reply.ok("ok", "");
        });
        gate.handler(1009, false, request -> Reply.ok("ok",
                Thread.currentThread().getContextClassLoader() == careless ? "the other's loader" : "its own"));
        gate.send(concat(request(1007, 1, "a"), request(1009, 2, "b")));
        while (!gate.blockingCalls.isEmpty()) { // each run on a thread of its own, as the gate's executor does
            Thread.ofVirtual().start(gate.blockingCalls.poll()).join();
            gate.channel.runPendingTasks();
        }
        assertEquals(new ReplyFrame(1010, 2, 0, "its own"), gate.replies().get(1));
    }

    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
