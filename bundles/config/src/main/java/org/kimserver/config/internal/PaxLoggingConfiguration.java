package org.kimserver.config.internal;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.kimserver.config.KimConfig.LogSettings;

/**
 * The Pax Logging (Log4j 2) configuration that the log keys of kimserver.json stand for: one rolling file for
 * every bundle of the process, third-party ones included. Each process has a file of its own
 * ({@link LogSettings#pathFor}), rotated with the same settings.
 */
final class PaxLoggingConfiguration {
    static final String PID = "org.ops4j.pax.logging";
    static final String ROOT_LEVEL = "log4j2.rootLogger.level";

    private PaxLoggingConfiguration() {
    }

    /**
     * @param logDir where a relative log_path goes
     * @param processTag M0 for the manager, W&lt;n&gt; for a worker, as the original's log lines; it names the file
     */
    static Map<String, Object> properties(LogSettings log, Path logDir, String processTag) {
        Path file = logDir.resolve(log.pathFor(processTag)).toAbsolutePath().normalize();
        // Four-letter level names as the original's log lines (FATAL shows as CRIT); the bundle name comes from
        // the MDC Pax Logging fills for every event. Messages may carry client data (a module may log a request),
        // so none may start a line of its own: CR and LF in a message are written as \r and \n, other control
        // characters (and the Unicode line separators) as '?', and every line of a stack trace after its first
        // is indented, so an exception message cannot forge a line either.
        String pattern = "[%level{FATAL=CRIT, ERROR=ERRO, WARN=WARN, INFO=INFO, DEBUG=DBUG, TRACE=TRAC}]"
                + "[" + processTag + "][%pid][%d{yyyy-MM-dd HH:mm:ss.SSS}][%X{bundle.name}] %c - "
                + "%enc{" + neutralised("%m") + "}{CRLF}%n"
                + "%replace{" + neutralised("%throwable") + "}{\\r?\\n(?=[^\\t])}{$0\t}";
        Map<String, Object> p = new LinkedHashMap<>();
        p.put(ROOT_LEVEL, log.level().log4jLevel());
        p.put("log4j2.rootLogger.appenderRef.file.ref", "file");
        p.put("log4j2.appender.file.type", "RollingFile");
        p.put("log4j2.appender.file.name", "file");
        p.put("log4j2.appender.file.fileName", file.toString());
        p.put("log4j2.appender.file.filePattern", file + ".%i");
        p.put("log4j2.appender.file.append", "true");
        // Log lines may hold what clients sent: the files are for the server's user only, rotated ones included.
        p.put("log4j2.appender.file.filePermissions", "rw-------");
        p.put("log4j2.appender.file.layout.type", "PatternLayout");
        p.put("log4j2.appender.file.layout.pattern", pattern);
        p.put("log4j2.appender.file.layout.alwaysWriteExceptions", "false"); // the pattern writes them itself
        p.put("log4j2.appender.file.policies.type", "Policies");
        p.put("log4j2.appender.file.policies.size.type", "SizeBasedTriggeringPolicy");
        p.put("log4j2.appender.file.policies.size.size", log.maxSizeMb() + "MB");
        p.put("log4j2.appender.file.strategy.type", "DefaultRolloverStrategy");
        p.put("log4j2.appender.file.strategy.max", Integer.toString(log.maxFiles()));
        return p;
    }

    /** Log4j's {@code %replace} of every control character but CR, LF and tab (and of a lone CR) by '?'. */
    private static String neutralised(String converter) {
        return "%replace{" + converter + "}{[\\p{Cntrl}&&[^\\r\\n\\t]]|[\\u0085\\u2028\\u2029]|\\r(?!\\n)}{?}";
    }
}
