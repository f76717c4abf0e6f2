package org.kimserver.db.internal;

import java.util.concurrent.atomic.LongAdder;

/** The failed calls of a node, over all its pools, and the last one's reason. */
final class Failures {
    private final LongAdder count = new LongAdder();
    private volatile String last;

    void add(String reason) {
        count.increment();
        last = reason;
    }

    long count() {
        return count.sum();
    }

    String last() {
        return last;
    }
}
