package org.kimserver.supervisor.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.resource.Namespace;

/**
 * Whether bundles resolve in a worker before any worker gets them: the framework's own resolver, in a framework of
 * its own that is never started, with the worker's system bundles, the other modules of deploy/ and the new bundles
 * installed (by reference: nothing is copied). A bundle that does not resolve is named with each of its requirements
 * that nothing installed provides.
 */
final class ResolveCheck {
    private ResolveCheck() {
    }

    /**
     * Why {@code candidates} do not all resolve beside {@code system} and {@code others}, or null when they do.
     *
     * @param system     the jars a worker boots (system/)
     * @param others     the other jars the workers will run (deploy/)
     * @param candidates the new bundles, by what to call each in the answer
     * @param work       an empty folder for the framework's storage, deleted afterwards
     */
    static String unresolved(List<Path> system, List<Path> others, Map<String, Path> candidates, Path work)
            throws IOException {
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, FrameworkFactory.class.getClassLoader())
                .findFirst().orElseThrow(() -> new IllegalStateException("no OSGi framework to resolve with"));
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, work.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        // As a worker's framework is set up (Container): no packages from the class path but these.
        config.put("felix.bootdelegation.implicit", "false");
        config.put(Constants.FRAMEWORK_BOOTDELEGATION, "sun.*,jdk.jfr,jdk.jfr.*");
        // The process's own framework has the URL handlers; a second one must not take them over.
        config.put("felix.service.urlhandlers", "false");
        config.put("felix.log.level", "0");
        Framework framework = factory.newFramework(config);
        try {
            framework.init();
            BundleContext context = framework.getBundleContext();
            Set<Bundle> present = new HashSet<>();
            for (Path jar : system) {
                present.add(install(context, jar, "system/" + jar.getFileName()));
            }
            for (Path jar : others) {
                try {
                    present.add(install(context, jar, "deploy/" + jar.getFileName()));
                } catch (BundleException e) {
                    // Not the candidates' doing (a jar deleted meanwhile): the roll-out judges that jar itself.
                }
            }
            Map<Bundle, String> added = new LinkedHashMap<>();
            for (Map.Entry<String, Path> candidate : candidates.entrySet()) {
                Bundle bundle = install(context, candidate.getValue(), candidate.getKey());
                // One jar installed twice (the same artifact in two sets) is one bundle: its location is the same.
                if (added.containsKey(bundle) || present.contains(bundle)) {
                    throw new IOException(candidate.getKey() + ": the same bundle is in system/ or deploy/ already,"
                            + " leave it out (" + bundle.getSymbolicName() + " " + bundle.getVersion() + ", "
                            + bundle.getLocation() + ")");
                }
                added.put(bundle, candidate.getKey());
            }
            FrameworkWiring wiring = framework.adapt(FrameworkWiring.class);
            if (wiring.resolveBundles(null)) {
                return null;
            }
            List<String> problems = new ArrayList<>();
            added.forEach((bundle, name) -> {
                if (bundle.getState() == Bundle.INSTALLED) {
                    problems.add(name + " (" + bundle.getSymbolicName() + " " + bundle.getVersion() + ") "
                            + missing(bundle, wiring));
                }
            });
            return problems.isEmpty() ? null : String.join("; ", problems);
        } catch (BundleException e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            try {
                framework.stop();
                framework.waitForStop(10_000);
            } catch (BundleException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
            delete(work);
        }
    }

    private static Bundle install(BundleContext context, Path jar, String name) throws BundleException {
        try {
            return context.installBundle("reference:" + jar.toUri());
        } catch (BundleException e) {
            throw new BundleException(name + ": " + (e.getType() == BundleException.DUPLICATE_BUNDLE_ERROR
                    ? "the same bundle is in system/ or deploy/ already, leave it out (" + e.getMessage() + ")"
                    : e.getMessage()), e);
        }
    }

    /** Its mandatory requirements that nothing installed provides; or, when each has a provider, why that is not enough. */
    private static String missing(Bundle bundle, FrameworkWiring wiring) {
        List<String> missing = new ArrayList<>();
        for (BundleRequirement requirement : bundle.adapt(BundleRevision.class).getDeclaredRequirements(null)) {
            boolean optional = Namespace.RESOLUTION_OPTIONAL.equals(
                    requirement.getDirectives().get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE));
            if (!optional && wiring.findProviders(requirement).isEmpty()) {
                missing.add(requirement.getNamespace() + " " + requirement.getDirectives()
                        .getOrDefault(Namespace.REQUIREMENT_FILTER_DIRECTIVE, ""));
            }
        }
        return missing.isEmpty()
                ? "does not resolve, though something provides each of its requirements (a provider that does not"
                        + " resolve itself, or two versions of a package it would see at once)"
                : "does not resolve: nothing provides " + String.join(", ", missing);
    }

    private static void delete(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
