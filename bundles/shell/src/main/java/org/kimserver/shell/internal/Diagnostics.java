package org.kimserver.shell.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.resource.Namespace;

/** What the problem reporters of this bundle share about bundles. */
final class Diagnostics {

    private Diagnostics() {
    }

    static boolean isFragment(Bundle bundle) {
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        return revision != null && (revision.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    /** A bundle is healthy when ACTIVE, RESOLVED for a fragment, or RESOLVED and not meant to be started. */
    static boolean isHealthy(Bundle bundle) {
        if (isFragment(bundle)) {
            return bundle.getState() == Bundle.RESOLVED;
        }
        // Resolved and never asked to start is as meant: a bundle a role installs for its packages only (level 0 of
        // system/<role>.bundles), or one an operator stopped. So is one whose start level the framework has not
        // reached yet (a worker's fileinstall, the last level, during its start). A start that failed leaves the
        // bundle marked started.
        BundleStartLevel level = bundle.adapt(BundleStartLevel.class);
        return bundle.getState() == Bundle.ACTIVE || bundle.getState() == Bundle.RESOLVED
                && (!level.isPersistentlyStarted() || level.getStartLevel() > frameworkStartLevel());
    }

    /** The framework's active start level. */
    private static int frameworkStartLevel() {
        return FrameworkUtil.getBundle(Diagnostics.class).getBundleContext().getBundle(Constants.SYSTEM_BUNDLE_ID)
                .adapt(FrameworkStartLevel.class).getStartLevel();
    }

    /** The subject naming a bundle in problems: "bundle 42 org.example.mymodule 1.0.1". */
    static String subject(Bundle b) {
        return "bundle " + b.getBundleId() + " " + b.getSymbolicName() + " " + b.getVersion();
    }

    /** The mandatory requirements nothing in the framework provides. */
    static String unresolvedReason(Bundle bundle, FrameworkWiring wiring) {
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        if (revision == null) {
            return "no revision (uninstalled?)";
        }
        List<String> missing = new ArrayList<>();
        for (BundleRequirement req : revision.getDeclaredRequirements(null)) {
            Map<String, String> directives = req.getDirectives();
            if (Namespace.RESOLUTION_OPTIONAL.equals(directives.get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE))
                    || PackageNamespace.RESOLUTION_DYNAMIC.equals(
                            directives.get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE))) {
                continue;
            }
            if (wiring.findProviders(req).isEmpty()) {
                missing.add(req.getNamespace() + " " + directives.getOrDefault("filter", ""));
            }
        }
        return missing.isEmpty() ? "not resolved (its requirements exist but conflict; see the log)"
                : "missing requirement " + String.join(", ", missing);
    }

    static String firstLine(String text) {
        if (text == null) {
            return "no reason given";
        }
        int end = text.indexOf('\n');
        return (end < 0 ? text : text.substring(0, end)).trim();
    }

    static String stateName(int state) {
        return switch (state) {
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "state " + state;
        };
    }
}
