package org.kimserver.session.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.kimserver.api.Session;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's sessions and their timers. Each bundle reaches it through its own {@link BundleSessionManager},
 * which records the bundle as the owner of what it adds, so that a stopping bundle's sessions go with it.
 */
@Component(service = SessionRegistry.class)
public final class SessionRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);

    /**
     * Sized for thousands: a handler that creates and deletes a session per request keeps the map nearly empty, and
     * a table of 16 bins is one cache line that every thread's create and delete write to (measured: two threads
     * took 0.4 µs a pair with it, 0.2 µs with this).
     */
    private final ConcurrentHashMap<String, Entry> sessions = new ConcurrentHashMap<>(4096);
    private final TimerWheel wheel = new TimerWheel(System::nanoTime);
    /** Turns the wheel once a tick. */
    private final ScheduledThreadPoolExecutor timerThread;

    public SessionRegistry() {
        timerThread = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("kim-session-timer").daemon()
                .factory());
        timerThread.scheduleAtFixedRate(wheel::turn, TimerWheel.TICK_NANOS, TimerWheel.TICK_NANOS,
                TimeUnit.NANOSECONDS);
    }

    @Deactivate
    void deactivate() {
        timerThread.shutdownNow();
        sessions.clear();
    }

    private static final class Entry {
        /** The session's id when it was added: a module's session may not answer the same, or at all, later. */
        final String id;
        final Session session;
        final Object owner;
        final long repeatNanos;
        /** System.nanoTime() when the timer is due next; the timer thread moves it on by repeatNanos. */
        long dueAt;
        volatile TimerWheel.Timer timer;

        Entry(String id, Session session, Object owner, long repeatNanos, long dueAt) {
            this.id = id;
            this.session = session;
            this.owner = owner;
            this.repeatNanos = repeatNanos;
            this.dueAt = dueAt;
        }
    }

    boolean add(Session session, Duration after, Duration repeat, Object owner) {
        String id = Objects.requireNonNull(session.id(), "session id");
        if (after.isNegative() || after.isZero()) {
            throw new IllegalArgumentException("a session's expiry must be positive, not " + after);
        }
        if (repeat.isNegative()) {
            throw new IllegalArgumentException("a session's repeat interval must not be negative: " + repeat);
        }
        long afterNanos = nanos(after);
        Entry entry = new Entry(id, session, owner, nanos(repeat), plus(System.nanoTime(), afterNanos));
        if (sessions.putIfAbsent(id, entry) != null) {
            return false;
        }
        entry.timer = wheel.schedule(() -> fire(entry), afterNanos);
        if (sessions.get(id) != entry) {
            cancel(entry); // deleted before its timer was set
        }
        return true;
    }

    /** A duration in nanoseconds; one too long for a long is as good as never. */
    private static long nanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** {@code a + b}, or Long.MAX_VALUE past it. */
    private static long plus(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    <S extends Session> S getOrCreate(String id, Class<S> type, Function<String, S> factory, Duration after,
                                      Object owner) {
        while (true) {
            Entry existing = sessions.get(id);
            if (existing != null) {
                return type.cast(existing.session);
            }
            S created = factory.apply(id);
            if (!id.equals(created.id())) {
                throw new IllegalArgumentException("the factory made a session with id " + created.id()
                        + " for id " + id);
            }
            if (add(created, after, Duration.ZERO, owner)) {
                return created;
            }
        }
    }

    Optional<Session> get(String id) {
        Entry entry = sessions.get(id);
        return entry == null ? Optional.empty() : Optional.of(entry.session);
    }

    boolean delete(String id) {
        Entry entry = sessions.remove(id);
        if (entry == null) {
            return false;
        }
        cancel(entry);
        return true;
    }

    int size() {
        return sessions.size();
    }

    /** Deletes the sessions one owner added, without calling them. */
    void deleteOwnedBy(Object owner) {
        sessions.values().removeIf(entry -> {
            if (entry.owner != owner) {
                return false;
            }
            cancel(entry);
            return true;
        });
    }

    private void cancel(Entry entry) {
        TimerWheel.Timer scheduled = entry.timer;
        if (scheduled != null) {
            wheel.cancel(scheduled);
        }
    }

    /**
     * On the timer thread: a one-shot session expires; a repeating one is called and set again at its rate. Nothing
     * may escape: the timer thread turns every session's timers.
     */
    private void fire(Entry entry) {
        try {
            if (entry.repeatNanos == 0) {
                if (sessions.remove(entry.id, entry)) {
                    callOnTimeout(entry);
                }
            } else if (sessions.get(entry.id) == entry) {
                callOnTimeout(entry);
                // From when it was due, not from now: the calls keep their rate however late this one ran.
                entry.dueAt = plus(entry.dueAt, entry.repeatNanos);
                long delay = entry.dueAt == Long.MAX_VALUE ? Long.MAX_VALUE
                        : Math.max(0, entry.dueAt - System.nanoTime());
                entry.timer = wheel.schedule(() -> fire(entry), delay);
                if (sessions.get(entry.id) != entry) {
                    cancel(entry); // deleted while it was being set again
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.warn("session {}: its timer failed", entry.id, e);
        }
    }

    /** On a virtual thread: onTimeout may block, and the one timer thread serves every session. */
    private static void callOnTimeout(Entry entry) {
        Thread.ofVirtual().name("kim-session-" + entry.id).start(() -> {
            try {
                entry.session.onTimeout();
            } catch (RuntimeException | Error e) {
                LOG.warn("session {}: onTimeout failed", entry.id, e);
            }
        });
    }
}
