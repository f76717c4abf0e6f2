package org.kimserver.api.diag;

import java.util.Map;

/**
 * The gate's figures at one moment, every value {@code kim:stats} shows. The counts run from the start of the gate
 * bundle and survive a change of the gate's configuration.
 *
 * @param state                   {@link #LISTENING}, {@link #FAILED} or {@link #NOT_LISTENING}
 * @param address                 {@code host:port}: where the gate listens; when failed, where it should;
 *                                {@code null} when it is not configured to listen
 * @param error                   why the gate is not listening where its configuration says (it may still listen
 *                                on its previous address then); {@code null} when nothing is wrong
 * @param transport               the socket transport and buffer kind, {@code null} when not listening
 * @param openConnections         client connections open now, on the current address and any previous one
 * @param accepted                connections accepted
 * @param refusedMaxClients       connections closed at once because {@code max_clients} were open
 * @param maxClients              the connection limit in force ({@code max_clients}, or less if the open-file limit
 *                                says so); 0 when the gate is not configured
 * @param refusedMaxClientsPerIp  connections closed at once because their address held {@code max_clients_per_ip}
 * @param closedIdle              connections closed after {@code keep_alive} without traffic
 * @param acceptFailures          accepts that failed (most often for lack of file descriptors)
 * @param commands                requests answered
 * @param commandsPerSecond       requests answered a second, over the last second
 * @param reads                   socket reads
 * @param readBytes               bytes read
 * @param writes                  socket writes
 * @param writeBytes              bytes written
 * @param malformedFrames         connections closed for a malformed frame
 * @param oversizeFrames          connections closed for a frame above {@code max_frame_size}
 * @param frameTimeouts           connections closed for a frame not whole within {@code frame_timeout_ms}
 * @param refusedByMemoryBudget   connections closed for a frame the memory budget could not take
 * @param bufferedBytes           bytes the connections hold now (incomplete frames, queued requests, unwritten
 *                                replies)
 * @param bufferLimitBytes        {@code max_buffered_mb} in bytes; 0 when the gate is not configured
 * @param connectionsWaitingRoom  connections that stopped reading until the memory budget has room
 * @param directMemoryBytes       direct memory Netty uses
 * @param pooledDirectMemoryBytes direct memory of Netty's pooled allocator; -1 when the allocator is not pooled
 * @param cutAtStop               connections still busy when a stop's {@code stop_timeout_ms} ran out
 * @param errorRepliesByCode      replies with a non-zero code, by code, in code order
 */
public record GateStatistics(String state, String address, String error, String transport, int openConnections,
                             long accepted, long refusedMaxClients, int maxClients, long refusedMaxClientsPerIp,
                             long closedIdle, long acceptFailures, long commands, double commandsPerSecond,
                             long reads, long readBytes, long writes, long writeBytes, long malformedFrames,
                             long oversizeFrames, long frameTimeouts, long refusedByMemoryBudget, long bufferedBytes,
                             long bufferLimitBytes, int connectionsWaitingRoom, long directMemoryBytes,
                             long pooledDirectMemoryBytes, long cutAtStop, Map<Integer, Long> errorRepliesByCode) {
    /** The gate accepts clients on {@link #address()}. */
    public static final String LISTENING = "listening";
    /** The gate should listen on {@link #address()} but cannot, for {@link #error()}; it retries. */
    public static final String FAILED = "failed";
    /** The gate has no configuration, or an empty {@code gate_host}. */
    public static final String NOT_LISTENING = "not listening";

    public GateStatistics {
        errorRepliesByCode = Map.copyOf(errorRepliesByCode);
    }
}
