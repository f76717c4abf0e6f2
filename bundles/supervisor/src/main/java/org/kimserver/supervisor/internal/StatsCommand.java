package org.kimserver.supervisor.internal;

import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.kimserver.api.diag.WorkerDiagnostics;
import org.kimserver.api.diag.WorkerInfo;
import org.kimserver.handoff.HandoffDiagnostics;
import org.kimserver.handoff.HandoffStatistics;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code kim:stats} in the manager: the workers' last reports summed, and what the hand-off has done. Each worker's
 * gate has its own {@code kim:stats} with every counter; this one says where to find it.
 */
@Component(service = StatsCommand.class,
        property = {"osgi.command.scope=kim", "osgi.command.function=stats"})
public final class StatsCommand {

    @Reference
    private WorkerDiagnostics workers;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile HandoffDiagnostics handoff;

    @Descriptor("the workers' gates summed (open connections, requests and bytes a second, from their last"
            + " reports) and the connection hand-off's counts; each worker's own counters: bin/kimserver console -w"
            + " <n> kim:stats, or -w all (usage: kim:stats)")
    public String stats() {
        HandoffDiagnostics h = handoff;
        return format(workers.workers(), h == null ? null : h.statistics());
    }

    static String format(List<WorkerInfo> workers, HandoffStatistics handoff) {
        long up = workers.stream().filter(w -> WorkerInfo.UP.equals(w.state())).count();
        int connections = workers.stream().mapToInt(WorkerInfo::connections).sum();
        double requests = workers.stream().mapToDouble(WorkerInfo::requestsPerSecond).sum();
        double read = workers.stream().mapToDouble(WorkerInfo::readBytesPerSecond).sum();
        double written = workers.stream().mapToDouble(WorkerInfo::writeBytesPerSecond).sum();
        StringBuilder out = new StringBuilder();
        line(out, "workers", up + " of " + workers.size() + " up (kim:workers for each)");
        line(out, "connections", connections + " open");
        line(out, "requests", String.format("%.1f a second", requests));
        line(out, "bytes", String.format("%.0f read, %.0f written a second", read, written));
        if (handoff == null) {
            line(out, "hand-off", "none (is_reuseport: every worker listens on the gate port itself)");
        } else {
            StringBuilder handed = new StringBuilder();
            long total = 0;
            for (Map.Entry<String, Long> e : handoff.handedByWorker().entrySet()) {
                handed.append(handed.isEmpty() ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
                total += e.getValue();
            }
            line(out, "hand-off", handoff.state() + " on " + handoff.address()
                    + (handoff.error() == null ? "" : " (" + handoff.error() + ")") + ": " + total
                    + " connections handed" + (handed.isEmpty() ? "" : " (" + handed + ")") + ", "
                    + handoff.closedWithoutWorker() + " closed for want of a worker");
        }
        line(out, "each gate", "bin/kimserver console -w <n> kim:stats (or -w all)");
        return out.toString();
    }

    private static void line(StringBuilder out, String label, String text) {
        out.append(String.format("%-13s %s%n", label, text));
    }
}
