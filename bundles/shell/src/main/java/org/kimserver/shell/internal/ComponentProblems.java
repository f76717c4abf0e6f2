package org.kimserver.shell.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.osgi.framework.Bundle;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

/**
 * Every component that is disabled or not satisfied, with the reason: the configuration it waits for, its
 * missing references, or the exception its activation threw.
 */
@Component(service = ProblemReporter.class)
public final class ComponentProblems implements ProblemReporter {
    /**
     * How long a component must stay disabled to be a problem: SCR shows every component of a bundle disabled for a
     * moment while the bundle starts or stops (a module deployed as the worker comes up), which is nothing wrong; so
     * are the configurations of a description it has enabled and not yet got round to.
     */
    static final Duration DISABLED_FOR = Duration.ofSeconds(2);
    private static final String DISABLED = "disabled";
    /** Felix SCR's state of a configuration whose description it is still enabling (it does so asynchronously). */
    private static final int BEING_ENABLED = -1;
    private final Clock clock = Clock.systemUTC();
    private final Sightings sightings = new Sightings(clock);

    @Reference
    private ServiceComponentRuntime scr;

    /** The subject naming a component in problems. */
    static String subject(ComponentDescriptionDTO desc) {
        return "component " + desc.name + " (bundle " + desc.bundle.symbolicName + ")";
    }

    /** Why the component's configuration does not serve, or null when it is satisfied or active. */
    static String reason(ComponentDescriptionDTO desc, ComponentConfigurationDTO config) {
        return switch (config.state) {
            case ComponentConfigurationDTO.SATISFIED, ComponentConfigurationDTO.ACTIVE -> null;
            case BEING_ENABLED -> DISABLED;
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION ->
                    "waiting for configuration " + String.join(", ", desc.configurationPid);
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> {
                List<String> refs = new ArrayList<>();
                for (UnsatisfiedReferenceDTO ref : config.unsatisfiedReferences) {
                    refs.add(ref.name + (ref.target == null ? "" : " " + ref.target));
                }
                yield "unsatisfied reference " + String.join(", ", refs);
            }
            case ComponentConfigurationDTO.FAILED_ACTIVATION ->
                    "failed to activate: " + Diagnostics.firstLine(config.failure);
            default -> "state " + config.state;
        };
    }

    /** Why the enabled components of the bundle do not serve ("component x unsatisfied reference y"); empty if they do. */
    static List<String> reasonsOf(ServiceComponentRuntime scr, Bundle bundle) {
        List<String> reasons = new ArrayList<>();
        for (ComponentDescriptionDTO desc : scr.getComponentDescriptionDTOs(bundle)) {
            if (!scr.isComponentEnabled(desc)) {
                continue; // disabled by its author, or from the shell: not a failure of this version
            }
            for (ComponentConfigurationDTO config : scr.getComponentConfigurationDTOs(desc)) {
                String reason = reason(desc, config);
                if (reason != null) {
                    reasons.add("component " + desc.name + " " + reason);
                }
            }
        }
        return reasons;
    }

    @Override
    public List<Problem> problems() {
        Map<String, String> found = new LinkedHashMap<>();
        for (ComponentDescriptionDTO desc : scr.getComponentDescriptionDTOs()) {
            String subject = subject(desc);
            if (!scr.isComponentEnabled(desc)) {
                found.put(subject, DISABLED);
                continue;
            }
            for (ComponentConfigurationDTO config : scr.getComponentConfigurationDTOs(desc)) {
                String reason = reason(desc, config);
                if (reason != null) {
                    found.merge(subject, reason, (a, b) -> a.equals(b) ? a : a + "; " + b);
                }
            }
        }
        Instant disabledBefore = clock.instant().minus(DISABLED_FOR);
        return sightings.look(found).problems().stream()
                .filter(p -> !p.reason().equals(DISABLED) || !p.since().isAfter(disabledBefore)).toList();
    }
}
