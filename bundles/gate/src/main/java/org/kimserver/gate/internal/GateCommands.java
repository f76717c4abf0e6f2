package org.kimserver.gate.internal;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import java.net.InetSocketAddress;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** {@code kim:stats} (this process's gate counters) and {@code kim:cmds} (who serves which command). */
@Component(service = GateCommands.class,
        property = {"osgi.command.scope=kim", "osgi.command.function=stats", "osgi.command.function=cmds"})
public final class GateCommands {

    @Reference
    private GateCounters counters;

    @Reference
    private HandlerRegistry registry;

    /** Optional: without a gate configuration the counters and commands are still shown. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    private volatile GateServer gate;

    public String stats() {
        GateServer server = gate;
        InetSocketAddress address = server == null ? null : server.address();
        StringBuilder out = new StringBuilder();
        line(out, "gate", address == null ? "not listening"
                : "listening on " + address.getHostString() + ":" + address.getPort() + " (" + server.transportName()
                        + ")");
        line(out, "connections", counters.connections.get() + " open, " + counters.accepted.sum() + " accepted, "
                + counters.refused.sum() + " refused (max_clients" + (server == null ? "" : " " + server.maxClients())
                + "), " + counters.refusedPerAddress.sum() + " refused (max_clients_per_ip), "
                + counters.idleClosed.sum() + " closed idle (keep_alive), " + counters.acceptFailures.sum()
                + " accept failures");
        line(out, "commands", counters.commands.sum() + String.format(" (%.1f per second)",
                counters.commandsPerSecond()));
        line(out, "reads", counters.reads.sum() + " (" + counters.readBytes.sum() + " bytes)");
        line(out, "writes", counters.writes.sum() + " (" + counters.writeBytes.sum() + " bytes)");
        line(out, "bad frames", counters.malformedFrames.sum() + " malformed, " + counters.oversizeFrames.sum()
                + " above max_frame_size, " + counters.frameTimeouts.sum() + " not whole in time (frame_timeout_ms), "
                + counters.refusedOverBudget.sum() + " refused by the memory budget");
        MemoryBudget budget = server == null ? null : server.budget();
        line(out, "buffered", budget == null ? "nothing (not listening)"
                : budget.used() + " bytes of " + budget.limit() + " (max_buffered_mb), " + budget.pausedConnections()
                        + " connections waiting for room");
        line(out, "direct memory", PlatformDependent.usedDirectMemory() + " bytes in use by Netty (pooled: "
                + (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider pooled
                        ? pooled.metric().usedDirectMemory() + " bytes" : "not pooled") + ")");
        line(out, "stops", counters.cutAtStop.sum() + " connections still busy at stop_timeout_ms");
        Map<Integer, Long> errors = counters.errorsByCode();
        StringBuilder codes = new StringBuilder();
        errors.forEach((code, count) -> codes.append(codes.isEmpty() ? "" : ", ").append("code ").append(code)
                .append(": ").append(count));
        line(out, "error replies", errors.isEmpty() ? "none" : codes.toString());
        return out.toString();
    }

    public String cmds() {
        StringBuilder out = new StringBuilder(String.format("%-8s %-12s %-44s %s%n", "cmd", "calls", "bundle",
                "handler"));
        for (HandlerRegistry.Route route : registry.routes()) {
            HandlerEntry winner = route.handler();
            out.append(String.format("%-8s %-12d %-44s %s%s%n",
                    HandlerRegistry.isCatchAll(route) ? "*" : Integer.toString(route.cmd()), route.calls().sum(),
                    winner.owner, winner.handler.getClass().getName(), winner.nonBlocking ? " (non-blocking)" : ""));
            for (HandlerEntry loser : route.shadowed()) {
                out.append("         CONFLICT: also claimed by ").append(loser.describe()).append('\n');
            }
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(String.format("%-14s%s%n", label, value));
    }
}
