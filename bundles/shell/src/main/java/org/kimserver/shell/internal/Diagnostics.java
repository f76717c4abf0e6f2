package org.kimserver.shell.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.resource.Namespace;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

/** What is not running and why: bundles that are not active, components that are not satisfied. */
final class Diagnostics {

    private Diagnostics() {
    }

    static boolean isFragment(Bundle bundle) {
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        return revision != null && (revision.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    /** A bundle is healthy when ACTIVE, or RESOLVED for a fragment. */
    static boolean isHealthy(Bundle bundle) {
        return isFragment(bundle) ? bundle.getState() == Bundle.RESOLVED : bundle.getState() == Bundle.ACTIVE;
    }

    /** One line for each bundle that is not healthy, with the reason. */
    static List<String> bundleProblems(BundleContext context) {
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        List<String> problems = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (isHealthy(b)) {
                continue;
            }
            String what = "bundle " + b.getBundleId() + " " + b.getSymbolicName() + " " + b.getVersion() + " is "
                    + stateName(b.getState());
            String why = b.getState() == Bundle.INSTALLED ? unresolvedReason(b, wiring) : "not started";
            problems.add(what + ": " + why);
        }
        return problems;
    }

    /** The mandatory requirements nothing in the framework provides. */
    private static String unresolvedReason(Bundle bundle, FrameworkWiring wiring) {
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

    /** One line for each component configuration that is not satisfied or active, with the reason. */
    static List<String> componentProblems(ServiceComponentRuntime scr) {
        List<String> problems = new ArrayList<>();
        for (ComponentDescriptionDTO desc : scr.getComponentDescriptionDTOs()) {
            String name = "component " + desc.name + " (bundle " + desc.bundle.symbolicName + ")";
            if (!scr.isComponentEnabled(desc)) {
                problems.add(name + ": disabled");
                continue;
            }
            for (ComponentConfigurationDTO config : scr.getComponentConfigurationDTOs(desc)) {
                switch (config.state) {
                    case ComponentConfigurationDTO.SATISFIED, ComponentConfigurationDTO.ACTIVE -> { }
                    case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION ->
                            problems.add(name + ": waiting for configuration " + String.join(", ",
                                    desc.configurationPid));
                    case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> {
                        List<String> refs = new ArrayList<>();
                        for (UnsatisfiedReferenceDTO ref : config.unsatisfiedReferences) {
                            refs.add(ref.name + (ref.target == null ? "" : " " + ref.target));
                        }
                        problems.add(name + ": unsatisfied reference " + String.join(", ", refs));
                    }
                    case ComponentConfigurationDTO.FAILED_ACTIVATION ->
                            problems.add(name + ": failed to activate: " + firstLine(config.failure));
                    default -> problems.add(name + ": state " + config.state);
                }
            }
        }
        return problems;
    }

    private static String firstLine(String text) {
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
