package org.kimserver.worker.internal;

import java.io.IOException;
import java.io.InputStream;

/**
 * Notices that the manager is gone from the worker's standard input: the manager keeps a pipe to it open for the
 * worker's whole life, so end of input (or an error) means the manager exited, however it died, kill -9 included.
 * Nothing is ever written to the pipe; anything that is, is ignored.
 */
public final class ManagerWatch {
    private ManagerWatch() {
    }

    /** Starts a daemon thread that reads {@code in} to its end, then runs {@code onEnd}. */
    public static Thread start(InputStream in, Runnable onEnd) {
        return Thread.ofPlatform().name("kim-manager-watch").daemon().start(() -> {
            byte[] sink = new byte[256];
            try {
                while (in.read(sink) >= 0) {
                    // not a message channel: only its end matters
                }
            } catch (IOException e) {
                // a broken pipe is an end too
            }
            onEnd.run();
        });
    }
}
