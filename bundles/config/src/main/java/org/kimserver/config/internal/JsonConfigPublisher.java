package org.kimserver.config.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.kimserver.config.ConfigException;
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

/**
 * Publishes {@code etc/kimserver.json} as Config Admin configurations, and again each time the file changes. A
 * file that does not validate is reported in the log and the configuration in force is kept. Also points a
 * fileinstall watcher at {@code etc/} so that modules may read their own {@code etc/*.cfg}.
 */
@Component(immediate = true, service = {})
public final class JsonConfigPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(JsonConfigPublisher.class);
    private static final String FILEINSTALL_FACTORY_PID = "org.apache.felix.fileinstall";
    private static final long WATCH_PERIOD_MS = 1000;

    @Reference
    private ConfigurationAdmin configAdmin;

    private Path file;
    private Path logDir;
    private String processTag;
    private byte[] applied = new byte[0];
    private ScheduledExecutorService watcher;

    @Activate
    void activate(BundleContext context) throws IOException {
        Path home = KimserverHome.of(context);
        file = home.resolve("etc").resolve("kimserver.json");
        logDir = home.resolve("log");
        processTag = KimserverHome.processTag(context);
        watchEtcCfgFiles(home.resolve("etc"));
        reloadIfChanged();
        watcher = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "kimserver-config-watch"));
        watcher.scheduleWithFixedDelay(this::reloadIfChanged, WATCH_PERIOD_MS, WATCH_PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void deactivate() {
        watcher.shutdownNow();
    }

    private void reloadIfChanged() {
        byte[] text;
        try {
            text = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            LOG.error("{}: file not found; keeping the configuration in force", file);
            return;
        } catch (IOException e) {
            LOG.error("{}: cannot read ({}); keeping the configuration in force", file, e.toString());
            return;
        }
        if (Arrays.equals(text, applied)) {
            return;
        }
        applied = text;
        try {
            KimConfig config = KimConfig.parse(new String(text, StandardCharsets.UTF_8));
            config.warnings().forEach(w -> LOG.warn("{}: {}", file, w));
            // Logged before, not after: a new logging configuration takes effect asynchronously, and events logged
            // while Pax Logging switches over can be lost.
            LOG.info("applying the configuration from {}", file);
            apply(config);
        } catch (ConfigException e) {
            LOG.error("{}: {}; keeping the configuration in force", file, e.getMessage());
        } catch (IOException | InvalidSyntaxException e) {
            LOG.error("{}: could not publish the configuration", file, e);
        }
    }

    private void apply(KimConfig config) throws IOException, InvalidSyntaxException {
        configAdmin.getConfiguration(PaxLoggingConfiguration.PID, "?")
                .updateIfDifferent(dictionary(PaxLoggingConfiguration.properties(config.log(), logDir, processTag)));
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

    private void watchEtcCfgFiles(Path etc) throws IOException {
        Map<String, Object> watcherConfig = Map.of(
                "felix.fileinstall.dir", etc.toString(),
                "felix.fileinstall.filter", ".*\\.cfg",
                "felix.fileinstall.poll", "1000",
                "felix.fileinstall.noInitialDelay", "true");
        configAdmin.getFactoryConfiguration(FILEINSTALL_FACTORY_PID, "etc", "?").updateIfDifferent(dictionary(watcherConfig));
    }

    private static Dictionary<String, Object> dictionary(Map<String, Object> map) {
        return new Hashtable<>(map);
    }
}
