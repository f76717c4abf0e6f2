package org.kimserver.shell.internal;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Every bundle that is neither active nor (a fragment) resolved, with the reason: for one that does not resolve,
 * the requirements nothing provides. Bundles starting or stopping are {@link ActivationWatch}'s: they are a
 * problem only when that takes long.
 */
@Component(service = ProblemReporter.class)
public final class BundleProblems implements ProblemReporter {
    private final Sightings sightings = new Sightings(Clock.systemUTC());
    private BundleContext context;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    @Override
    public List<Problem> problems() {
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        Map<String, String> found = new LinkedHashMap<>();
        for (Bundle b : context.getBundles()) {
            int state = b.getState();
            if (Diagnostics.isHealthy(b) || state == Bundle.STARTING || state == Bundle.STOPPING) {
                continue;
            }
            found.put(Diagnostics.subject(b), Diagnostics.stateName(state) + ": "
                    + (state == Bundle.INSTALLED ? Diagnostics.unresolvedReason(b, wiring) : "not started"));
        }
        return sightings.look(found).problems();
    }
}
