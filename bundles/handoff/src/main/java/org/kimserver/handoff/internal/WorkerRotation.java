package org.kimserver.handoff.internal;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers connected to the hand-off socket, in turn: each client goes to the next connected one. A link that
 * closes leaves the rotation at once (the original kept handing sockets to a dead worker, whose clients were then
 * dropped), and the clients waiting on it go to the others. A worker the manager has not heard from lately is
 * passed over while another can take the client. With no worker connected, a client is closed at once.
 */
final class WorkerRotation {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerRotation.class);

    private final List<WorkerLink> connected = new CopyOnWriteArrayList<>();
    private final AtomicInteger turn = new AtomicInteger();
    private final Map<String, LongAdder> handed = new ConcurrentHashMap<>();
    private final LongAdder closedWithoutWorker = new LongAdder();
    private final RateLimitedWarning noWorker = new RateLimitedWarning(LOG);
    /** The workers the manager has not heard from lately (frozen or overloaded), by tag: passed over while others are. */
    private volatile Set<String> silent = Set.of();

    /** A worker said hello on {@code channel}: it takes its turn from now on, until the link closes. */
    void join(String tag, Channel channel) {
        WorkerLink link = new WorkerLink(tag, channel, this);
        connected.add(link);
        LOG.info("worker {} connected to the hand-off: {} taking connections", tag, connected.size());
        channel.closeFuture().addListener(f -> {
            connected.remove(link);
            LOG.info("worker {} left the hand-off: {} taking connections", tag, connected.size());
            link.handBackWaiting();
        });
    }

    /**
     * Gives {@code client} (accepted, not registered on an event loop) to the next connected worker, or closes it if
     * there is none. Any thread.
     */
    void handOver(Channel client) {
        WorkerLink link = next();
        if (link == null) {
            closedWithoutWorker.increment();
            noWorker.warn("a client connection was closed at once: no worker is connected to the hand-off");
            client.unsafe().closeForcibly(); // never registered: see WorkerLink
            return;
        }
        link.send(client);
    }

    /**
     * The workers that have not reported for a while: no client is handed to them while another worker can take it.
     * Logs each change.
     */
    void silent(Set<String> tags) {
        Set<String> before = silent;
        for (String tag : tags) {
            if (!before.contains(tag)) {
                LOG.warn("worker {} has sent no report for 5 s: no client is handed to it until it does", tag);
            }
        }
        for (String tag : before) {
            if (!tags.contains(tag)) {
                LOG.info("worker {} reports again: it takes clients again", tag);
            }
        }
        silent = Set.copyOf(tags);
    }

    /** The next connected worker in turn, passing over silent ones unless every connected one is. */
    private WorkerLink next() {
        Set<String> passedOver = silent;
        WorkerLink link = passedOver.isEmpty() ? null : next(passedOver);
        return link != null ? link : next(Set.of());
    }

    private WorkerLink next(Set<String> passedOver) {
        for (int tries = connected.size(); tries > 0; tries--) {
            List<WorkerLink> now = connected;
            int size = now.size();
            if (size == 0) {
                return null;
            }
            WorkerLink link;
            try {
                link = now.get(Math.floorMod(turn.getAndIncrement(), size));
            } catch (IndexOutOfBoundsException removedMeanwhile) {
                continue;
            }
            if (link.isConnected() && !passedOver.contains(link.tag())) {
                return link;
            }
        }
        return null;
    }

    /** Counts a connection handed to the worker {@code tag}. */
    void handed(String tag) {
        handed.computeIfAbsent(tag, t -> new LongAdder()).increment();
    }

    List<String> connectedTags() {
        List<String> tags = new ArrayList<>();
        connected.forEach(link -> tags.add(link.tag()));
        return tags;
    }

    Map<String, Long> handedByWorker() {
        Map<String, Long> counts = new LinkedHashMap<>();
        handed.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> counts.put(e.getKey(), e.getValue().sum()));
        return counts;
    }

    long closedWithoutWorker() {
        return closedWithoutWorker.sum();
    }
}
