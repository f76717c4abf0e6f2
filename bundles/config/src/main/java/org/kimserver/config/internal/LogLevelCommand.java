package org.kimserver.config.internal;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.function.Consumer;
import org.apache.felix.service.command.Descriptor;
import org.kimserver.config.ConfigException;
import org.kimserver.config.LogLevel;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code kim:loglevel}: shows or changes the log level while the server runs. The change lasts until the next
 * edit of log_level in kimserver.json, which wins.
 */
@Component(service = LogLevelCommand.class, property = {
        "osgi.command.scope=kim",
        "osgi.command.function=loglevel"})
public final class LogLevelCommand {
    private static final String LEVEL = "the level, one of trace, debug, info, notice, warn, error, alert, crit,"
            + " emerg (case-insensitive)";

    @Reference
    private ConfigurationAdmin configAdmin;

    /** Prints the root level and the per-logger levels in force. */
    @Descriptor("shows the log level in force, for everything (root) and for each logger given its own")
    public String loglevel() throws IOException {
        Dictionary<String, Object> props = logging().getProperties();
        if (props == null) {
            return "logging is not configured yet";
        }
        StringBuilder out = new StringBuilder("root: ").append(props.get(PaxLoggingConfiguration.ROOT_LEVEL));
        for (var keys = props.keys(); keys.hasMoreElements(); ) {
            String key = keys.nextElement();
            if (key.startsWith("log4j2.logger.") && key.endsWith(".name")) {
                String prefix = key.substring(0, key.length() - ".name".length());
                out.append('\n').append(props.get(key)).append(": ").append(props.get(prefix + ".level"));
            }
        }
        return out.toString();
    }

    /** Sets the level of every logger that has none of its own. */
    @Descriptor("sets the log level of every logger that has none of its own, until the next edit of log_level"
            + " in etc/kimserver.json")
    public String loglevel(@Descriptor(LEVEL) String level) throws IOException, ConfigException {
        String log4j = LogLevel.of(level).log4jLevel();
        update(props -> props.put(PaxLoggingConfiguration.ROOT_LEVEL, log4j));
        return "root log level is now " + log4j;
    }

    /** Sets the level of one logger (a class or package name) and those below it. */
    @Descriptor("sets the log level of one logger and those below it, until the next edit of log_level in"
            + " etc/kimserver.json")
    public String loglevel(@Descriptor(LEVEL) String level,
                           @Descriptor("a class or package name, e.g. org.kimserver.gate") String logger)
            throws IOException, ConfigException {
        String log4j = LogLevel.of(level).log4jLevel();
        String prefix = "log4j2.logger." + logger.replaceAll("[^A-Za-z0-9]", "_");
        update(props -> {
            props.put(prefix + ".name", logger);
            props.put(prefix + ".level", log4j);
        });
        return "log level of " + logger + " is now " + log4j;
    }

    private Configuration logging() throws IOException {
        return configAdmin.getConfiguration(PaxLoggingConfiguration.PID, "?");
    }

    private void update(Consumer<Hashtable<String, Object>> change) throws IOException {
        Configuration logging = logging();
        Dictionary<String, Object> current = logging.getProperties();
        if (current == null) {
            throw new IllegalStateException("logging is not configured yet");
        }
        Hashtable<String, Object> props = new Hashtable<>();
        for (var keys = current.keys(); keys.hasMoreElements(); ) {
            String key = keys.nextElement();
            props.put(key, current.get(key));
        }
        change.accept(props);
        logging.update(props);
    }
}
