package org.kimserver.gate.internal;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/** {@code max_clients_per_ip}: how many connections one client address may hold at once (0: no limit). */
final class AddressLimit {
    private final int max;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    AddressLimit(int max) {
        this.max = max;
    }

    /** Counts a new connection from {@code address}; {@code false} (and nothing counted) if it has enough. */
    boolean tryAcquire(InetAddress address) {
        if (max <= 0) {
            return true;
        }
        boolean[] acquired = {false};
        open.compute(address, (a, count) -> {
            int current = count == null ? 0 : count;
            if (current >= max) {
                return count;
            }
            acquired[0] = true;
            return current + 1;
        });
        return acquired[0];
    }

    /** A connection counted by {@link #tryAcquire} has closed. */
    void release(InetAddress address) {
        if (max > 0) {
            open.computeIfPresent(address, (a, count) -> count > 1 ? count - 1 : null);
        }
    }
}
