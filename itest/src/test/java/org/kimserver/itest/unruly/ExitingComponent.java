package org.kimserver.itest.unruly;

/** Packed into a test bundle whose DS component ends the JVM with System.exit a moment after it activates. */
public class ExitingComponent {
    public void activate() {
        Thread.ofPlatform().name("kim-itest-exiter").daemon().start(() -> {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            System.exit(7);
        });
    }
}
