package org.kimserver.session.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Timers on a wheel of {@value #SLOTS} slots of {@link #TICK_NANOS} each: setting and cancelling a timer lock one
 * slot for a few list operations, and wake nobody; a timer thread {@link #turn turns} the wheel once a tick and runs
 * what is due. Sessions are mostly deleted long before they expire (the original's session command creates and
 * deletes one per request), and a {@code ScheduledThreadPoolExecutor} woke its thread for nearly every such timer:
 * each new one became the head of an otherwise empty queue. The original's session timers tick at 10 Hz; these at
 * 100 Hz.
 */
final class TimerWheel {
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    static final int SLOTS = 512;
    private static final int MASK = SLOTS - 1;

    /** A timer set on the wheel. */
    static final class Timer {
        private final Runnable task;
        private final long dueTick;
        private Slot slot; // guarded by the slot it is in; null once fired or cancelled
        private Timer prev;
        private Timer next;

        private Timer(Runnable task, long dueTick) {
            this.task = task;
            this.dueTick = dueTick;
        }
    }

    /** One slot's timers, a doubly linked list guarded by the slot itself. */
    private static final class Slot {
        private Timer head;

        void link(Timer timer) {
            timer.slot = this;
            timer.next = head;
            if (head != null) {
                head.prev = timer;
            }
            head = timer;
        }

        void unlink(Timer timer) {
            if (timer.prev != null) {
                timer.prev.next = timer.next;
            } else {
                head = timer.next;
            }
            if (timer.next != null) {
                timer.next.prev = timer.prev;
            }
            timer.slot = null;
            timer.prev = null;
            timer.next = null;
        }
    }

    private final Slot[] slots = new Slot[SLOTS];
    private final LongSupplier nanoClock;
    private final long origin;
    /** The next tick to turn: every timer due before it has fired. Written under the lock of that tick's slot. */
    private volatile long nextTick;

    TimerWheel(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.origin = nanoClock.getAsLong();
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new Slot();
        }
    }

    /** Sets {@code task} to run once, {@code delayNanos} from now or up to a tick later. */
    Timer schedule(Runnable task, long delayNanos) {
        // Rounded up: a timer never fires early.
        long due = Math.ceilDiv(nanoClock.getAsLong() - origin + delayNanos, TICK_NANOS);
        while (true) {
            long tick = Math.max(due, nextTick);
            Slot slot = slots[(int) (tick & MASK)];
            synchronized (slot) {
                // The wheel may have turned past the tick meanwhile; the slot's lock holds it still from here.
                if (tick >= nextTick) {
                    Timer timer = new Timer(task, tick);
                    slot.link(timer);
                    return timer;
                }
            }
        }
    }

    /** Whether the timer was cancelled before it fired. */
    boolean cancel(Timer timer) {
        Slot slot = timer.slot;
        if (slot == null) {
            return false;
        }
        synchronized (slot) {
            if (timer.slot != slot) {
                return false; // fired meanwhile
            }
            slot.unlink(timer);
            return true;
        }
    }

    /** Runs what is due now, in the calling thread (the timer thread); a task that throws is the caller's. */
    void turn() {
        long now = (nanoClock.getAsLong() - origin) / TICK_NANOS;
        List<Runnable> due = new ArrayList<>();
        for (long tick = nextTick; tick <= now; tick++) {
            Slot slot = slots[(int) (tick & MASK)];
            synchronized (slot) {
                for (Timer timer = slot.head; timer != null; ) {
                    Timer next = timer.next;
                    if (timer.dueTick <= tick) { // else it is due on a later turn of the wheel
                        slot.unlink(timer);
                        due.add(timer.task);
                    }
                    timer = next;
                }
                nextTick = tick + 1;
            }
        }
        for (Runnable task : due) {
            task.run();
        }
    }
}
