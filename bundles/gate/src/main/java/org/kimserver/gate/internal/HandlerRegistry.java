package org.kimserver.gate.internal;

import java.lang.reflect.Array;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.ComponentConstants;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the {@link CommandHandler} services (whiteboard) and answers which one serves a command. Lookups read an
 * immutable snapshot, rebuilt whenever a handler comes, goes or changes its properties.
 *
 * <p>Among the handlers of one command, those of an older version of a bundle that also has a newer version claiming
 * it are superseded (a module updated by dropping its new jar beside the old one); of the rest, the highest service
 * ranking wins, then the oldest service, and the others are conflicts, reported as problems.
 */
@Component(service = {HandlerRegistry.class, ProblemReporter.class})
public final class HandlerRegistry implements ProblemReporter {
    private static final Logger LOG = LoggerFactory.getLogger(HandlerRegistry.class);
    /** How long an unregistering handler's calls in progress may take before its removal goes on without them. */
    private static final long DRAIN_SECONDS = 30;

    /**
     * The handler chosen for one command, the ones of older versions of its bundles, the ones of other bundles it
     * wins over, and the command's call count.
     */
    record Route(int cmd, HandlerEntry handler, List<HandlerEntry> superseded, List<HandlerEntry> conflicting,
                 LongAdder calls) {
    }

    /** Commands sorted for binary search; {@code any} serves the rest. */
    private record Routes(int[] cmds, Route[] routes, Route any) {
        Route find(int cmd) {
            int i = Arrays.binarySearch(cmds, cmd);
            return i >= 0 ? routes[i] : any;
        }
    }

    private static final int ANY = -1; // key of the catch-all's count; never a parsed command (those are >= 0)

    private final List<HandlerEntry> entries = new ArrayList<>();
    /** Call counts by command, kept across handler changes. */
    private final Map<Integer, LongAdder> counts = new ConcurrentHashMap<>();
    private volatile Routes routes = new Routes(new int[0], new Route[0], null);
    /**
     * System.nanoTime() when each command lost its last handler. A new registry counts every command as lost at its
     * start: the modules of deploy/ are deployed just after the gate, so a request for one of their commands that
     * comes first (to a worker started again, say) waits for its handler for handler_grace_ms, as after an update.
     */
    private final Map<Integer, Long> lostAt = new ConcurrentHashMap<>(Map.of(ANY, System.nanoTime()));
    private volatile CompletableFuture<Void> nextChange = new CompletableFuture<>();
    /** When each command claimed by handlers of more than one bundle began to be. */
    private volatile Map<Integer, Instant> conflictsSince = Map.of();
    /** The handlers whose command property names no command, by service id; written under the entries' lock. */
    private volatile Map<Long, Problem> ignored = Map.of();

    /**
     * Gets the service itself rather than have SCR get it, so that a handler whose component fails to activate is
     * named in the log: the framework reports that failure under the bundle that asked for the service, the gate.
     */
    @Reference(name = "handlers", service = CommandHandler.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, bind = "bind", unbind = "unbind", updated = "updated")
    private void bind(ComponentServiceObjects<CommandHandler> objects, ServiceReference<CommandHandler> reference) {
        CommandHandler handler = objects.getService();
        if (handler == null) {
            Bundle bundle = reference.getBundle();
            LOG.warn("handler service {} of bundle {} (component {}) for cmd {} is not used: it could not be"
                    + " obtained, most likely because its component failed to activate. The framework logs that as"
                    + " \"Service factory returned null\" under the gate, which only asked for the service; kim:info"
                    + " shows why it failed", reference.getProperty(Constants.SERVICE_ID),
                    bundle == null ? "?" : bundle.getSymbolicName() + " " + bundle.getVersion(),
                    reference.getProperty(ComponentConstants.COMPONENT_NAME),
                    propertyText(reference.getProperty(CommandHandler.CMD)));
            return;
        }
        add(HandlerEntry.of(handler, reference));
    }

    private void updated(ComponentServiceObjects<CommandHandler> objects, ServiceReference<CommandHandler> reference) {
        long serviceId = (Long) reference.getProperty(Constants.SERVICE_ID);
        synchronized (entries) {
            for (HandlerEntry e : entries) {
                if (e.serviceId == serviceId) {
                    entries.remove(e);
                    entries.add(HandlerEntry.of(e.handler, reference));
                    rebuild();
                    return;
                }
            }
        }
    }

    /** Called while the service unregisters: after this returns, the handler is not called again. */
    private void unbind(ComponentServiceObjects<CommandHandler> objects, ServiceReference<CommandHandler> reference) {
        remove((Long) reference.getProperty(Constants.SERVICE_ID));
    }

    /** Serves the entry's commands from now on (none when its property names none: a kim:info problem). */
    void add(HandlerEntry entry) {
        synchronized (entries) {
            entries.add(entry);
            rebuild();
        }
        if (!ignored.containsKey(entry.serviceId)) {
            LOG.info("handler added: {} for cmd {}", entry.describe(), propertyText(entry.commands));
        }
    }

    /** Stops serving the handler of that service, and waits for its calls in progress (up to 30 s). */
    void remove(long serviceId) {
        HandlerEntry removed = null;
        synchronized (entries) {
            for (HandlerEntry e : entries) {
                if (e.serviceId == serviceId) {
                    removed = e;
                }
            }
            entries.remove(removed);
            rebuild();
        }
        if (removed == null) {
            return;
        }
        try {
            if (!removed.removeAndAwait(DRAIN_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("handler removed with {} calls still running after {} s: {}", removed.inFlight(),
                        DRAIN_SECONDS, removed.describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("handler removed: {}", removed.describe());
    }

    /** The route for a command: its own handler, else the catch-all, else {@code null}. */
    Route find(int cmd) {
        return routes.find(cmd);
    }

    /** Every route, catch-all last, for {@code kim:cmds}. */
    List<Route> routes() {
        Routes current = routes;
        List<Route> all = new ArrayList<>(Arrays.asList(current.routes()));
        if (current.any() != null) {
            all.add(current.any());
        }
        return all;
    }

    private void rebuild() {
        List<HandlerEntry> ordered = new ArrayList<>(entries);
        ordered.sort(HandlerEntry.PRECEDENCE);
        TreeMap<Integer, List<HandlerEntry>> byCmd = new TreeMap<>();
        Map<Long, Problem> bad = new HashMap<>();
        for (HandlerEntry entry : ordered) {
            try {
                for (int cmd : parseCommands(entry.commands)) {
                    byCmd.computeIfAbsent(cmd, k -> new ArrayList<>()).add(entry);
                }
            } catch (IllegalArgumentException e) {
                Problem known = ignored.get(entry.serviceId);
                if (known == null) {
                    LOG.error("handler ignored: {}: {}", entry.describe(), e.getMessage());
                }
                bad.put(entry.serviceId, new Problem("handler " + entry.describe(), "ignored, it serves no command: "
                        + CommandHandler.CMD + " " + propertyText(entry.commands) + ": " + e.getMessage(),
                        known == null ? Instant.now() : known.since()));
            }
        }
        ignored = Map.copyOf(bad);
        int[] cmds = new int[byCmd.size()];
        Route[] table = new Route[byCmd.size()];
        Route any = null;
        int i = 0;
        for (Map.Entry<Integer, List<HandlerEntry>> e : byCmd.entrySet()) {
            Route route = route(e.getKey(), e.getValue());
            if (e.getKey() == ANY) {
                any = route;
            } else {
                cmds[i] = e.getKey();
                table[i++] = route;
            }
        }
        Routes previous = routes;
        routes = new Routes(Arrays.copyOf(cmds, i), Arrays.copyOf(table, i), any);
        Map<Integer, Instant> conflicts = new TreeMap<>();
        for (Route route : routes()) {
            if (!route.conflicting().isEmpty()) {
                conflicts.put(route.cmd(), conflictsSince.getOrDefault(route.cmd(), Instant.now()));
            }
        }
        conflictsSince = conflicts;
        long now = System.nanoTime();
        for (Route old : previous.routes()) {
            if (!byCmd.containsKey(old.cmd())) {
                lostAt.put(old.cmd(), now);
            }
        }
        if (previous.any() != null && any == null) {
            lostAt.put(ANY, now);
        }
        CompletableFuture<Void> changed = nextChange;
        nextChange = new CompletableFuture<>();
        changed.complete(null);
    }

    /** What {@link #lostAt} answers for a command that never lost a handler. */
    static final long NEVER = Long.MIN_VALUE;

    /**
     * The {@code System.nanoTime()} at which a command lost its last handler (an update of its bundle, say), or
     * {@link #NEVER}. Losing the catch-all counts for every command.
     */
    long lostAt(int cmd) {
        return Math.max(lostAt.getOrDefault(cmd, NEVER), lostAt.getOrDefault(ANY, NEVER));
    }

    /** Completes at the next change of the handlers. */
    CompletableFuture<Void> nextChange() {
        return nextChange;
    }

    /** The route of a command from its candidates in {@link HandlerEntry#PRECEDENCE} order. */
    private Route route(int cmd, List<HandlerEntry> candidates) {
        List<HandlerEntry> newest = new ArrayList<>();
        List<HandlerEntry> superseded = new ArrayList<>();
        for (HandlerEntry candidate : candidates) {
            boolean older = candidates.stream().anyMatch(candidate::olderVersionOf);
            (older ? superseded : newest).add(candidate);
        }
        List<HandlerEntry> conflicting = List.copyOf(newest.subList(1, newest.size()));
        if (!conflicting.isEmpty()) {
            LOG.warn("cmd {} is claimed by {} handlers; {} wins over {}", text(cmd), newest.size(),
                    newest.get(0).describe(), conflicting.stream().map(HandlerEntry::describe).toList());
        }
        LongAdder calls = counts.computeIfAbsent(cmd, k -> new LongAdder());
        return new Route(cmd, newest.get(0), superseded, conflicting, calls);
    }

    /** A command as the shell and the problems show it: its number, or {@code *} for the catch-all. */
    static String text(int cmd) {
        return cmd == ANY ? "*" : Integer.toString(cmd);
    }

    /**
     * Each command claimed by handlers that are not versions of one bundle (only one of them is called), and each
     * handler ignored for a command property that names no command.
     */
    @Override
    public List<Problem> problems() {
        Map<Integer, Instant> since = conflictsSince;
        List<Problem> problems = new ArrayList<>(ignored.values());
        for (Route route : routes()) {
            Instant first = since.get(route.cmd());
            if (first != null && !route.conflicting().isEmpty()) {
                problems.add(new Problem("cmd " + text(route.cmd()), "claimed by " + (route.conflicting().size() + 1)
                        + " handlers; only " + route.handler().describe() + " is called, not "
                        + route.conflicting().stream().map(HandlerEntry::describe).toList()
                        + ". Remove one, or give the one meant to win a higher service.ranking", first));
            }
        }
        return problems;
    }

    /**
     * The commands of a {@value CommandHandler#CMD} property: a number, a string of numbers separated by commas,
     * {@value CommandHandler#ANY}, or an array or collection of those. Commands are unsigned 32-bit numbers as on
     * the wire; the ones above 2^31 - 1 are not supported.
     */
    static List<Integer> parseCommands(Object value) {
        List<Integer> cmds = new ArrayList<>();
        collect(value, cmds);
        if (cmds.isEmpty()) {
            throw new IllegalArgumentException("property " + CommandHandler.CMD + " is missing or empty");
        }
        return cmds;
    }

    private static void collect(Object value, List<Integer> into) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> collection) {
            collection.forEach(v -> collect(v, into));
        } else if (value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                collect(Array.get(value, i), into);
            }
        } else if (value instanceof Number number) {
            into.add(checked(number.longValue(), value));
        } else {
            for (String part : value.toString().split(",")) {
                String text = part.strip();
                if (text.equals(CommandHandler.ANY)) {
                    into.add(ANY);
                } else if (!text.isEmpty()) {
                    try {
                        into.add(checked(Long.parseLong(text), value));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("property " + CommandHandler.CMD + ": \"" + text
                                + "\" is not a command number or " + CommandHandler.ANY);
                    }
                }
            }
        }
    }

    /** The property as written, arrays included, for the log. */
    private static String propertyText(Object value) {
        if (value != null && value.getClass().isArray()) {
            List<Object> items = new ArrayList<>();
            for (int i = 0; i < Array.getLength(value); i++) {
                items.add(Array.get(value, i));
            }
            return items.toString();
        }
        return String.valueOf(value);
    }

    private static int checked(long cmd, Object value) {
        if (cmd < 0 || cmd > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("property " + CommandHandler.CMD + ": " + value
                    + " is out of range 0.." + Integer.MAX_VALUE);
        }
        return (int) cmd;
    }
}
