package org.kimserver.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * State kept by id for a while, as the original's {@code Session}: a {@link SessionManager} calls
 * {@link #onTimeout()} when its timer fires.
 */
@ConsumerType
public interface Session {

    /** The id the session is registered under. */
    String id();

    /** Called when the session's timer fires, on a virtual thread, so it may block. The default does nothing. */
    default void onTimeout() {
    }
}
