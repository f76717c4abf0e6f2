package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;
import org.kimserver.config.ConfigKey;
import org.kimserver.config.ConfigSchema;

/**
 * GateConfig is an annotation, so its defaults must be constants and cannot come from the schema: this test holds
 * it to {@link ConfigSchema}, the one declaration of the keys, so that the gate never runs with a default the
 * validator and the README do not know.
 */
public class GateConfigSchemaTest {

    private static Method method(String name) {
        for (Method m : GateConfig.class.getDeclaredMethods()) {
            if (m.getName().equals(name)) {
                return m;
            }
        }
        return null;
    }

    @Test
    public void everyGateKeyHasAMethodOfTheSameNameTypeAndDefault() {
        List<String> drift = new ArrayList<>();
        for (ConfigKey key : ConfigSchema.keysOf(ConfigSchema.GATE_PID)) {
            Method m = method(key.name());
            if (m == null) {
                drift.add(key.name() + ": no method");
                continue;
            }
            if (m.getReturnType() != key.type().javaType()) {
                drift.add(key.name() + ": returns " + m.getReturnType() + ", the schema says " + key.type().javaType());
            }
            Object declared = m.getDefaultValue();
            if (key.required() && declared != null) {
                drift.add(key.name() + ": required, but the method has default " + declared);
            } else if (!key.required() && !key.defaultValue().equals(declared)) {
                drift.add(key.name() + ": default " + declared + ", the schema says " + key.defaultValue());
            }
        }
        assertEquals(List.of(), drift);
    }

    @Test
    public void noMethodLacksAKey() {
        for (Method m : GateConfig.class.getDeclaredMethods()) {
            ConfigKey key = ConfigSchema.key(m.getName());
            assertNotNull(key);
            assertEquals(m.getName(), ConfigSchema.GATE_PID, key.pid());
        }
    }
}
