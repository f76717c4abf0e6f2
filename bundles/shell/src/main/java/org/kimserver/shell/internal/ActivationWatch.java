package org.kimserver.shell.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Activations that do not end: a component's activate (or modified, deactivate, constructor) or a bundle
 * activator's start or stop still running, and bundles STARTING or STOPPING, for more than {@link #LONG}. SCR and
 * the framework say nothing while such a call runs (and an activator that spins holds up every later deploy), so
 * the threads are sampled once a second for the frames where SCR and Felix make those calls; what runs past
 * {@link #LONG} is a problem naming the component or bundle, the code that runs and its thread, since the first
 * sample that saw it.
 */
@Component(service = {ProblemReporter.class, ActivationWatch.class}, immediate = true)
public final class ActivationWatch implements ProblemReporter {
    static final Duration LONG = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(ActivationWatch.class);

    @Reference
    private ServiceComponentRuntime scr;

    @Reference
    private DeployInstaller installer;

    private BundleContext context;
    private ScheduledExecutorService sampler;
    private final Clock clock = Clock.systemUTC();
    /** First sample that saw each call (by thread and frame) or bundle state (by bundle and state). */
    private Map<String, Instant> firstSeen = new HashMap<>();
    private volatile List<Problem> problems = List.of();
    /** What the last sample saw running, however briefly: bundle id to the call (or state), for the modules' states. */
    private volatile Map<Long, String> activating = Map.of();

    @Activate
    void activate(BundleContext context) {
        this.context = context;
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kimserver-activation-watch");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleWithFixedDelay(this::sample, 1, 1, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        sampler.shutdownNow();
    }

    @Override
    public List<Problem> problems() {
        return problems;
    }

    /**
     * What of the bundle the last sample (at most a second ago) saw still running: a component's activation or its
     * activator, or the bundle STARTING or STOPPING; null when nothing. A module is not serving while it activates.
     */
    String activating(Bundle bundle) {
        return activating.get(bundle.getBundleId());
    }

    /**
     * Every live platform thread. Their stacks are taken one thread at a time: Thread.getAllStackTraces() stops every
     * thread of the JVM at once (milliseconds with a few hundred threads, each second), the gate's network threads
     * included; one thread's stack stops only that thread, for as long as its own stack takes to read.
     */
    private static Thread[] platformThreads() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 64];
        int n = root.enumerate(threads, true);
        return Arrays.copyOf(threads, n);
    }

    private void sample() {
        try {
            Instant now = clock.instant();
            Map<String, Instant> seen = new HashMap<>();
            Map<String, String> reasons = new HashMap<>();
            Map<String, Instant> since = new HashMap<>();

            Map<Bundle, String> activatorCalls = new HashMap<>();
            Map<Long, String> running = new HashMap<>();
            for (Thread thread : platformThreads()) {
                RunningCall.in(thread.getStackTrace()).ifPresent(call -> {
                    String id = thread.threadId() + " " + call.frame();
                    Instant first = firstSeen.getOrDefault(id, now);
                    seen.put(id, first);
                    String runs = call.kind() + " " + call.frame() + " running since " + first;
                    for (long bundleId : bundlesOf(call)) {
                        running.putIfAbsent(bundleId, runs);
                    }
                    if (Duration.between(first, now).compareTo(LONG) < 0) {
                        return;
                    }
                    String what = call.kind() + " " + call.frame() + " has not returned, on thread \""
                            + thread.getName() + "\"";
                    Bundle activatorOf = call.kind().startsWith("BundleActivator") ? activatorBundle(call) : null;
                    if (activatorOf != null) {
                        activatorCalls.put(activatorOf, what);
                        since.merge(Diagnostics.subject(activatorOf), first, (a, b) -> a.isBefore(b) ? a : b);
                        return;
                    }
                    String subject = componentSubject(call, thread);
                    reasons.put(subject, what);
                    since.put(subject, first);
                });
            }
            for (Bundle b : context.getBundles()) {
                int state = b.getState();
                if (state != Bundle.STARTING && state != Bundle.STOPPING) {
                    continue;
                }
                String id = "bundle " + b.getBundleId() + " " + state;
                Instant first = firstSeen.getOrDefault(id, now);
                seen.put(id, first);
                running.putIfAbsent(b.getBundleId(), Diagnostics.stateName(state) + " since " + first);
                String call = activatorCalls.get(b);
                boolean lazy = Constants.ACTIVATION_LAZY.equals(b.getHeaders("").get(Constants.BUNDLE_ACTIVATIONPOLICY));
                if (call == null && (lazy || Duration.between(first, now).compareTo(LONG) < 0)) {
                    continue; // a lazy bundle waits in STARTING for its first class load, which is no problem
                }
                String subject = Diagnostics.subject(b);
                reasons.put(subject, Diagnostics.stateName(state) + (call == null ? " for more than "
                        + LONG.toSeconds() + " s" : ": " + call));
                since.merge(subject, first, (a, c) -> a.isBefore(c) ? a : c);
            }
            firstSeen = seen;
            activating = Map.copyOf(running);

            List<Problem> found = new ArrayList<>();
            reasons.forEach((subject, reason) -> found.add(new Problem(subject, reason, since.get(subject))));
            for (Problem p : found) {
                if (problems.stream().noneMatch(old -> old.subject().equals(p.subject()))) {
                    LOG.warn("{}: {} (since {})", p.subject(), p.reason(), p.since());
                }
            }
            problems = List.copyOf(found);
        } catch (RuntimeException e) {
            LOG.warn("sampling threads for activations that do not end failed", e);
        }
    }

    /** The bundles whose activator or component class the call runs in (several when a class name fits several). */
    private List<Long> bundlesOf(RunningCall call) {
        List<Long> ids = new ArrayList<>();
        if (call.kind().startsWith("BundleActivator")) {
            Bundle b = activatorBundle(call);
            if (b != null) {
                ids.add(b.getBundleId());
            }
            return ids;
        }
        for (ComponentDescriptionDTO desc : scr.getComponentDescriptionDTOs()) {
            if (call.className().equals(desc.implementationClass)) {
                ids.add(desc.bundle.id);
            }
        }
        return ids;
    }

    /** The bundle whose Bundle-Activator the call runs, or null. */
    private Bundle activatorBundle(RunningCall call) {
        for (Bundle b : context.getBundles()) {
            if (call.className().equals(b.getHeaders("").get(Constants.BUNDLE_ACTIVATOR))) {
                return b;
            }
        }
        return null;
    }

    /**
     * The component implemented by the class the call runs in, or the class when none is known. Bundles may have
     * component classes of the same name (module authors copy module-test): when the call runs on fileinstall's
     * thread while it starts or updates a bundle, it is that bundle's component; otherwise, when the name fits
     * several, it is "one of" them.
     */
    private String componentSubject(RunningCall call, Thread thread) {
        DeployInstaller.Operation op = installer.running();
        List<String> names = new ArrayList<>();
        List<String> ofTheBundleStarting = new ArrayList<>();
        for (ComponentDescriptionDTO desc : scr.getComponentDescriptionDTOs()) {
            if (call.className().equals(desc.implementationClass)) {
                names.add(ComponentProblems.subject(desc));
                if (op != null && op.thread() == thread && op.bundle().getBundleId() == desc.bundle.id) {
                    ofTheBundleStarting.add(ComponentProblems.subject(desc));
                }
            }
        }
        if (!ofTheBundleStarting.isEmpty()) {
            names = ofTheBundleStarting;
        }
        return names.isEmpty() ? "class " + call.className()
                : names.size() == 1 ? names.get(0) : "one of " + String.join(", ", names);
    }
}
