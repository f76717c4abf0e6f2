package org.kimserver.shell.internal;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Every bundle that is neither active nor (a fragment) resolved, with the reason: for one that does not resolve,
 * the requirements nothing provides; for one that did not start, why (its last start by {@link DeployInstaller}
 * or the framework's, which says so only in a FrameworkEvent ERROR); for one from deploy/ that
 * waits while fileinstall is blocked by another's activation, that. Bundles starting or stopping are
 * {@link ActivationWatch}'s: they are a problem only when that takes long, but one that had a problem keeps it
 * (and its time) while it is tried again.
 */
@Component(service = ProblemReporter.class)
public final class BundleProblems implements ProblemReporter {
    private final Sightings sightings = new Sightings(Clock.systemUTC());
    private BundleContext context;
    /** The reasons of the last look, by subject. */
    private Map<String, String> last = Map.of();

    @Reference
    private DeployInstaller installer;

    /** Why the framework could not start each bundle (by id) it started itself (a start level, a restart). */
    private final Map<Long, String> frameworkStartFailures = new ConcurrentHashMap<>();
    private final FrameworkListener startFailures = event -> {
        if (event.getType() == FrameworkEvent.ERROR && event.getBundle() != null
                && event.getBundle().getBundleId() != 0) {
            Throwable t = event.getThrowable();
            frameworkStartFailures.put(event.getBundle().getBundleId(), t == null ? "an error"
                    : t.getCause() == null ? String.valueOf(t.getMessage()) : t.getMessage() + ": " + t.getCause());
        }
    };

    @Activate
    void activate(BundleContext context) {
        this.context = context;
        context.addFrameworkListener(startFailures);
    }

    @Deactivate
    void deactivate() {
        context.removeFrameworkListener(startFailures);
    }

    @Override
    public synchronized List<Problem> problems() {
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        DeployInstaller.Operation blocking = installer.blocking();
        Map<String, String> found = new LinkedHashMap<>();
        for (Bundle b : context.getBundles()) {
            int state = b.getState();
            String subject = Diagnostics.subject(b);
            if (state == Bundle.STARTING || state == Bundle.STOPPING) {
                if (last.containsKey(subject)) {
                    found.put(subject, last.get(subject));
                }
                continue;
            }
            if (Diagnostics.isHealthy(b)) {
                frameworkStartFailures.remove(b.getBundleId());
                continue;
            }
            String reason;
            if (blocking != null && installer.fromDeploy(b) && blocking.bundle().getBundleId() != b.getBundleId()) {
                reason = "waits for fileinstall, which is blocked, " + blocking.describe();
            } else if (state == Bundle.INSTALLED) {
                reason = Diagnostics.unresolvedReason(b, wiring);
            } else {
                String failure = installer.startFailure(b);
                if (failure == null) {
                    failure = frameworkStartFailures.get(b.getBundleId());
                }
                reason = failure == null ? "not started" : "not started: " + failure;
            }
            found.put(subject, Diagnostics.stateName(state) + ": " + reason);
        }
        last = found;
        return sightings.look(found).problems();
    }
}
