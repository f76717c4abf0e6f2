package org.kimserver.supervisor.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;
import org.kimserver.config.ConfigKey;
import org.kimserver.config.ConfigSchema;

/**
 * SupervisorConfig's defaults are constants of an annotation: this test holds each to {@link ConfigSchema}, so the
 * supervisor never runs with a default the validator and the README do not know.
 */
public class SupervisorConfigSchemaTest {

    @Test
    public void everyMethodIsASchemaKeyOfTheServerOrGatePidWithItsTypeAndDefault() {
        for (Method m : SupervisorConfig.class.getDeclaredMethods()) {
            ConfigKey key = ConfigSchema.key(m.getName());
            assertTrue(m.getName() + " is in a PID the component reads", List.of(ConfigSchema.SERVER_PID,
                    ConfigSchema.GATE_PID).contains(key.pid()));
            assertEquals(m.getName(), key.type().javaType(), m.getReturnType());
            Object declared = m.getDefaultValue();
            if (declared instanceof String[] array) {
                assertTrue(m.getName(), Arrays.equals((String[]) key.defaultValue(), array));
            } else {
                assertEquals(m.getName(), key.defaultValue(), declared);
            }
        }
    }
}
