package org.kimserver.config.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.Method;
import java.util.Locale;
import org.apache.felix.service.command.Descriptor;
import org.junit.Test;
import org.kimserver.config.LogLevel;

public class LogLevelCommandTest {

    @Test
    public void everyFormIsDescribedAndTheLevelParameterNamesEveryLevel() {
        int forms = 0;
        for (Method m : LogLevelCommand.class.getMethods()) {
            if (!m.getName().equals("loglevel")) {
                continue;
            }
            forms++;
            assertTrue(m + " has a description for help", m.isAnnotationPresent(Descriptor.class));
            if (m.getParameterCount() > 0) {
                String level = ((Descriptor) m.getParameterAnnotations()[0][0]).value();
                for (LogLevel l : LogLevel.values()) {
                    assertTrue(level + " names " + l, level.contains(l.name().toLowerCase(Locale.ROOT)));
                }
            }
        }
        assertEquals(3, forms);
    }
}
