package org.kimserver.shell.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.kimserver.shell.deploy.DeployJar;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jars in {@code deploy/} that do not become bundles: not a zip or truncated, no manifest, no
 * Bundle-SymbolicName, not installed by fileinstall, or superseded by a newer version of the same bundle beside
 * them, or refused by {@link DeployInstaller} (a copy of a system bundle). fileinstall logs some of these at every
 * poll and others not at all; here each is logged once, when first seen, and is a problem for as long as the jar
 * stays. A jar written less than {@link #SETTLE} ago is left alone: it may still be being copied. A broken jar over
 * a deployed one says that the bundle installed from it keeps running, as {@link DeployInstaller} leaves it so.
 */
@Component(service = ProblemReporter.class, immediate = true)
public final class DeployFolderProblems implements ProblemReporter {
    static final Duration SETTLE = Duration.ofSeconds(2);
    /**
     * How long a good jar may wait for fileinstall (which polls every 500 ms, but installs one jar after another)
     * before it counts as refused, counted from when the jar was written or fileinstall started, the later.
     */
    static final Duration INSTALL_WAIT = Duration.ofSeconds(10);
    private static final String FILEINSTALL = "org.apache.felix.fileinstall";
    private static final Logger LOG = LoggerFactory.getLogger(DeployFolderProblems.class);

    @Reference
    private DeployInstaller installer;

    private final Clock clock = Clock.systemUTC();
    private final Sightings sightings = new Sightings(clock);
    private BundleContext context;
    private Path deploy;
    private ScheduledExecutorService scanner;
    private volatile List<Problem> problems = List.of();
    /** The first scan that found fileinstall active (it starts after this bundle); null until then. */
    private Instant fileinstallActiveSince;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
        deploy = installer.folder();
        scanner = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kimserver-deploy-check");
            t.setDaemon(true);
            return t;
        });
        scanner.scheduleWithFixedDelay(this::scan, 1, 1, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        scanner.shutdownNow();
    }

    @Override
    public List<Problem> problems() {
        return problems;
    }

    private void scan() {
        try {
            Instant now = clock.instant();
            List<DeployJar> jars = new ArrayList<>();
            Map<String, Instant> written = new LinkedHashMap<>();
            Map<String, String> refused = new LinkedHashMap<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(deploy, "*.jar")) {
                for (Path file : files) {
                    String refusal = installer.refusal(file.getFileName().toString());
                    if (refusal != null) {
                        refused.put(file.getFileName().toString(), refusal);
                        continue;
                    }
                    Instant modified = Files.getLastModifiedTime(file).toInstant();
                    if (Duration.between(modified, now).compareTo(SETTLE) >= 0) {
                        jars.add(DeployJar.read(file));
                        written.put(file.getFileName().toString(), modified);
                    }
                }
            } catch (IOException e) {
                LOG.debug("cannot list {}", deploy, e);
            }
            Map<String, String> found = DeployJar.problems(jars);
            if (!fileinstallIsActive()) {
                // Here nothing deploys the folder (a manager rolls it out to its workers, which may run only some of
                // its jars): only what is no bundle at all is this folder's problem, and it reaches no worker.
                found.keySet().removeIf(name -> jars.stream().noneMatch(j -> j.fileName().equals(name)
                        && j.defect() != null));
                found.replaceAll((name, defect) -> defect + "; not rolled out: the workers keep what they run"
                        + " (kim:modules)");
            }
            for (DeployJar jar : jars) {
                if (jar.defect() != null) {
                    found.computeIfPresent(jar.fileName(), (name, defect) -> keepsRunning(jar.file(), defect));
                }
            }
            found.putAll(refused);
            if (fileinstallActiveSince == null && fileinstallIsActive()) {
                fileinstallActiveSince = now;
            }
            for (DeployJar jar : jars) {
                if (jar.defect() == null && !found.containsKey(jar.fileName()) && fileinstallActiveSince != null
                        && Duration.between(later(written.get(jar.fileName()), fileinstallActiveSince), now)
                                .compareTo(INSTALL_WAIT) >= 0
                        && installedFrom(jar.file()) == null) {
                    found.put(jar.fileName(), notInstalledReason(jar));
                }
            }
            Map<String, String> bySubject = new LinkedHashMap<>();
            found.forEach((name, reason) -> bySubject.put("deploy/" + name, reason));
            Sightings.Look look = sightings.look(bySubject);
            look.news().forEach(p -> LOG.warn("{}: {}", p.subject(), p.reason()));
            problems = look.problems();
        } catch (RuntimeException e) {
            LOG.warn("checking {} failed", deploy, e);
        }
    }

    private boolean fileinstallIsActive() {
        for (Bundle b : context.getBundles()) {
            if (FILEINSTALL.equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
                return true;
            }
        }
        return false;
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    /** The oldest bundle installed from the jar (the one serving while a newer one starts), or null. */
    private Bundle installedFrom(Path jar) {
        Path file = jar.toAbsolutePath().normalize();
        for (Bundle b : context.getBundles()) {
            if (file.equals(DeployInstaller.jarOf(b.getLocation()))) {
                return b;
            }
        }
        return null;
    }

    /** A defect of a jar a bundle was installed from, saying that the bundle keeps running what it ran. */
    private String keepsRunning(Path jar, String defect) {
        Bundle running = installedFrom(jar);
        return running == null ? defect : defect + "; " + Diagnostics.subject(running) + " keeps running the"
                + " version installed before, until a good jar replaces this one";
    }

    private String notInstalledReason(DeployJar jar) {
        DeployInstaller.Operation blocking = installer.blocking();
        if (blocking != null) {
            return "not installed yet: fileinstall is blocked, " + blocking.describe();
        }
        return "not installed by fileinstall (" + jar.symbolicName() + " " + jar.version()
                + "); the reason is in log/kimserver.log";
    }
}
