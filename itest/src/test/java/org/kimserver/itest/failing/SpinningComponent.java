package org.kimserver.itest.failing;

/**
 * Packed into a test bundle whose DS component's activate does not return for a long time (a bounded 20 s, so
 * that the test bundle can go away after the test), and must be reported while it runs.
 */
public class SpinningComponent {
    public void activate() throws InterruptedException {
        long end = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < end) {
            Thread.sleep(100);
        }
    }
}
