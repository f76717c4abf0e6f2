package org.kimserver.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The original's log level names and the Log4j 2 level each one selects. Unlike the original, WARN ranks above
 * INFO: at "info", warnings are written.
 */
public enum LogLevel {
    TRACE("TRACE"),
    DEBUG("DEBUG"),
    INFO("INFO"),
    NOTICE("INFO"),
    WARN("WARN"),
    ERROR("ERROR"),
    ALERT("FATAL"),
    CRIT("FATAL"),
    EMERG("FATAL");

    private final String log4j;

    LogLevel(String log4j) {
        this.log4j = log4j;
    }

    /** The Log4j 2 level name this level selects. */
    public String log4jLevel() {
        return log4j;
    }

    /** The level named (case-insensitive, as the original); the message lists the names accepted. */
    public static LogLevel of(String name) throws ConfigException {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("\"" + name + "\" is not a log level (one of " + names() + ")");
        }
    }

    /** The accepted names, lower case, comma separated. */
    public static String names() {
        return Arrays.stream(values()).map(l -> l.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    }
}
