package org.kimserver.worker.internal;

import java.util.List;
import java.util.Map;

/**
 * Whether this worker is ready for clients. Ready ({@code listening}) is the launcher's verdict: it publishes a
 * service with {@code kim.process.state=up} once the worker is up by its rule (every gate state listening, none
 * needed when gate_host is empty), so that rule is kept in one place. Failed is any service carrying
 * {@code kim.gate.state=failed}, whenever it comes, with its reason; else the worker is starting.
 *
 * @param error   why it failed; {@code null} unless failed
 * @param address the failed listener's address; may be {@code null}
 */
public record GateReadiness(String state, String error, String address) {
    public static final String LISTENING = "listening";
    public static final String FAILED = "failed";
    public static final String STARTING = "starting";
    static final String STATE = "kim.gate.state";
    static final String ERROR = "kim.gate.error";
    static final String ADDRESS = "kim.gate.address";

    /**
     * @param gateStates the properties of every service that carries kim.gate.state
     * @param processUp  whether the launcher has said that this process is up
     */
    public static GateReadiness of(List<Map<String, Object>> gateStates, boolean processUp) {
        for (Map<String, Object> properties : gateStates) {
            if (FAILED.equals(properties.get(STATE))) {
                return new GateReadiness(FAILED, text(properties.get(ERROR)), text(properties.get(ADDRESS)));
            }
        }
        return new GateReadiness(processUp ? LISTENING : STARTING, null, null);
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }
}
