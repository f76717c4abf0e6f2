package org.kimserver.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits, bounded, for what the server does in the background (a deployment, a reconfiguration). */
public final class Await {
    private Await() {
    }

    /** Waits up to 10 s for {@code condition}, looking every 50 ms. */
    public static void until(String what, BooleanSupplier condition) throws InterruptedException {
        until(what, Duration.ofSeconds(10), condition);
    }

    /**
     * Waits up to {@code timeout} for {@code condition}, looking every 50 ms.
     *
     * @throws AssertionError naming {@code what} when it does not come true in time
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }
}
