package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** What the gate's log says about a change of its configuration: only what changed, in words that agree. */
public class GateLogWordingTest {
    /** A configuration with {@code values}, the defaults for the rest, and max_clients 20000 unless given. */
    private static GateConfig config(Map<String, Object> values) {
        return (GateConfig) Proxy.newProxyInstance(GateConfig.class.getClassLoader(), new Class<?>[] {GateConfig.class},
                (proxy, method, args) -> {
                    if (values.containsKey(method.getName())) {
                        return values.get(method.getName());
                    }
                    return method.getName().equals("max_clients") ? 20000 : method.getDefaultValue();
                });
    }

    @Test
    public void aChangeInPlaceListsOnlyTheKeysThatChanged() {
        GateConfig before = config(Map.of());
        assertEquals(List.of("keep_alive 16000 ms"),
                GateServer.changedInPlace(before, config(Map.of("keep_alive", 16000)), 20000));
        assertEquals(List.of("max_clients_per_ip 3", "handler_grace_ms 0"), GateServer.changedInPlace(before,
                config(Map.of("max_clients_per_ip", 3, "handler_grace_ms", 0)), 20000));
    }

    @Test
    public void aChangeOfTheAddressOrThreadsOnlyIsNoChangeInPlace() {
        assertEquals(List.of(), GateServer.changedInPlace(config(Map.of()),
                config(Map.of("gate_port", 4000, "io_threads", 4)), 20000));
    }

    @Test
    public void maxClientsIsTheConfiguredValueAndTheOpenFileLimitsOneWhenThatIsLower() {
        assertEquals(List.of("max_clients 30000 (19669 allowed by the open-file limit)"), GateServer.changedInPlace(
                config(Map.of()), config(Map.of("max_clients", 30000)), 19669));
        assertEquals("20000 (19669 allowed by the open-file limit)", GateServer.maxClientsText(20000, 19669));
        assertEquals("500", GateServer.maxClientsText(500, 500));
    }

    @Test
    public void aNewListenerSaysWhatChangedAndCountsInWordsThatAgree() {
        assertEquals("; I/O threads changed from 2 to 4: the previous listener's 1 open connection is served until"
                + " it closes", GateServer.replaced("0.0.0.0:47358", 2, "0.0.0.0:47358", 4, 1));
        assertEquals("; moved from 0.0.0.0:3355: the previous listener's 2 open connections are served until they"
                + " close", GateServer.replaced("0.0.0.0:3355", 2, "127.0.0.1:4000", 2, 2));
        assertEquals("; moved from 0.0.0.0:3355 and I/O threads changed from 1 to 2: the previous listener had no"
                + " open connections", GateServer.replaced("0.0.0.0:3355", 1, "127.0.0.1:4000", 2, 0));
        assertEquals("1 I/O thread", GateServer.count(1, "I/O thread"));
        assertEquals("2 I/O threads", GateServer.count(2, "I/O thread"));
    }
}
