package org.kimserver.config.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.kimserver.config.KimConfig;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Publishes {@code etc/kimserver.json} as Config Admin configurations, and again each time the file changes. A
 * file that is missing or does not validate is reported (in the log once, and as a problem for as long as it
 * lasts) and the configuration in force is kept. Also points a fileinstall watcher at {@code etc/} so that
 * modules may read their own {@code etc/*.cfg}.
 *
 * <p>A reload ({@link #reload()}: SIGHUP to this process, or {@code kim:reload}) reads the file at once instead of
 * at the next poll, and answers what came of it; SIGHUP's answer is also written to
 * {@code data/<process tag>/reload.out} for {@code bin/kimserver reload}. While this component is not active the
 * launcher's own handler does nothing with SIGHUP (the original ignored it): a hang-up never ends a process.
 */
@Component(immediate = true, service = {ProblemReporter.class, JsonConfigPublisher.class})
public final class JsonConfigPublisher implements ProblemReporter {
    private static final Logger LOG = LoggerFactory.getLogger(JsonConfigPublisher.class);
    private static final String FILEINSTALL_FACTORY_PID = "org.apache.felix.fileinstall";
    private static final long WATCH_PERIOD_MS = 1000;
    /** The file, in this process's data/ folder, that holds the answer to the last SIGHUP. */
    static final String RELOAD_OUT = "reload.out";
    private static final Signal HANGUP = new Signal("HUP");

    @Reference
    private ConfigurationAdmin configAdmin;

    private Path file;
    private Path logDir;
    private String processTag;
    private ConfigFileWatch watch;
    private ScheduledExecutorService watcher;
    /** The logging properties last published from the file; null before the first. */
    private Map<String, Object> publishedLogging;
    private Path reloadOut;
    /** The launcher's handler, which does nothing: put back when this component goes. */
    private SignalHandler previousHangup;

    @Activate
    void activate(BundleContext context) throws IOException {
        Path home = KimserverHome.of(context);
        file = home.resolve("etc").resolve("kimserver.json");
        logDir = home.resolve("log");
        processTag = KimserverHome.processTag(context);
        watchEtcCfgFiles(home.resolve("etc"), KimserverHome.processData(context));
        watch = new ConfigFileWatch(file, Clock.systemUTC(), LOG, this::apply);
        watch.check();
        watcher = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "kimserver-config-watch"));
        watcher.scheduleWithFixedDelay(watch::check, WATCH_PERIOD_MS, WATCH_PERIOD_MS, TimeUnit.MILLISECONDS);
        reloadOut = KimserverHome.processData(context).resolve(RELOAD_OUT);
        try {
            previousHangup = Signal.handle(HANGUP, signal -> watcher.execute(this::reloadOnHangup));
        } catch (IllegalArgumentException e) {
            // The JVM keeps SIGHUP for itself (-Xrs).
            LOG.warn("SIGHUP cannot reload the configuration in this JVM ({}); kim:reload can", e.getMessage());
        }
    }

    /** Reads etc/kimserver.json now and applies it if it changed and validates; says what came of it. */
    ConfigFileWatch.Outcome reload() {
        ConfigFileWatch.Outcome outcome = watch.check();
        if (outcome.isRefused()) {
            LOG.warn("reload {}", outcome.describe(ConfigFileWatch.SUBJECT));
        } else {
            LOG.info("reload {}", outcome.describe(ConfigFileWatch.SUBJECT));
        }
        return outcome;
    }

    /** On the watch's thread, never the signal's: the answer goes where bin/kimserver reload looks for it. */
    private void reloadOnHangup() {
        String answer = reload().describe(ConfigFileWatch.SUBJECT);
        try {
            Path written = Files.writeString(reloadOut.resolveSibling(RELOAD_OUT + ".tmp"), answer + "\n");
            Files.move(written, reloadOut, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("cannot write the answer to SIGHUP to {}", reloadOut, e);
        }
    }

    /** The missing, unreadable or broken file, and the keys in it nobody knows. */
    @Override
    public List<Problem> problems() {
        return watch.problems();
    }

    @Deactivate
    void deactivate() {
        if (previousHangup != null) {
            Signal.handle(HANGUP, previousHangup);
        }
        watcher.shutdownNow();
    }

    /** Under the watch's lock (ConfigFileWatch.check). */
    private void apply(KimConfig config) throws IOException, InvalidSyntaxException {
        Map<String, Object> logging = PaxLoggingConfiguration.properties(config.log(), logDir, processTag);
        // Only when the file's logging keys changed: kim:loglevel's levels stand until then, whatever else is edited.
        if (!logging.equals(publishedLogging)) {
            configAdmin.getConfiguration(PaxLoggingConfiguration.PID, "?").updateIfDifferent(dictionary(logging));
            publishedLogging = logging;
        }
        for (var entry : config.configurations().entrySet()) {
            configAdmin.getConfiguration(entry.getKey(), "?").updateIfDifferent(dictionary(entry.getValue()));
        }
        for (var factory : config.factoryConfigurations().entrySet()) {
            String factoryPid = factory.getKey();
            for (var named : factory.getValue().entrySet()) {
                configAdmin.getFactoryConfiguration(factoryPid, named.getKey(), "?")
                        .updateIfDifferent(dictionary(named.getValue()));
            }
            deleteRemovedNodes(factoryPid, factory.getValue().keySet());
        }
    }

    /** A node taken out of the file loses its configuration, so its pool or client is closed. */
    private void deleteRemovedNodes(String factoryPid, Set<String> names) throws IOException, InvalidSyntaxException {
        Configuration[] existing = configAdmin.listConfigurations("(service.factoryPid=" + factoryPid + ")");
        if (existing == null) {
            return;
        }
        Set<String> keep = new HashSet<>();
        names.forEach(n -> keep.add(factoryPid + "~" + n));
        for (Configuration c : existing) {
            if (!keep.contains(c.getPid())) {
                LOG.info("{} removed from {}", c.getPid(), file.getFileName());
                c.delete();
            }
        }
    }

    private void watchEtcCfgFiles(Path etc, Path processData) throws IOException {
        // Its working folder in this process's data/ folder, as deploy/'s watcher has: by default each start would
        // leave one in /tmp, and one shared by processes would be emptied by one under another.
        Path tmp = processData.resolve("tmp").resolve("fileinstall-etc");
        Map<String, Object> watcherConfig = Map.of(
                "felix.fileinstall.dir", etc.toString(),
                "felix.fileinstall.filter", ".*\\.cfg",
                "felix.fileinstall.poll", "1000",
                "felix.fileinstall.noInitialDelay", "true",
                "felix.fileinstall.tmpdir", tmp.toString());
        configAdmin.getFactoryConfiguration(FILEINSTALL_FACTORY_PID, "etc", "?").updateIfDifferent(dictionary(watcherConfig));
    }

    private static Dictionary<String, Object> dictionary(Map<String, Object> map) {
        return new Hashtable<>(map);
    }
}
