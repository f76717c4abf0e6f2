package org.kimserver.shell.internal;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import org.kimserver.config.ConfigSchema;
import org.kimserver.api.diag.ServerInfo;
import org.kimserver.api.diag.ServerInfoService;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.kimserver.api.diag.ProblemReporter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * This process's {@link ServerInfo}. The node keys come from two PIDs, merged by DS; a key the configuration
 * does not hold yet has the schema's default.
 */
@Component(configurationPid = {ConfigSchema.SERVER_PID, ConfigSchema.GATE_PID})
public final class LocalServerInfo implements ServerInfoService {

    /** The gate's ProblemReporter service property holding where it listens (host:port). */
    private static final String GATE_ADDRESS = "kim.gate.address";

    @Reference
    private ServiceComponentRuntime scr;

    private BundleContext context;
    private volatile Map<String, Object> config;

    @Activate
    void activate(BundleContext context, Map<String, Object> config) {
        this.context = context;
        this.config = config;
    }

    @Modified
    void modified(Map<String, Object> config) {
        this.config = config;
    }

    private Object value(String key) {
        return ConfigSchema.key(key).valueIn(config);
    }

    private String text(String key) {
        Object value = value(key);
        return value == null ? "" : value.toString();
    }

    private String address(String hostKey, String portKey) {
        String host = text(hostKey);
        int port = ((Number) value(portKey)).intValue();
        return host.isEmpty() || port == 0 ? "" : host + ":" + port;
    }

    /**
     * The gate's address as configured; with gate_port 0 (any free port), where the gate listens: its
     * ProblemReporter service's {@code kim.gate.address} property.
     */
    private String gateAddress() {
        String configured = address("gate_host", "gate_port");
        if (!configured.isEmpty() || text("gate_host").isEmpty()) {
            return configured;
        }
        try {
            for (ServiceReference<ProblemReporter> ref : context.getServiceReferences(ProblemReporter.class,
                    "(" + GATE_ADDRESS + "=*)")) {
                return String.valueOf(ref.getProperty(GATE_ADDRESS));
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return "";
    }

    @Override
    public ServerInfo info() {
        int bundles = 0;
        int fragments = 0;
        int running = 0;
        for (Bundle b : context.getBundles()) {
            bundles++;
            fragments += Diagnostics.isFragment(b) ? 1 : 0;
            running += Diagnostics.isHealthy(b) ? 1 : 0;
        }
        int components = 0;
        int active = 0;
        int satisfied = 0;
        for (ComponentDescriptionDTO desc : scr.getComponentDescriptionDTOs()) {
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(desc)) {
                components++;
                active += c.state == ComponentConfigurationDTO.ACTIVE ? 1 : 0;
                satisfied += c.state == ComponentConfigurationDTO.SATISFIED ? 1 : 0;
            }
        }
        String tag = context.getProperty("kimserver.process");
        return new ServerInfo(context.getBundle().getVersion().toString(), text("server_name"),
                text("node_type"), ((Number) value("worker_cnt")).intValue(),
                tag == null ? "M0" : tag, ProcessHandle.current().pid(), Runtime.version().toString(),
                Duration.ofMillis(ManagementFactory.getRuntimeMXBean().getUptime()),
                String.valueOf(context.getProperty("kimserver.home")), gateAddress(),
                address("node_host", "node_port"), bundles, fragments, running, components, active, satisfied);
    }
}
