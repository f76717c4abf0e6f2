package org.kimserver.gate.internal;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.kimserver.api.diag.CommandRoute;
import org.kimserver.api.diag.GateDiagnostics;
import org.kimserver.api.diag.GateStatistics;
import org.kimserver.api.diag.HandlerCalls;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** The gate's counters, state and routes as records; reads only what is kept up to date elsewhere, so never blocks. */
@Component(service = GateDiagnostics.class)
public final class GateDiagnosticsService implements GateDiagnostics {

    @Reference
    private GateCounters counters;

    @Reference
    private HandlerRegistry registry;

    /** Optional: without a gate configuration the counters and commands are still shown. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    private volatile GateServer gate;

    @Override
    public GateStatistics statistics() {
        GateServer server = gate;
        GateServer.Status status = server == null ? GateServer.Status.NONE : server.status();
        MemoryBudget budget = server == null ? null : server.budget();
        String error = status.error() == null || status.state().equals(GateStatistics.FAILED) ? status.error()
                : "cannot listen on " + status.wanted() + ": " + status.error();
        return new GateStatistics(status.state(), status.address() == null ? status.wanted() : status.address(),
                error, status.state().equals(GateStatistics.LISTENING) ? server.transportName() : null,
                counters.connections.get(), counters.accepted.sum(), counters.refused.sum(),
                server == null ? 0 : server.maxClients(), counters.refusedPerAddress.sum(), counters.idleClosed.sum(),
                counters.acceptFailures.sum(), counters.commands.sum(), counters.commandsPerSecond(),
                counters.reads.sum(), counters.readBytes.sum(), counters.writes.sum(), counters.writeBytes.sum(),
                counters.malformedFrames.sum(), counters.oversizeFrames.sum(), counters.frameTimeouts.sum(),
                counters.refusedOverBudget.sum(), budget == null ? 0 : budget.used(),
                budget == null ? 0 : budget.limit(), budget == null ? 0 : budget.pausedConnections(),
                PlatformDependent.usedDirectMemory(),
                ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider pooled
                        ? pooled.metric().usedDirectMemory() : -1,
                counters.cutAtStop.sum(), counters.errorsByCode());
    }

    @Override
    public List<CommandRoute> commands() {
        return registry.routes().stream().map(route -> new CommandRoute(HandlerRegistry.text(route.cmd()),
                route.calls().sum(), handler(route.handler()),
                route.superseded().stream().map(GateDiagnosticsService::handler).toList(),
                route.conflicting().stream().map(GateDiagnosticsService::handler).toList())).toList();
    }

    @Override
    public List<HandlerCalls> handlerCalls() {
        // A handler serving several commands is in several routes: each service counts once.
        Map<Long, HandlerEntry> entries = new LinkedHashMap<>();
        for (HandlerRegistry.Route route : registry.routes()) {
            Stream.concat(Stream.of(route.handler()), Stream.concat(route.superseded().stream(),
                    route.conflicting().stream())).forEach(e -> entries.putIfAbsent(e.serviceId, e));
        }
        Map<String, HandlerCalls> byBundle = new LinkedHashMap<>();
        for (HandlerEntry e : entries.values()) {
            byBundle.merge(e.owner, new HandlerCalls(e.bundleName, e.bundleVersion.toString(), e.calls.sum(),
                    e.failures.sum()), (a, b) -> new HandlerCalls(a.bundle(), a.version(), a.calls() + b.calls(),
                    a.failures() + b.failures()));
        }
        return List.copyOf(byBundle.values());
    }

    private static CommandRoute.Handler handler(HandlerEntry entry) {
        return new CommandRoute.Handler(entry.handler.getClass().getName(), entry.bundleName,
                entry.bundleVersion.toString(), entry.serviceId, entry.ranking, entry.nonBlocking);
    }
}
