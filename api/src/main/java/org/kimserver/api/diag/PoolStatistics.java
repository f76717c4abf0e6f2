package org.kimserver.api.diag;

import java.time.Instant;

/**
 * One pool of connections to a backend node, as {@code kim:db} and {@code kim:redis} show it.
 *
 * @param kind        "mysql" or "redis"
 * @param node        the node's name in {@code etc/kimserver.json}
 * @param address     host:port (and database) it connects to
 * @param maxSize     the most connections it opens
 * @param active      connections in use now
 * @param idle        connections open and free now
 * @param waiting     callers waiting for a connection now
 * @param errors      calls that failed since the pool started (could not connect, waited too long, failed)
 * @param slow        statements slower than the slow-query threshold since the pool started (mysql; 0 for redis)
 * @param lastError   the last failure, or null
 * @param unreachableSince since when the backend cannot be reached (no connection open, the last attempt failed),
 *                    or null while it can
 * @since 1.4
 */
public record PoolStatistics(String kind, String node, String address, int maxSize, int active, int idle,
                             int waiting, long errors, long slow, String lastError, Instant unreachableSince) {
}
