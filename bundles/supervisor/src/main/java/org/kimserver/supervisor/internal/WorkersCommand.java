package org.kimserver.supervisor.internal;

import java.time.Duration;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.kimserver.api.diag.WorkerDiagnostics;
import org.kimserver.api.diag.WorkerInfo;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code kim:workers}: the manager's {@link WorkerDiagnostics} as a table. */
@Component(service = WorkersCommand.class,
        property = {"osgi.command.scope=kim", "osgi.command.function=workers"})
public final class WorkersCommand {

    @Reference
    private WorkerDiagnostics diagnostics;

    @Descriptor("the worker processes: index, pid, state, uptime, connections, requests a second, heap, restarts"
            + " and how the last one before ended (usage: kim:workers)")
    public String workers() {
        return format(diagnostics.workers());
    }

    static String format(List<WorkerInfo> workers) {
        StringBuilder out = new StringBuilder(String.format("%-6s %-8s %-9s %-10s %-12s %-11s %-17s %-8s %s%n",
                "index", "pid", "state", "uptime", "connections", "requests/s", "heap", "restarts", "last exit"));
        for (WorkerInfo w : workers) {
            out.append(String.format("%-6d %-8s %-9s %-10s %-12d %-11.1f %-17s %-8d %s%n", w.index(),
                    w.pid() < 0 ? "-" : Long.toString(w.pid()), w.state(), uptime(w.uptime()), w.connections(),
                    w.requestsPerSecond(), heap(w.heapUsed(), w.heapMax()), w.restarts(),
                    w.lastExit() == null ? "-" : w.lastExit()));
        }
        return out.toString();
    }

    static String uptime(Duration d) {
        long s = d.toSeconds();
        return s < 60 ? s + "s" : s < 3600 ? s / 60 + "m" + s % 60 + "s" : s / 3600 + "h" + s % 3600 / 60 + "m";
    }

    static String heap(long used, long max) {
        if (used < 0) {
            return "-";
        }
        return mb(used) + (max > 0 ? " / " + mb(max) : "");
    }

    private static String mb(long bytes) {
        return bytes / (1024 * 1024) + "M";
    }
}
