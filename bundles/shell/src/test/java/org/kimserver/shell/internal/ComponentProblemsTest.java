package org.kimserver.shell.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import org.junit.Test;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

public class ComponentProblemsTest {
    private static ComponentConfigurationDTO inState(int state) {
        ComponentConfigurationDTO config = new ComponentConfigurationDTO();
        config.state = state;
        return config;
    }

    @Test
    public void aConfigurationStillBeingEnabledReadsAsDisabled() {
        // Felix SCR enables a description's configurations asynchronously; until it has, they report -1.
        assertEquals("disabled", ComponentProblems.reason(new ComponentDescriptionDTO(), inState(-1)));
    }

    @Test
    public void satisfiedAndActiveConfigurationsHaveNoReason() {
        assertNull(ComponentProblems.reason(new ComponentDescriptionDTO(),
                inState(ComponentConfigurationDTO.SATISFIED)));
        assertNull(ComponentProblems.reason(new ComponentDescriptionDTO(), inState(ComponentConfigurationDTO.ACTIVE)));
    }
}
