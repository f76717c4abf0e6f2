package org.kimserver.shell.internal;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
            forgetDigest(bundle);
            refresh(bundle);
        } catch (BundleException | IllegalStateException e) {
            LOG.warn("deploy/{} removed: cannot uninstall {}: {}", name, Diagnostics.subject(bundle), e.getMessage());
        }
        startWaitingBundles();
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
                try (InputStream in = Files.newInputStream(artifact.toPath())) {
                    current.update(in);
                }
                rememberDigest(current, digest);
                LOG.info("deploy/{}: updated {} to version {}", name, before, current.getVersion());
                refresh(current);
                start(current, name);
            }
        } catch (BundleException | IOException | IllegalStateException e) {
            LOG.warn("deploy/{}: not installed: {}", name, e.getMessage());
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

    private boolean fromDeploy(Bundle bundle) {
        String location = bundle.getLocation();
        if (!location.startsWith("file:")) {
            return false;
        }
        try {
            return deploy.equals(Path.of(java.net.URI.create(location)).toAbsolutePath().normalize().getParent());
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
                    if (Path.of(java.net.URI.create(location)).toAbsolutePath().normalize().equals(file)) {
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
        try {
            bundle.start(Bundle.START_ACTIVATION_POLICY);
        } catch (BundleException | IllegalStateException e) {
            LOG.warn("deploy/{}: {} is installed but not started: {}", fileName, Diagnostics.subject(bundle),
                    e.getMessage());
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
                try {
                    b.start(Bundle.START_ACTIVATION_POLICY);
                } catch (BundleException | IllegalStateException e) {
                    LOG.debug("{} still does not start: {}", Diagnostics.subject(b), e.getMessage());
                }
            }
        }
    }

    /** Refreshes the bundle and those wired to it, and waits (bounded) until that is done. */
    private void refresh(Bundle bundle) {
        CountDownLatch done = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(bundle), e -> done.countDown());
        try {
            if (!done.await(REFRESH_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("the refresh after a change of {} has not ended after {} s", Diagnostics.subject(bundle),
                        REFRESH_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
