package org.kimserver.shell.internal;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
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
 */
@Component(service = {ArtifactInstaller.class, DeployInstaller.class})
public final class DeployInstaller implements ArtifactInstaller {
    private static final Logger LOG = LoggerFactory.getLogger(DeployInstaller.class);
    /** How long an install, update or uninstall waits for the framework to refresh the bundles wired to it. */
    private static final long REFRESH_SECONDS = 60;

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
        deploy = Path.of(String.valueOf(context.getProperty("kimserver.home"))).resolve("deploy").toAbsolutePath()
                .normalize();
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
        Bundle bundle = installedFrom(artifact);
        if (bundle == null) {
            return;
        }
        try {
            LOG.info("deploy/{} removed: uninstalling {}", name, Diagnostics.subject(bundle));
            bundle.uninstall();
            startFailures.remove(bundle.getBundleId());
            forgetDigest(bundle);
            refresh(bundle, name);
        } catch (BundleException | IllegalStateException e) {
            LOG.warn("deploy/{} removed: cannot uninstall {}: {}", name, Diagnostics.subject(bundle), e.getMessage());
        }
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
     * Why a jar in deploy/ was refused although it is a valid bundle (it is a bundle of the system), or null.
     */
    String refusal(String fileName) {
        return refusals.get(fileName);
    }

    /** Installs the jar's bundle, or updates the one installed from it, unless the jar is refused. */
    private void deploy(File artifact) {
        String name = artifact.getName();
        DeployJar jar = DeployJar.read(artifact.toPath());
        Bundle current = installedFrom(artifact);
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
            String digest = digest(artifact.toPath());
            if (current == null) {
                Bundle installed;
                try (InputStream in = Files.newInputStream(artifact.toPath())) {
                    installed = context.installBundle(location(artifact), in);
                }
                rememberDigest(installed, digest);
                LOG.info("deploy/{}: installed {}", name, Diagnostics.subject(installed));
                start(installed, name);
            } else if (!digest.equals(rememberedDigest(current))) {
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
                refresh(current, name);
                start(current, name);
            }
        } catch (BundleException | IOException | IllegalStateException e) {
            if (current == null) {
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
    private static String fileName(Bundle bundle) {
        String location = bundle.getLocation();
        return location.substring(location.lastIndexOf('/') + 1);
    }

    /** Whether the bundle was installed from a jar in deploy/ (by this installer, or by fileinstall before). */
    boolean fromDeploy(Bundle bundle) {
        String location = bundle.getLocation();
        if (!location.startsWith("file:")) {
            return false;
        }
        try {
            return deploy.equals(Path.of(URI.create(location)).toAbsolutePath().normalize().getParent());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The bundle installed from the jar (by fileinstall before, or here), or null. */
    private Bundle installedFrom(File artifact) {
        Path file = artifact.toPath().toAbsolutePath().normalize();
        for (Bundle b : context.getBundles()) {
            String location = b.getLocation();
            if (location.equals(location(artifact))) {
                return b;
            }
            if (location.startsWith("file:")) {
                try {
                    if (Path.of(URI.create(location)).toAbsolutePath().normalize().equals(file)) {
                        return b;
                    }
                } catch (IllegalArgumentException e) {
                    // not a file URI this installer made
                }
            }
        }
        return null;
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
    }

    /** Refreshes the bundle and those wired to it, and waits (bounded) until that is done. */
    private void refresh(Bundle bundle, String fileName) {
        CountDownLatch done = new CountDownLatch(1);
        running = new Operation("refreshing", fileName, bundle, Thread.currentThread(), Instant.now());
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(bundle), e -> done.countDown());
        try {
            if (!done.await(REFRESH_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("the refresh after a change of {} has not ended after {} s", Diagnostics.subject(bundle),
                        REFRESH_SECONDS);
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

    private String rememberedDigest(Bundle bundle) {
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

    private static String digest(Path jar) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(jar)) {
                byte[] buffer = new byte[65536];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    sha.update(buffer, 0, n);
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }
}
