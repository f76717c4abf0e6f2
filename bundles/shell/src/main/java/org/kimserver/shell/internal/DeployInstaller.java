package org.kimserver.shell.internal;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.felix.fileinstall.ArtifactInstaller;
import org.kimserver.shell.deploy.DeployJar;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs, updates and uninstalls the bundles of the jars in {@code deploy/}, for fileinstall, which only watches
 * the folder and hands each jar there to this installer (its whiteboard asks the registered installers before its
 * own bundle handling, and keeps asking the one that took a jar about every later change of it).
 *
 * <p>fileinstall's own handling does two harmful things this one does not: a jar with the symbolic name and version
 * of a bundle installed from elsewhere (a copy of a system jar) updates that bundle, and deleting the copy then
 * uninstalls it, taking the server down; and a jar overwritten by a broken or half-written one uninstalls or breaks
 * the running module. Here such a jar changes nothing: it is refused, logged once, and the bundle already running
 * keeps running ({@link DeployFolderProblems} reports it). A jar that is a valid bundle replaces the running version
 * at once: a copy in progress is not a valid zip (its central directory is written last).
 *
 * <p>A new version of a module is installed and started beside the one running, which serves its commands until
 * the new one has started (the gate prefers the handler of the higher version of a bundle) and is uninstalled
 * only then: an update leaves no moment without a handler, however long the new version takes to start. If the new
 * version does not serve (it does not start, or a component of it is unsatisfied or failed to activate), the previous
 * one goes on serving beside it until the new one serves or the jar changes again; a jar that brings
 * back the bytes of that previous version (a roll-back) only removes the one that failed. A jar of the same version
 * (a rebuild), or of a fragment, updates the bundle in place: the gate holds the requests for its commands meanwhile
 * ({@code handler_grace_ms}).
 */
@Component(service = {ArtifactInstaller.class, DeployInstaller.class})
public final class DeployInstaller implements ArtifactInstaller {
    private static final Logger LOG = LoggerFactory.getLogger(DeployInstaller.class);
    /** How long an install, update or uninstall waits for the framework to refresh the bundles wired to it. */
    private static final long REFRESH_SECONDS = 60;

    @Reference
    private ServiceComponentRuntime scr;

    private BundleContext context;
    private Path deploy;
    /** The jars refused because they are a bundle of the system, by file name: the reason. */
    private final Map<String, String> refusals = new ConcurrentHashMap<>();
    /** Why the last start of each bundle (by id) failed; gone once it starts or is uninstalled. */
    private final Map<Long, String> startFailures = new ConcurrentHashMap<>();
    /** What this installer is doing to a bundle now, on fileinstall's thread; null between changes. */
    private volatile Operation running;

    /**
     * A change of a bundle in progress: while it runs, fileinstall handles nothing else in deploy/.
     *
     * @param what   "starting", "updating" or "refreshing"
     * @param file   the jar in deploy/ it is for
     * @param bundle the bundle
     * @param thread fileinstall's thread, which runs it
     * @param since  when it began
     */
    record Operation(String what, String file, Bundle bundle, Thread thread, Instant since) {
        /** "starting bundle 41 atk.spin 1.0.0 (deploy/spin.jar) since ..., which has not returned". */
        String describe() {
            return what + " " + Diagnostics.subject(bundle) + " (deploy/" + file + ") since " + since
                    + ", which has not returned";
        }
    }

    @Activate
    void activate(BundleContext context) {
        this.context = context;
        // fileinstall's folder: deploy/, or in a worker the copy of it its manager keeps for it (the manager rolls
        // changes of deploy/ out to one worker after another).
        deploy = Path.of(String.valueOf(context.getProperty("felix.fileinstall.dir"))).toAbsolutePath().normalize();
    }

    /** The folder this installer deploys. */
    Path folder() {
        return deploy;
    }

    /** Every jar in deploy/, present or just deleted (its uninstall comes here too). */
    @Override
    public boolean canHandle(File artifact) {
        Path file = artifact.toPath().toAbsolutePath().normalize();
        return deploy.equals(file.getParent()) && file.getFileName().toString().endsWith(".jar");
    }

    @Override
    public void install(File artifact) {
        deploy(artifact);
    }

    @Override
    public void update(File artifact) {
        deploy(artifact);
    }

    @Override
    public void uninstall(File artifact) {
        String name = artifact.getName();
        refusals.remove(name);
        List<Bundle> bundles = installedFrom(artifact);
        if (bundles.isEmpty()) {
            return;
        }
        for (Bundle bundle : bundles) {
            LOG.info("deploy/{} removed: uninstalling {}", name, Diagnostics.subject(bundle));
        }
        refresh(uninstall(bundles, name), name);
        startWaitingBundles();
    }

    /** The change in progress, or null. */
    Operation running() {
        return running;
    }

    /**
     * What holds fileinstall up: a change that has run for more than {@link ActivationWatch#LONG} (an activation
     * that does not return), or null.
     */
    Operation blocking() {
        Operation op = running;
        return op == null || Duration.between(op.since(), Instant.now()).compareTo(ActivationWatch.LONG) < 0 ? null
                : op;
    }

    /** Why the last start of the bundle from deploy/ failed, or null. */
    String startFailure(Bundle bundle) {
        return startFailures.get(bundle.getBundleId());
    }

    /**
     * Why a jar in deploy/ was refused although it is a valid bundle (it is a bundle of the system, or the framework
     * would not install it: the same symbolic name and version as another), or null.
     */
    String refusal(String fileName) {
        return refusals.get(fileName);
    }

    /** Installs the jar's bundle, or updates the one installed from it, unless the jar is refused. */
    private void deploy(File artifact) {
        String name = artifact.getName();
        DeployJar jar = DeployJar.read(artifact.toPath());
        List<Bundle> installed = installedFrom(artifact);
        Bundle current = installed.isEmpty() ? null : installed.getLast();
        if (jar.defect() != null) {
            refusals.remove(name);
            // Logged once by DeployFolderProblems, which also says that the bundle keeps running.
            LOG.debug("deploy/{} left alone: {}", name, jar.defect());
            return;
        }
        Bundle system = systemTwin(jar);
        if (system != null) {
            String reason = "not installed: it is " + Diagnostics.subject(system) + " of the system (from "
                    + system.getLocation() + "); remove it";
            if (!reason.equals(refusals.put(name, reason))) {
                LOG.warn("deploy/{}: {}", name, reason);
            }
            return;
        }
        refusals.remove(name);
        try {
            String digest = DeployJar.digest(artifact.toPath());
            if (current == null) {
                Bundle first;
                try (InputStream in = Files.newInputStream(artifact.toPath())) {
                    first = context.installBundle(location(artifact), in);
                }
                rememberDigest(first, digest);
                LOG.info("deploy/{}: installed {}", name, Diagnostics.subject(first));
                start(first, name);
            } else if (!digest.equals(rememberedDigest(current))) {
                Bundle previous = withDigest(installed, digest);
                if (previous != null) {
                    backTo(previous, installed, name);
                } else if (!Diagnostics.isFragment(current) && jar.symbolicName().equals(current.getSymbolicName())
                        && !installedAlready(jar)) {
                    installBeside(installed, artifact, digest);
                } else {
                    updateInPlace(current, artifact, digest);
                }
            }
        } catch (BundleException | IOException | IllegalStateException e) {
            if (current == null) {
                // Kept as a refusal, so that the folder's problems and the module's state say why.
                refusals.put(name, "not installed: " + e.getMessage());
                LOG.warn("deploy/{}: not installed: {}", name, e.getMessage());
            } else {
                // A failed update leaves the bundle on the revision it had: it serves on.
                LOG.warn("deploy/{}: not updated: {}; {} keeps running the version installed before", name,
                        e.getMessage(), Diagnostics.subject(current));
                start(current, name);
            }
        }
        startWaitingBundles();
    }

    /**
     * Installs the jar's version beside the bundles installed from it and starts it; once it has started, they are
     * uninstalled. If it does not start, the one serving now goes on serving, and earlier versions that did not
     * start either go.
     */
    private void installBeside(List<Bundle> installed, File artifact, String digest)
            throws BundleException, IOException {
        String name = artifact.getName();
        Bundle next;
        try (InputStream in = Files.newInputStream(artifact.toPath())) {
            // A location of its own: the framework keeps one bundle per location.
            next = context.installBundle(location(artifact) + "#" + digest, in);
        }
        rememberDigest(next, digest);
        LOG.info("deploy/{}: installed {} beside {}, which serves until it has started", name,
                Diagnostics.subject(next), Diagnostics.subject(installed.getLast()));
        String failure = tryStart(next, name);
        if (failure == null) {
            List<String> components = ComponentProblems.reasonsOf(scr, next);
            if (components.isEmpty()) {
                LOG.info("deploy/{}: {} serves; uninstalling the version it replaces", name,
                        Diagnostics.subject(next));
                refresh(uninstall(installed, name), name);
                return;
            }
            failure = "started, but " + String.join("; ", components);
        }
        List<Bundle> failed = installed.stream().filter(b -> !serving(b)).toList();
        LOG.warn("deploy/{}: {} does not serve: {}; {}", name, Diagnostics.subject(next), failure,
                failed.size() < installed.size() ? "the version installed before goes on serving beside it"
                        : "nothing installed before serves either");
        refresh(uninstall(failed, name), name);
    }

    /** The jar is the one a bundle installed from it still runs (a roll-back): the others go. */
    private void backTo(Bundle previous, List<Bundle> installed, String name) {
        List<Bundle> others = installed.stream().filter(b -> b != previous).toList();
        LOG.info("deploy/{}: back to {}, still installed; uninstalling {}", name, Diagnostics.subject(previous),
                others.stream().map(Diagnostics::subject).toList());
        start(previous, name);
        refresh(uninstall(others, name), name);
    }

    /** Replaces the bundle's revision; its commands have no handler until it has started again. */
    private void updateInPlace(Bundle current, File artifact, String digest) throws BundleException, IOException {
        String name = artifact.getName();
        String before = Diagnostics.subject(current);
        running = new Operation("updating", name, current, Thread.currentThread(), Instant.now());
        try (InputStream in = Files.newInputStream(artifact.toPath())) {
            // Stopped transiently first, so that it starts once, after the refresh, not also in between.
            if (!Diagnostics.isFragment(current)) {
                current.stop(Bundle.STOP_TRANSIENT);
            }
            current.update(in);
        } finally {
            running = null;
        }
        rememberDigest(current, digest);
        LOG.info("deploy/{}: updated {} to version {}", name, before, current.getVersion());
        refresh(List.of(current), name);
        start(current, name);
    }

    /** Uninstalls the bundles; those it could uninstall, to be refreshed. */
    private List<Bundle> uninstall(List<Bundle> bundles, String name) {
        List<Bundle> gone = new ArrayList<>();
        for (Bundle bundle : bundles) {
            try {
                bundle.uninstall();
                startFailures.remove(bundle.getBundleId());
                forgetDigest(bundle);
                gone.add(bundle);
            } catch (BundleException | IllegalStateException e) {
                LOG.warn("deploy/{}: cannot uninstall {}: {}", name, Diagnostics.subject(bundle), e.getMessage());
            }
        }
        return gone;
    }

    /**
     * Whether the bundle runs (a lazily activated one waits in STARTING) with every component of it satisfied or
     * active, or, a fragment, is resolved.
     */
    private boolean serving(Bundle bundle) {
        return Diagnostics.isFragment(bundle) ? bundle.getState() == Bundle.RESOLVED
                : (bundle.getState() == Bundle.ACTIVE || bundle.getState() == Bundle.STARTING)
                        && ComponentProblems.reasonsOf(scr, bundle).isEmpty();
    }

    /** The one of the bundles that was installed from these bytes, or null. */
    private Bundle withDigest(List<Bundle> bundles, String digest) {
        return bundles.stream().filter(b -> digest.equals(rememberedDigest(b))).findFirst().orElse(null);
    }

    /** Whether a bundle with the jar's symbolic name and version is installed: the framework would refuse another. */
    private boolean installedAlready(DeployJar jar) {
        for (Bundle b : context.getBundles()) {
            if (jar.symbolicName().equals(b.getSymbolicName()) && jar.version().equals(b.getVersion())) {
                return true;
            }
        }
        return false;
    }

    /** A bundle not installed from deploy/ with the jar's symbolic name and version, or null. */
    private Bundle systemTwin(DeployJar jar) {
        for (Bundle b : context.getBundles()) {
            if (jar.symbolicName().equals(b.getSymbolicName()) && jar.version().equals(b.getVersion())
                    && !fromDeploy(b)) {
                return b;
            }
        }
        return null;
    }

    /** The file name of the jar a bundle from deploy/ was installed from. */
    static String fileName(Bundle bundle) {
        Path jar = jarOf(bundle.getLocation());
        return jar != null ? jar.getFileName().toString() // decoded: "x y.jar", not "x%20y.jar"
                : bundle.getLocation().substring(bundle.getLocation().lastIndexOf('/') + 1);
    }

    /**
     * The file a bundle location of fileinstall or of this installer names, or null. A version installed beside
     * another has the jar's location with "#" and its digest: a '#' in a file name is "%23" in a file URI.
     */
    static Path jarOf(String location) {
        if (!location.startsWith("file:")) {
            return null;
        }
        int mark = location.indexOf('#');
        try {
            return Path.of(URI.create(mark < 0 ? location : location.substring(0, mark))).toAbsolutePath().normalize();
        } catch (IllegalArgumentException | FileSystemNotFoundException e) {
            return null;
        }
    }

    /** Whether the bundle was installed from a jar in deploy/ (by this installer, or by fileinstall before). */
    boolean fromDeploy(Bundle bundle) {
        Path jar = jarOf(bundle.getLocation());
        return jar != null && deploy.equals(jar.getParent());
    }

    /**
     * The bundles installed from the jar, oldest first: one, or while a new version starts beside the one it
     * replaces, two (the framework keeps its bundles in the order of their ids).
     */
    private List<Bundle> installedFrom(File artifact) {
        Path file = artifact.toPath().toAbsolutePath().normalize();
        return Arrays.stream(context.getBundles()).filter(b -> file.equals(jarOf(b.getLocation())))
                .sorted(Comparator.comparingLong(Bundle::getBundleId)).toList();
    }

    /** The location fileinstall gave the bundles it installed: the jar's URI as java.io.File makes it. */
    private static String location(File artifact) {
        return artifact.getAbsoluteFile().toURI().normalize().toString();
    }

    private void start(Bundle bundle, String fileName) {
        if (Diagnostics.isFragment(bundle) || bundle.getState() == Bundle.ACTIVE) {
            return;
        }
        String failure = tryStart(bundle, fileName);
        if (failure != null) {
            LOG.warn("deploy/{}: {} is installed but not started: {}", fileName, Diagnostics.subject(bundle),
                    failure);
        }
    }

    /** Starts the bundle, remembering why it failed; that reason, or null when it started. */
    private String tryStart(Bundle bundle, String fileName) {
        running = new Operation("starting", fileName, bundle, Thread.currentThread(), Instant.now());
        try {
            bundle.start(Bundle.START_ACTIVATION_POLICY);
            startFailures.remove(bundle.getBundleId());
            return null;
        } catch (BundleException | IllegalStateException e) {
            String reason = e.getCause() == null ? e.getMessage() : e.getMessage() + ": " + e.getCause();
            startFailures.put(bundle.getBundleId(), reason);
            return reason;
        } finally {
            running = null;
        }
    }

    /**
     * Starts again every bundle from deploy/ that was started but is not running (one that did not resolve may
     * now that another jar came or went), as fileinstall did after each change.
     */
    private void startWaitingBundles() {
        for (Bundle b : context.getBundles()) {
            if (fromDeploy(b) && (b.getState() == Bundle.INSTALLED || b.getState() == Bundle.RESOLVED)
                    && !Diagnostics.isFragment(b) && b.adapt(BundleStartLevel.class).isPersistentlyStarted()) {
                String failure = tryStart(b, fileName(b));
                if (failure != null) {
                    LOG.debug("{} still does not start: {}", Diagnostics.subject(b), failure);
                }
            }
        }
        retireReplaced();
    }

    /**
     * Uninstalls the versions kept serving beside a newer one of their jar that did not serve then and does now (a
     * bundle it needed came, say).
     */
    private void retireReplaced() {
        for (Bundle b : context.getBundles()) {
            Path jar = jarOf(b.getLocation());
            if (jar == null || !fromDeploy(b)) {
                continue;
            }
            List<Bundle> versions = installedFrom(jar.toFile());
            if (versions.size() > 1 && versions.getLast() != b && serving(versions.getLast())) {
                LOG.info("deploy/{}: {} serves now; uninstalling {}", jar.getFileName(),
                        Diagnostics.subject(versions.getLast()), Diagnostics.subject(b));
                refresh(uninstall(List.of(b), jar.getFileName().toString()), jar.getFileName().toString());
            }
        }
    }

    /** Refreshes the bundles and those wired to them, and waits (bounded) until that is done. */
    private void refresh(List<Bundle> bundles, String fileName) {
        if (bundles.isEmpty()) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        running = new Operation("refreshing", fileName, bundles.getFirst(), Thread.currentThread(), Instant.now());
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(bundles, e -> done.countDown());
        try {
            if (!done.await(REFRESH_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("the refresh after a change of {} has not ended after {} s",
                        bundles.stream().map(Diagnostics::subject).toList(), REFRESH_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running = null;
        }
    }

    /**
     * The digest of the jar each bundle was installed or updated from, kept in this bundle's data area so that
     * a restart of the server does not update every module with the jar it already runs.
     */
    private Path digestFile(Bundle bundle) {
        return context.getDataFile("deployed-" + bundle.getBundleId() + ".sha256").toPath();
    }

    private void rememberDigest(Bundle bundle, String digest) throws IOException {
        Files.writeString(digestFile(bundle), digest);
    }

    String rememberedDigest(Bundle bundle) {
        try {
            return Files.readString(digestFile(bundle));
        } catch (IOException e) {
            return "";
        }
    }

    private void forgetDigest(Bundle bundle) {
        try {
            Files.deleteIfExists(digestFile(bundle));
        } catch (IOException e) {
            LOG.debug("cannot delete {}", digestFile(bundle), e);
        }
    }
}
