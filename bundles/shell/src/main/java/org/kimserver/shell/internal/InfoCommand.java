package org.kimserver.shell.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.kimserver.api.diag.ServerInfo;
import org.kimserver.api.diag.ServerInfoService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code kim:info}: formats this process's {@link ServerInfo} and the problems of every {@link ProblemReporter}
 * service; it knows nothing itself.
 */
@Component(service = InfoCommand.class,
        property = {"osgi.command.scope=kim", "osgi.command.function=info"})
public final class InfoCommand {

    @Reference
    private ServerInfoService server;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<ProblemReporter> reporters;

    @Descriptor("what this server is, how long it has run, and everything that is wrong in it: bundles and"
            + " components that do not run and why, a configuration or deploy/ jar that cannot be used, an"
            + " activation that does not end, each with the time it was first seen (usage: kim:info)")
    public String info() {
        ServerInfo s = server.info();
        StringBuilder out = new StringBuilder();
        out.append("kimserver ").append(s.version()).append('\n');
        line(out, "server", s.serverName() + " (node type " + s.nodeType() + ", " + s.workerCount() + " worker"
                + (s.workerCount() == 1 ? "" : "s") + ")");
        line(out, "process", s.processTag() + ", pid " + s.pid() + ", Java " + s.javaVersion());
        line(out, "uptime", uptime(s.uptime()));
        line(out, "home", s.home());
        line(out, "ports", "gate " + orDash(s.gateAddress()) + ", node " + orDash(s.nodeAddress()) + " (configured)");
        line(out, "bundles", s.bundles() + " installed (" + s.fragments() + " of them fragments), "
                + s.bundlesRunning() + " running or resolved"
                + (s.bundlesRunning() == s.bundles() ? "" : ", " + (s.bundles() - s.bundlesRunning()) + " not running"));
        int ok = s.componentsActive() + s.componentsSatisfied();
        line(out, "components", s.components() + " configured, " + s.componentsActive() + " active, "
                + s.componentsSatisfied() + " satisfied (lazy)"
                + (ok == s.components() ? "" : ", " + (s.components() - ok) + " not satisfied"));

        List<Problem> problems = problems();
        line(out, "problems", problems.isEmpty() ? "none" : Integer.toString(problems.size()));
        Instant now = Instant.now();
        for (Problem p : problems) {
            out.append("  - ").append(p.subject()).append(": ").append(p.reason()).append(" (since ")
                    .append(p.since().truncatedTo(ChronoUnit.SECONDS)).append(", ")
                    .append(ago(Duration.between(p.since(), now))).append(")\n");
        }
        return out.toString();
    }

    private List<Problem> problems() {
        List<ProblemReporter> current = reporters;
        return ProblemReporter.gather(current == null ? List.of() : current);
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(String.format("  %-11s %s%n", label, value));
    }

    private static String orDash(String address) {
        return address.isEmpty() ? "-" : address;
    }

    private static String uptime(Duration d) {
        return String.format("%dd %02d:%02d:%02d", d.toDays(), d.toHoursPart(), d.toMinutesPart(), d.toSecondsPart());
    }

    private static String ago(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return s < 120 ? s + " s ago" : s < 7200 ? s / 60 + " min ago" : s / 3600 + " h ago";
    }
}
