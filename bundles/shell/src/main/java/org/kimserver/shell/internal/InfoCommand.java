package org.kimserver.shell.internal;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/** {@code kim:info}: what this server is, how long it has run, and anything that is not running and why. */
@Component(service = InfoCommand.class,
        configurationPid = {"kimserver.server", "kimserver.gate"},
        property = {"osgi.command.scope=kim", "osgi.command.function=info"})
public final class InfoCommand {

    /** The node keys of etc/kimserver.json, merged from two PIDs (so no metatype designate, which takes one). */
    @interface Config {
        String server_name() default "kimserver";

        String node_type() default "";

        int worker_cnt() default 1;

        String node_host() default "";

        int node_port() default 0;

        String gate_host() default "";

        int gate_port() default 0;
    }

    @Reference
    private ServiceComponentRuntime scr;

    private BundleContext context;
    private volatile Config config;

    @Activate
    void activate(BundleContext context, Config config) {
        this.context = context;
        this.config = config;
    }

    @Modified
    void modified(Config config) {
        this.config = config;
    }

    public String info() {
        Config c = config;
        StringBuilder out = new StringBuilder();
        out.append("kimserver ").append(context.getBundle().getVersion()).append('\n');
        line(out, "server", c.server_name() + " (node type " + c.node_type() + ", " + c.worker_cnt() + " worker"
                + (c.worker_cnt() == 1 ? "" : "s") + ")");
        line(out, "process", context.getProperty("kimserver.process") + ", pid " + ProcessHandle.current().pid()
                + ", Java " + Runtime.version());
        line(out, "uptime", uptime(Duration.ofMillis(ManagementFactory.getRuntimeMXBean().getUptime())));
        line(out, "home", String.valueOf(context.getProperty("kimserver.home")));
        line(out, "ports", "gate " + endpoint(c.gate_host(), c.gate_port()) + ", node "
                + endpoint(c.node_host(), c.node_port()) + " (configured)");
        line(out, "bundles", bundleSummary());
        line(out, "components", componentSummary());

        List<String> problems = new ArrayList<>(Diagnostics.bundleProblems(context));
        problems.addAll(Diagnostics.componentProblems(scr));
        if (problems.isEmpty()) {
            line(out, "problems", "none");
        } else {
            line(out, "problems", Integer.toString(problems.size()));
            problems.forEach(p -> out.append("  - ").append(p).append('\n'));
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(String.format("  %-11s %s%n", label, value));
    }

    private static String endpoint(String host, int port) {
        return host.isEmpty() || port == 0 ? "-" : host + ":" + port;
    }

    private static String uptime(Duration d) {
        return String.format("%dd %02d:%02d:%02d", d.toDays(), d.toHoursPart(), d.toMinutesPart(), d.toSecondsPart());
    }

    private String bundleSummary() {
        int total = 0;
        int healthy = 0;
        int fragments = 0;
        for (Bundle b : context.getBundles()) {
            total++;
            healthy += Diagnostics.isHealthy(b) ? 1 : 0;
            fragments += Diagnostics.isFragment(b) ? 1 : 0;
        }
        return total + " installed (" + fragments + " of them fragments), " + healthy + " running or resolved"
                + (healthy == total ? "" : ", " + (total - healthy) + " not running");
    }

    private String componentSummary() {
        int total = 0;
        int active = 0;
        int satisfied = 0;
        for (ComponentDescriptionDTO desc : scr.getComponentDescriptionDTOs()) {
            for (ComponentConfigurationDTO config : scr.getComponentConfigurationDTOs(desc)) {
                total++;
                active += config.state == ComponentConfigurationDTO.ACTIVE ? 1 : 0;
                satisfied += config.state == ComponentConfigurationDTO.SATISFIED ? 1 : 0;
            }
        }
        return total + " configured, " + active + " active, " + satisfied + " satisfied (lazy)"
                + (active + satisfied == total ? "" : ", " + (total - active - satisfied) + " not satisfied");
    }
}
