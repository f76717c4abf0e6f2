package org.kimserver.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** What the users have seen, written by the I/O threads and read by the progress and report. */
final class Results {
    final LongAdder sent = new LongAdder();
    final LongAdder ok = new LongAdder();
    final LongAdder errorReplies = new LongAdder();
    /** Replies with the wrong cmd or seq, without rsp_result, or undecodable. */
    final LongAdder badReplies = new LongAdder();
    /** Requests sent whose reply never came (the connection closed first). */
    final LongAdder lost = new LongAdder();
    final LongAdder closedUsers = new LongAdder();
    private final Map<Integer, LongAdder> errorsByCode = new ConcurrentHashMap<>();
    private final Recorder latencyMicros = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private volatile String firstProblem;
    private final AtomicLong lastFinishNanos = new AtomicLong();

    void reply(int code, long latencyNanos) {
        if (code == 0) {
            ok.increment();
        } else {
            errorReplies.increment();
            errorsByCode.computeIfAbsent(code, k -> new LongAdder()).increment();
        }
        latencyMicros.recordValue(Math.max(1, latencyNanos / 1000));
    }

    /** A user has ended; the run's time ends with the last one. */
    void userFinished(long nanoTime) {
        lastFinishNanos.accumulateAndGet(nanoTime, Math::max);
    }

    long lastFinishNanos() {
        return lastFinishNanos.get();
    }

    void problem(String description) {
        if (firstProblem == null) {
            firstProblem = description;
        }
    }

    String firstProblem() {
        return firstProblem;
    }

    long replies() {
        return ok.sum() + errorReplies.sum() + badReplies.sum();
    }

    /** Moves the latencies recorded since the last call into the total; returns that interval's histogram. */
    synchronized Histogram interval() {
        Histogram interval = latencyMicros.getIntervalHistogram();
        total.add(interval);
        return interval;
    }

    synchronized Histogram total() {
        interval();
        return total;
    }

    Map<Integer, Long> errorsByCode() {
        Map<Integer, Long> copy = new TreeMap<>();
        errorsByCode.forEach((code, count) -> copy.put(code, count.sum()));
        return copy;
    }
}
