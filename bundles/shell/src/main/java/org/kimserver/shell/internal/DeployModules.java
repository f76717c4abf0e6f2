package org.kimserver.shell.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.kimserver.api.diag.ModuleDiagnostics;
import org.kimserver.api.diag.ModuleState;
import org.kimserver.shell.deploy.DeployJar;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * The modules of the deploy folder as {@link ModuleState}s: what a worker tells its manager, which rolls a change
 * of deploy/ on to the next worker only once the first serves it.
 */
@Component(service = ModuleDiagnostics.class)
public final class DeployModules implements ModuleDiagnostics {
    @Reference
    private DeployInstaller installer;

    @Reference
    private ServiceComponentRuntime scr;

    @Reference
    private ActivationWatch activations;

    private BundleContext context;
    /** The digests of refused jars, by path, with the size and time they were taken at: read once per version. */
    private final Map<Path, Digested> refusedDigests = new ConcurrentHashMap<>();

    private record Digested(long size, FileTime modified, String digest) {
    }

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    @Override
    public List<ModuleState> modules() {
        Map<String, ModuleState> byFile = new TreeMap<>();
        Bundle[] bundles = context.getBundles();
        // Oldest first, so that of two bundles of one jar (a new version starting beside the one serving) the new
        // one is shown: the change the manager waits for.
        Arrays.sort(bundles, Comparator.comparingLong(Bundle::getBundleId));
        for (Bundle b : bundles) {
            if (installer.fromDeploy(b)) {
                String file = DeployInstaller.fileName(b);
                String problem = problem(b);
                DeployInstaller.Operation op = installer.running();
                // Its start (SCR activates its components inside it) or refresh has not returned: not serving yet.
                String activating = op != null && op.bundle().getBundleId() == b.getBundleId()
                        ? op.what() + " since " + op.since() : activations.activating(b);
                // A module whose activation still runs does not serve yet, however its components look.
                String state = problem != null ? ModuleState.FAILED : activating != null ? ModuleState.PENDING
                        : serving(b) ? ModuleState.SERVING : ModuleState.PENDING;
                byFile.put(file, new ModuleState(file, installer.rememberedDigest(b), b.getSymbolicName(),
                        b.getVersion().toString(), state, problem != null ? problem : activating == null ? null
                        : "activating: " + activating));
            }
        }
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(installer.folder(), "*.jar")) {
            for (Path jar : jars) {
                String file = jar.getFileName().toString();
                String refusal = installer.refusal(file);
                if (refusal != null) {
                    byFile.put(file, new ModuleState(file, refusedDigest(jar), "", "", ModuleState.FAILED, refusal));
                } else {
                    byFile.putIfAbsent(file, new ModuleState(file, "", "", "", ModuleState.PENDING, null));
                }
            }
        } catch (IOException e) {
            // no folder yet: only the installed bundles
        }
        return List.copyOf(byFile.values());
    }

    private static boolean serving(Bundle bundle) {
        return Diagnostics.isFragment(bundle) ? bundle.getState() == Bundle.RESOLVED
                : bundle.getState() == Bundle.ACTIVE;
    }

    /** Why the bundle does not serve: its start failed, it was stopped, or one of its components does not serve. */
    private String problem(Bundle bundle) {
        String startFailure = installer.startFailure(bundle);
        if (startFailure != null) {
            return startFailure;
        }
        if (Diagnostics.isFragment(bundle) || bundle.getState() == Bundle.UNINSTALLED) {
            return null;
        }
        if (bundle.getState() != Bundle.ACTIVE) {
            return bundle.adapt(BundleStartLevel.class).isPersistentlyStarted() ? null : "stopped";
        }
        List<String> reasons = ComponentProblems.reasonsOf(scr, bundle);
        return reasons.isEmpty() ? null : String.join("; ", reasons);
    }

    private String refusedDigest(Path jar) {
        try {
            long size = Files.size(jar);
            FileTime modified = Files.getLastModifiedTime(jar);
            Digested known = refusedDigests.get(jar);
            if (known == null || known.size() != size || !known.modified().equals(modified)) {
                known = new Digested(size, modified, DeployJar.digest(jar));
                refusedDigests.put(jar, known);
            }
            return known.digest();
        } catch (IOException e) {
            return "";
        }
    }
}
