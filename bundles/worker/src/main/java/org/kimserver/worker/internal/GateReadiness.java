package org.kimserver.worker.internal;

import java.util.List;
import java.util.Map;

/**
 * Whether this worker is ready for clients, from the services that carry {@code kim.gate.state} (the launcher's
 * contract: the gate publishes one, a hand-off receiver may publish another): failed when one says failed, ready
 * ({@code listening}) when at least one says listening, else starting. A gate that is configured not to listen
 * (hand-off mode) does not hold the worker back.
 *
 * @param error   why it failed; {@code null} unless failed
 * @param address the failed listener's address, or a listening one's; may be {@code null}
 */
public record GateReadiness(String state, String error, String address) {
    public static final String LISTENING = "listening";
    public static final String FAILED = "failed";
    public static final String STARTING = "starting";
    static final String STATE = "kim.gate.state";
    static final String ERROR = "kim.gate.error";
    static final String ADDRESS = "kim.gate.address";

    public static GateReadiness of(List<Map<String, Object>> services) {
        GateReadiness listening = null;
        for (Map<String, Object> properties : services) {
            Object state = properties.get(STATE);
            if (FAILED.equals(state)) {
                return new GateReadiness(FAILED, text(properties.get(ERROR)), text(properties.get(ADDRESS)));
            }
            if (LISTENING.equals(state) && listening == null) {
                listening = new GateReadiness(LISTENING, null, text(properties.get(ADDRESS)));
            }
        }
        return listening != null ? listening : new GateReadiness(STARTING, null, null);
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }
}
