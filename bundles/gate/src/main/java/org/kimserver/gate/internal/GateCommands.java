package org.kimserver.gate.internal;

import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.kimserver.api.diag.CommandRoute;
import org.kimserver.api.diag.GateDiagnostics;
import org.kimserver.api.diag.GateStatistics;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code kim:stats} and {@code kim:cmds}: the gate's {@link GateDiagnostics} records as text. */
@Component(service = GateCommands.class,
        property = {"osgi.command.scope=kim", "osgi.command.function=stats", "osgi.command.function=cmds"})
public final class GateCommands {

    @Reference
    private GateDiagnostics diagnostics;

    @Descriptor("the gate's state and this process's gate counters: connections, commands, bytes, bad frames,"
            + " buffered memory, error replies by code (usage: kim:stats)")
    public String stats() {
        return format(diagnostics.statistics());
    }

    @Descriptor("who serves which command: calls, bundle and handler class; older versions of a bundle superseded"
            + " by a newer one, and conflicts between bundles (usage: kim:cmds)")
    public String cmds() {
        StringBuilder out = new StringBuilder(String.format("%-8s %-12s %-44s %s%n", "cmd", "calls", "bundle",
                "handler"));
        for (CommandRoute route : diagnostics.commands()) {
            CommandRoute.Handler winner = route.handler();
            out.append(String.format("%-8s %-12d %-44s %s%s%n", route.command(), route.calls(),
                    winner.bundle() + " " + winner.version(), winner.className(),
                    winner.nonBlocking() ? " (non-blocking)" : ""));
            for (CommandRoute.Handler older : route.superseded()) {
                out.append("         superseded: ").append(describe(older)).append('\n');
            }
            for (CommandRoute.Handler loser : route.conflicting()) {
                out.append("         CONFLICT: also claimed by ").append(describe(loser)).append('\n');
            }
        }
        return out.toString();
    }

    static String format(GateStatistics stats) {
        StringBuilder out = new StringBuilder();
        line(out, "gate", gateLine(stats));
        line(out, "connections", stats.openConnections() + " open, " + stats.accepted() + " accepted, "
                + stats.refusedMaxClients() + " refused (max_clients"
                + (stats.maxClients() == 0 ? "" : " " + stats.maxClients()) + "), " + stats.refusedMaxClientsPerIp()
                + " refused (max_clients_per_ip), " + stats.closedIdle() + " closed idle (keep_alive), "
                + stats.acceptFailures() + " accept failures");
        line(out, "commands", stats.commands() + String.format(" (%.1f per second)", stats.commandsPerSecond()));
        line(out, "reads", stats.reads() + " (" + stats.readBytes() + " bytes)");
        line(out, "writes", stats.writes() + " (" + stats.writeBytes() + " bytes)");
        line(out, "bad frames", stats.malformedFrames() + " malformed, " + stats.oversizeFrames()
                + " above max_frame_size, " + stats.frameTimeouts() + " not whole in time (frame_timeout_ms), "
                + stats.refusedByMemoryBudget() + " refused by the memory budget");
        line(out, "buffered", stats.bufferLimitBytes() == 0 ? "nothing (not listening)"
                : stats.bufferedBytes() + " bytes of " + stats.bufferLimitBytes() + " (max_buffered_mb), "
                        + stats.connectionsWaitingRoom() + " connections waiting for room");
        line(out, "direct memory", stats.directMemoryBytes() + " bytes in use by Netty (pooled: "
                + (stats.pooledDirectMemoryBytes() < 0 ? "not pooled" : stats.pooledDirectMemoryBytes() + " bytes")
                + ")");
        line(out, "stops", stats.cutAtStop() + " connections still busy at stop_timeout_ms");
        Map<Integer, Long> errors = stats.errorRepliesByCode();
        StringBuilder codes = new StringBuilder();
        errors.forEach((code, count) -> codes.append(codes.isEmpty() ? "" : ", ").append("code ").append(code)
                .append(": ").append(count));
        line(out, "error replies", errors.isEmpty() ? "none" : codes.toString());
        return out.toString();
    }

    private static String gateLine(GateStatistics stats) {
        return switch (stats.state()) {
            case GateStatistics.LISTENING -> "listening on " + stats.address() + " (" + stats.transport() + ")"
                    + (stats.error() == null ? "" : "; " + stats.error() + " (tried again every " + GateServer.RETRY_SECONDS
                            + " s)");
            case GateStatistics.FAILED -> "not listening: cannot listen on " + stats.address() + ": " + stats.error()
                    + " (tried again every " + GateServer.RETRY_SECONDS + " s)";
            default -> "not listening";
        };
    }

    private static String describe(CommandRoute.Handler handler) {
        return handler.className() + " (service " + handler.serviceId() + ", " + handler.bundle() + " "
                + handler.version() + ", ranking " + handler.ranking() + (handler.nonBlocking() ? ", non-blocking" : "")
                + ")";
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(String.format("%-14s%s%n", label, value));
    }
}
