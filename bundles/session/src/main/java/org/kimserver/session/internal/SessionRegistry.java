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
        final Session session;
        final Object owner;
        final long repeatNanos;
        volatile TimerWheel.Timer timer;

        Entry(Session session, Object owner, long repeatNanos) {
            this.session = session;
            this.owner = owner;
            this.repeatNanos = repeatNanos;
        }
    }

    boolean add(Session session, Duration after, Duration repeat, Object owner) {
        Objects.requireNonNull(session.id(), "session id");
        if (after.isNegative() || after.isZero()) {
            throw new IllegalArgumentException("a session's expiry must be positive, not " + after);
        }
        if (repeat.isNegative()) {
            throw new IllegalArgumentException("a session's repeat interval must not be negative: " + repeat);
        }
        Entry entry = new Entry(session, owner, repeat.toNanos());
        if (sessions.putIfAbsent(session.id(), entry) != null) {
            return false;
        }
        entry.timer = wheel.schedule(() -> fire(entry), after.toNanos());
        if (sessions.get(session.id()) != entry) {
            cancel(entry); // deleted before its timer was set
        }
        return true;
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

    /** On the timer thread: a one-shot session expires; a repeating one is called and set again. */
    private void fire(Entry entry) {
        if (entry.repeatNanos == 0) {
            if (sessions.remove(entry.session.id(), entry)) {
                callOnTimeout(entry);
            }
        } else if (sessions.get(entry.session.id()) == entry) {
            callOnTimeout(entry);
            entry.timer = wheel.schedule(() -> fire(entry), entry.repeatNanos);
            if (sessions.get(entry.session.id()) != entry) {
                cancel(entry); // deleted while it was being set again
            }
        }
    }

    /** On a virtual thread: onTimeout may block, and the one timer thread serves every session. */
    private static void callOnTimeout(Entry entry) {
        Thread.ofVirtual().name("kim-session-" + entry.session.id()).start(() -> {
            try {
                entry.session.onTimeout();
            } catch (RuntimeException | Error e) {
                LOG.warn("session {}: onTimeout failed", entry.session.id(), e);
            }
        });
    }
}
