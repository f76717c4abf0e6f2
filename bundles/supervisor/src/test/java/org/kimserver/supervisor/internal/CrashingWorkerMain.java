package org.kimserver.supervisor.internal;

/** A worker that dies at once, as one whose configuration is broken: a crash loop. */
public final class CrashingWorkerMain {
    private CrashingWorkerMain() {
    }

    public static void main(String[] args) {
        System.exit(3);
    }
}
