package org.kimserver.api;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Sessions by id with expiry, as the original's {@code SessionMgr}, shared by every bundle of the process.
 *
 * <p>A session has a timer fixed at creation ({@code after}): reading it does not extend it. When the timer fires
 * {@link Session#onTimeout()} is called; a one-shot session ({@code repeat} zero) is then removed, a repeating one
 * stays and is called again every {@code repeat} until it is deleted. Sessions a bundle added are deleted when
 * that bundle stops using this service (it is stopped or updated), so no timer calls into a stopped bundle.
 */
@ProviderType
public interface SessionManager {

    /** The original's default expiry, {@code SESSION_TIMEOUT_VAL}. */
    Duration DEFAULT_TIMEOUT = Duration.ofMillis(5000);

    /**
     * Registers a session.
     *
     * @param after  time until the first {@link Session#onTimeout()}; must be positive
     * @param repeat interval of later calls, or {@link Duration#ZERO} for a one-shot session
     * @return {@code false} if a session with that id exists already
     */
    boolean add(Session session, Duration after, Duration repeat);

    /**
     * The session with this id, or a new one made by {@code factory} and added with {@code after} and no repeat
     * (the original's {@code get_alloc_session}).
     *
     * @throws ClassCastException if the existing session is not a {@code type}
     */
    <S extends Session> S getOrCreate(String id, Class<S> type, Function<String, S> factory, Duration after);

    /** The session with this id, if any. */
    Optional<Session> get(String id);

    /**
     * Removes a session and cancels its timer, without calling {@link Session#onTimeout()}.
     *
     * @return {@code false} if there was no such session
     */
    boolean delete(String id);

    /** How many sessions exist. */
    int size();
}
