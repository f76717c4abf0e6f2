package org.kimserver.gate.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.kimserver.api.Reply;

/**
 * One connection's blocking requests, run one after another on one virtual thread, with the replies handed back to
 * the connection's event loop in batches.
 *
 * <p>A virtual thread per request would cost two hand-offs per request (event loop to the thread, and back), each
 * a wake-up. Here the loop hands requests over while the lane's thread runs, and the thread takes them in turn
 * without a hand-off each; it posts a task to the loop only when the replies waiting for the loop were none, so a
 * busy loop takes the replies of many calls in one task, and an idle one gets each reply at once.
 *
 * <p>The thread is shared the way a coroutine was in the original, and not further: what a call leaves on it (the
 * interrupt flag, the context class loader) is cleared before the next, and a run that has lasted a slice
 * ({@link #SLICE_NANOS} in the gate) stops between calls and leaves the rest to the loop, which starts a new thread for it behind
 * the threads already waiting for a carrier: so a connection pipelining heavy calls takes turns with the others
 * as it did with a thread per call (virtual threads are not time-sliced, and a virtual thread that yields its
 * carrier may get it straight back). ThreadLocals are the caller's to remove, as in a thread pool.
 *
 * <p>The lane runs only requests whose command has a blocking handler. At the first one that has not (a
 * non-blocking handler, which must run on the loop, or none), it stops and leaves that request and the ones behind
 * it to the loop, which then goes on in request order. The loop owns every other decision (unknown commands, the
 * wait for a handler being updated, closing).
 */
final class BlockingLane implements Runnable {
    /**
     * How long a run lasts before it stops between calls and lets other virtual threads have its carrier: about an
     * operating system's time slice. Wall time, so a run of calls that block (and give up the carrier while they
     * wait) stops too; each stop costs a hand-off to the loop and back, one per 10 ms.
     */
    static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** What the lane asks of its connection, from the lane's thread. */
    interface Calls {
        /** The blocking handler of the request's command, entered for one call; null if it has none. */
        HandlerEntry enterBlocking(GateRequest request);

        /** Calls an entered handler and returns its reply, or the reply for its failure. */
        Reply invoke(HandlerEntry handler, GateRequest request);
    }

    /** A request that was run, and its reply. */
    record Answered(GateRequest request, Reply reply) {
    }

    /**
     * What the loop takes back in one task: the replies in request order, and, once the lane has stopped, the
     * requests it left unrun, in order.
     */
    record Batch(List<Answered> answered, boolean stopped, List<GateRequest> left) {
    }

    private final Calls calls;
    private final Executor threads;
    private final long sliceNanos;
    private final Executor loop;
    private final Runnable takeBack;
    /**
     * Guards everything below: the loop and the lane's thread each hold it only to move requests or replies. A
     * monitor, which spins a moment before it parks: a virtual thread parked on a lock gives up its carrier.
     */
    private final Object lock = new Object();
    private final ArrayDeque<GateRequest> inbox = new ArrayDeque<>();
    private ArrayList<Answered> outbox = new ArrayList<>();
    /** A thread takes from the inbox. */
    private boolean running;
    /** The thread has stopped, and the loop has not taken that back yet. */
    private boolean stopped;
    /** A take-back task is posted to the loop and has not run yet. */
    private boolean takeBackPosted;
    /** The connection has closed: nothing more is run or handed back. */
    private boolean cancelled;

    /**
     * @param threads    where the lane's thread runs (virtual threads)
     * @param sliceNanos how long a run lasts before it stops between calls
     * @param loop       the connection's event loop
     * @param takeBack   run on the loop to take a {@link #takeBack() batch}
     */
    BlockingLane(Calls calls, Executor threads, long sliceNanos, Executor loop, Runnable takeBack) {
        this.calls = calls;
        this.threads = threads;
        this.sliceNanos = sliceNanos;
        this.loop = loop;
        this.takeBack = takeBack;
    }

    /**
     * From the loop, once the previous run has been taken back: runs {@code first} and whatever is {@link #offer
     * offered} while this run lasts.
     *
     * @throws RejectedExecutionException if no thread can be started (the gate is stopping)
     */
    void start(GateRequest first) {
        synchronized (lock) {
            inbox.add(first);
            running = true;
        }
        try {
            threads.execute(this);
        } catch (RejectedExecutionException e) {
            synchronized (lock) {
                inbox.clear();
                running = false;
            }
            throw e;
        }
    }

    /**
     * From the loop: queues {@code request} behind the ones this run has, if it still runs. {@code false} if it has
     * stopped (the loop keeps the request until it has taken the run back).
     */
    boolean offer(GateRequest request) {
        synchronized (lock) {
            if (!running) {
                return false;
            }
            inbox.add(request);
            return true;
        }
    }

    /** From the loop, in the task posted to it: the replies so far, and whether the run has stopped. */
    Batch takeBack() {
        synchronized (lock) {
            takeBackPosted = false;
            List<Answered> answered = outbox;
            outbox = new ArrayList<>();
            if (!stopped) {
                return new Batch(answered, false, List.of());
            }
            stopped = false;
            List<GateRequest> left = List.copyOf(inbox);
            inbox.clear();
            return new Batch(answered, true, left);
        }
    }

    /** From the loop: the connection has closed. The call at work finishes; nothing after it runs. */
    void cancel() {
        synchronized (lock) {
            cancelled = true;
            inbox.clear();
            outbox.clear();
        }
    }

    @Override
    public void run() {
        Thread thread = Thread.currentThread();
        ClassLoader loader = thread.getContextClassLoader();
        long sliceStart = System.nanoTime();
        GateRequest request;
        while ((request = take()) != null) {
            HandlerEntry handler = calls.enterBlocking(request);
            if (handler == null) { // the loop goes on from here, this request first
                stopBefore(request);
                return;
            }
            Reply reply = calls.invoke(handler, request);
            Thread.interrupted(); // a flag a handler left set would fail the next request's first blocking call
            if (thread.getContextClassLoader() != loader) {
                thread.setContextClassLoader(loader);
            }
            answer(request, reply);
            if (System.nanoTime() - sliceStart > sliceNanos) {
                stopBefore(null); // the loop goes on with the rest on a new thread, after the others waiting
                return;
            }
        }
    }

    /** The next request; null once the run has stopped (nothing left, or the connection closed). */
    private GateRequest take() {
        boolean post;
        synchronized (lock) {
            GateRequest next = cancelled ? null : inbox.poll();
            if (next != null) {
                return next;
            }
            post = stop();
        }
        if (post) {
            post();
        }
        return null;
    }

    /** Stops the run, {@code request} (if not null) and the inbox left to the loop. */
    private void stopBefore(GateRequest request) {
        boolean post;
        synchronized (lock) {
            if (request != null && !cancelled) {
                inbox.addFirst(request);
            }
            post = stop();
        }
        if (post) {
            post();
        }
    }

    private void answer(GateRequest request, Reply reply) {
        synchronized (lock) {
            if (cancelled) {
                return;
            }
            outbox.add(new Answered(request, reply));
            if (takeBackPosted) {
                return; // the task posted earlier has not run yet: it takes this reply too
            }
            takeBackPosted = true;
        }
        post();
    }

    /** Under the lock: the run stops; whether a take-back must be posted to tell the loop. */
    private boolean stop() {
        running = false;
        if (cancelled) {
            return false;
        }
        stopped = true;
        boolean post = !takeBackPosted;
        takeBackPosted = true;
        return post;
    }

    private void post() {
        try {
            loop.execute(takeBack);
        } catch (RejectedExecutionException e) { // the loop has shut down: the gate stopped, its connections closed
            cancel();
        }
    }
}
