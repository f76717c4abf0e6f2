package org.kimserver.api.diag;

import java.time.Duration;
import java.time.Instant;

/**
 * One worker process as its manager sees it.
 *
 * @param index             the worker's number, 1..worker_cnt
 * @param pid               the process id of the current process; -1 while none runs
 * @param startedAt         when the current process was started; {@code null} while none runs
 * @param uptime            how long the current process has run; zero while none runs
 * @param restarts          how many times a process of this worker was started again after one exited
 * @param state             {@link #STARTING}, {@link #UP}, {@link #SILENT}, {@link #STOPPING} or {@link #EXITED}
 * @param gateState         what the worker last said of its gate: listening, failed or starting
 * @param connections       open client connections, as last reported
 * @param requestsPerSecond requests answered a second, over the last report
 * @param readBytesPerSecond  bytes read from clients a second, over the last report
 * @param writeBytesPerSecond bytes written to clients a second, over the last report
 * @param heapUsed          heap in use, bytes, as last reported; -1 when not known
 * @param heapMax           the heap's limit, bytes; -1 when not known
 * @param lastExit          how the previous process ended ("exit code 137 after 3.2 s"), {@code null} if none did
 */
public record WorkerInfo(int index, long pid, Instant startedAt, Duration uptime, int restarts, String state,
                         String gateState, int connections, double requestsPerSecond, double readBytesPerSecond,
                         double writeBytesPerSecond, long heapUsed, long heapMax, String lastExit) {
    /** A process runs and has not yet registered and said its gate is ready. */
    public static final String STARTING = "starting";
    /** The process registered and its gate is ready. */
    public static final String UP = "up";
    /**
     * The process registered but has sent no report for 5 s: frozen (SIGSTOP, a debugger) or too busy to say
     * anything. The hand-off gives it no client while another worker can take it.
     *
     * @since 1.3
     */
    public static final String SILENT = "silent";
    /**
     * The process was asked to stop (SIGTERM) and is finishing its graceful stop: one beyond a lowered worker_cnt,
     * or one being replaced by a reload (it is started again when it has exited).
     */
    public static final String STOPPING = "stopping";
    /** No process runs: the last one exited and the next has not been started yet (a crash loop's back-off). */
    public static final String EXITED = "exited";
}
