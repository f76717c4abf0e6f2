package org.kimserver.shell.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.kimserver.api.diag.PoolDiagnostics;
import org.kimserver.api.diag.PoolStatistics;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** {@code kim:db} and {@code kim:redis}: format the {@link PoolStatistics} of this process's pools. */
@Component(service = PoolsCommand.class,
        property = {"osgi.command.scope=kim", "osgi.command.function=db", "osgi.command.function=redis"})
public final class PoolsCommand {
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<PoolDiagnostics> diagnostics;

    @Descriptor("the database nodes of this process (a worker's: console -w <n> kim:db): address, pool size,"
            + " connections active, idle and waited for, failed calls, slow statements and the last failure")
    public String db() {
        return table("mysql", "database", "database.nodes");
    }

    @Descriptor("the Redis nodes of this process (a worker's: console -w <n> kim:redis): address, the shared"
            + " connection's state, the dedicated connections' pool, failed commands and the last failure")
    public String redis() {
        return table("redis", "Redis", "redis");
    }

    private String table(String kind, String what, String section) {
        if (diagnostics.isEmpty()) { // the manager: it has no pools
            return "this process has no pools: they are in the workers (bin/kimserver console -w <n> kim:"
                    + (kind.equals("mysql") ? "db" : "redis") + ")\n";
        }
        List<PoolStatistics> pools = new ArrayList<>();
        for (PoolDiagnostics d : diagnostics) {
            pools.addAll(d.pools().stream().filter(p -> p.kind().equals(kind)).toList());
        }
        if (pools.isEmpty()) {
            return "no " + what + " nodes in this process (" + section + " in etc/kimserver.json)\n";
        }
        pools.sort(Comparator.comparing(PoolStatistics::node));
        StringBuilder out = new StringBuilder(String.format("%-12s %-28s %4s %6s %4s %7s %7s %5s  %s%n", "node",
                "address", "max", "active", "idle", "waiting", "errors", "slow", "last error"));
        for (PoolStatistics p : pools) {
            out.append(String.format("%-12s %-28s %4d %6d %4d %7d %7d %5d  %s%n", p.node(), p.address(), p.maxSize(),
                    p.active(), p.idle(), p.waiting(), p.errors(), p.slow(), p.lastError() == null ? "-"
                            : p.lastError()));
        }
        return out.toString();
    }
}
