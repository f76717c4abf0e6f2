package org.kimserver.session.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Timers on wheels of {@value #SLOTS} slots of {@link #TICK_NANOS} each: setting and cancelling a timer lock one
 * slot for a few list operations, and wake nobody; a timer thread {@link #turn turns} the wheels once a tick and
 * runs what is due. Sessions are mostly deleted long before they expire (the original's session command creates and
 * deletes one per request), and a {@code ScheduledThreadPoolExecutor} woke its thread for nearly every such timer:
 * each new one became the head of an otherwise empty queue. The original's session timers tick at 10 Hz; these at
 * 100 Hz.
 */
final class TimerWheel {
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    static final int SLOTS = 512;
    static final int RINGS = 16;
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

    /** One wheel of slots, with the tick it turns next. */
    private static final class Ring {
        private final Slot[] slots = new Slot[SLOTS];
        /** The next tick to turn: every timer due before it has fired. Written under the lock of that tick's slot. */
        private volatile long nextTick;

        Ring() {
            for (int i = 0; i < SLOTS; i++) {
                slots[i] = new Slot();
            }
        }

        Timer schedule(Runnable task, long due) {
            while (true) {
                long tick = Math.max(due, nextTick);
                Slot slot = slots[(int) (tick & MASK)];
                synchronized (slot) {
                    // The ring may have turned past the tick meanwhile; the slot's lock holds it still from here.
                    if (tick >= nextTick) {
                        Timer timer = new Timer(task, tick);
                        slot.link(timer);
                        return timer;
                    }
                }
            }
        }

        /** Takes the timers due up to {@code now} into {@code due}. */
        void turn(long now, List<Timer> due) {
            for (long tick = nextTick; tick <= now; tick++) {
                Slot slot = slots[(int) (tick & MASK)];
                synchronized (slot) {
                    for (Timer timer = slot.head; timer != null; ) {
                        Timer next = timer.next;
                        if (timer.dueTick <= tick) { // else it is due on a later turn of the ring
                            slot.unlink(timer);
                            due.add(timer);
                        }
                        timer = next;
                    }
                    nextTick = tick + 1;
                }
            }
        }
    }

    /**
     * Rings a thread picks by its id: timers set in the same tick by different threads would otherwise all take
     * the lock of one slot (measured: two threads creating and deleting sessions took 1.2 µs a pair with one ring,
     * 0.15 µs with one thread).
     */
    private final Ring[] rings = new Ring[RINGS];
    private final LongSupplier nanoClock;
    private final long origin;

    TimerWheel(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.origin = nanoClock.getAsLong();
        for (int i = 0; i < RINGS; i++) {
            rings[i] = new Ring();
        }
    }

    /** Sets {@code task} to run once, {@code delayNanos} from now or up to a tick later. */
    Timer schedule(Runnable task, long delayNanos) {
        long at = nanoClock.getAsLong() - origin + delayNanos;
        if (at < 0) {
            at = Long.MAX_VALUE; // past what a long holds: a delay meant as never
        }
        // Rounded up: a timer never fires early.
        return ring().schedule(task, Math.ceilDiv(at, TICK_NANOS));
    }

    private Ring ring() {
        return rings[(int) (Thread.currentThread().threadId() & (RINGS - 1))];
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

    /**
     * Runs what is due now, in the order of the ticks it was due at, in the calling thread (the timer thread). The
     * tasks must not throw: one that does loses the timers after it in this turn, and stops a turn run at a fixed
     * rate by an executor.
     */
    void turn() {
        long now = (nanoClock.getAsLong() - origin) / TICK_NANOS;
        List<Timer> due = new ArrayList<>();
        for (Ring ring : rings) {
            ring.turn(now, due);
        }
        due.sort(Comparator.comparingLong(timer -> timer.dueTick));
        for (Timer timer : due) {
            timer.task.run();
        }
    }
}
