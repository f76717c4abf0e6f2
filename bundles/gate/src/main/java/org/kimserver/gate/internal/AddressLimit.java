package org.kimserver.gate.internal;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code max_clients_per_ip}: how many connections one client address may hold at once (0: no limit). Every
 * connection is counted, whatever the limit, so that a new limit is right about the connections already open.
 */
final class AddressLimit {
    private volatile int max;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    AddressLimit(int max) {
        this.max = max;
    }

    /** A new {@code max_clients_per_ip}; it applies to the connections accepted from now on. */
    void max(int connections) {
        max = connections;
    }

    /** Counts a new connection from {@code address}; {@code false} (and nothing counted) if it has enough. */
    boolean tryAcquire(InetAddress address) {
        int limit = max;
        boolean[] acquired = {false};
        open.compute(address, (a, count) -> {
            int current = count == null ? 0 : count;
            if (limit > 0 && current >= limit) {
                return count;
            }
            acquired[0] = true;
            return current + 1;
        });
        return acquired[0];
    }

    /** A connection counted by {@link #tryAcquire} has closed. */
    void release(InetAddress address) {
        open.computeIfPresent(address, (a, count) -> count > 1 ? count - 1 : null);
    }
}
