package org.kimserver.config.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kimserver.api.diag.Problem;
import org.kimserver.config.ConfigException;
import org.kimserver.config.KimConfig;
import org.slf4j.Logger;

/**
 * Reads {@code etc/kimserver.json} each time it is asked to, applies it when its content changed and validates,
 * and remembers what is wrong with it: missing, unreadable, broken (the next start would fail on it), or holding
 * keys nobody knows. Each of these is logged once, when it starts and when it ends, and is a {@link Problem}
 * with the time it was first seen for as long as it lasts. While the file is missing or unreadable, that is the
 * only problem: the warnings about its content come back with it.
 *
 * <p>The warnings about a content just applied are logged at the next check, not at once: the logging
 * configuration is published with them and takes effect asynchronously, and until it does a warning would go to
 * the console (beside the launcher's own line) instead of the log file.
 */
final class ConfigFileWatch {
    /** How the problems name the file: relative to the server home, as an operator finds it. */
    static final String SUBJECT = "etc/kimserver.json";

    /**
     * What a check found, as a reload answers it: {@code applied} (the file changed and is in force now),
     * {@code unchanged} (the file holds the configuration in force) or {@code refused} (the configuration in force
     * is kept; {@code reason} says why, as the log and the problem say it).
     */
    record Outcome(String verdict, String reason) {
        static final Outcome APPLIED = new Outcome("applied", null);
        static final Outcome UNCHANGED = new Outcome("unchanged", null);

        static Outcome refused(String reason) {
            return new Outcome("refused", reason);
        }

        boolean isRefused() {
            return reason != null;
        }

        /** One line: the verdict, and the reason of a refusal. */
        String describe(String subject) {
            return switch (verdict) {
                case "applied" -> "applied: " + subject + " is in force";
                case "unchanged" -> "unchanged: " + subject + " holds the configuration in force";
                default -> "refused: " + subject + ": " + reason;
            };
        }
    }

    /** Publishes a validated configuration. */
    interface Publisher {
        void publish(KimConfig config) throws Exception;
    }

    private final Path file;
    private final Clock clock;
    private final Logger log;
    private final Publisher publisher;

    private byte[] applied = new byte[0];
    private byte[] lastSeen;
    /** The problem with the file as a whole (missing, unreadable, broken); null when there is none. */
    private Problem fileProblem;
    /** Accepted but probably a mistake (unknown keys), by reason, of the content in force. */
    private Map<String, Problem> warnings = new LinkedHashMap<>();
    /** Warnings of the content just applied, to be logged at the next check. */
    private List<String> unlogged = List.of();
    private volatile List<Problem> problems = List.of();

    ConfigFileWatch(Path file, Clock clock, Logger log, Publisher publisher) {
        this.file = file;
        this.clock = clock;
        this.log = log;
        this.publisher = publisher;
    }

    /** What is wrong with the file now; never blocks. */
    List<Problem> problems() {
        return problems;
    }

    /**
     * Reads the file, and applies it if it changed and validates; says what came of it. A file found broken before
     * and unchanged since is refused again with the same reason. Called by the watch's poll and by a reload.
     */
    synchronized Outcome check() {
        unlogged.forEach(w -> log.warn("{}: {}", file, w));
        unlogged = List.of();
        byte[] text;
        try {
            text = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return fileIsWrong("file not found; the configuration in force is kept until it is back, and a"
                    + " restart would fail");
        } catch (IOException e) {
            return fileIsWrong("cannot read it (" + e + "); the configuration in force is kept");
        }
        if (fileProblem != null && lastSeen == null) {
            log.info("{} is back (it was missing or unreadable since {})", file, fileProblem.since());
            fileProblem = null;
        }
        Outcome outcome = Outcome.UNCHANGED;
        if (!Arrays.equals(text, lastSeen)) {
            lastSeen = text;
            if (!Arrays.equals(text, applied)) {
                outcome = apply(text);
            } else if (fileProblem != null) {
                log.info("{} is valid again: it holds the configuration in force", file);
                fileProblem = null;
            }
        }
        publishProblems();
        return fileProblem != null ? Outcome.refused(fileProblem.reason()) : outcome;
    }

    private Outcome apply(byte[] text) {
        KimConfig config;
        try {
            config = KimConfig.parse(text);
        } catch (ConfigException e) {
            String reason = e.getMessage() + "; the configuration in force is kept, and a restart would fail";
            log.error("{}: {}", file, reason);
            fileProblem = new Problem(SUBJECT, reason, fileProblem != null ? fileProblem.since() : clock.instant());
            return Outcome.refused(reason);
        }
        if (fileProblem != null) {
            log.info("{} is valid again", file);
            fileProblem = null;
        }
        Map<String, Problem> kept = new LinkedHashMap<>();
        List<String> news = new ArrayList<>();
        Instant now = clock.instant();
        for (String w : config.warnings()) {
            Problem before = warnings.get(w);
            kept.put(w, before != null ? before : new Problem(SUBJECT, w, now));
            if (before == null) {
                news.add(w);
            }
        }
        warnings = kept;
        unlogged = List.copyOf(news);
        // Logged before, not after: a new logging configuration takes effect asynchronously, and events logged
        // while Pax Logging switches over can be lost.
        log.info("applying the configuration from {}", file);
        try {
            publisher.publish(config);
            applied = text;
            return Outcome.APPLIED;
        } catch (Exception e) {
            log.error("{}: could not publish the configuration", file, e);
            return Outcome.refused("could not publish the configuration: " + e);
        }
    }

    private Outcome fileIsWrong(String reason) {
        lastSeen = null;
        if (fileProblem == null || !fileProblem.reason().equals(reason)) {
            log.error("{}: {}", file, reason);
            fileProblem = new Problem(SUBJECT, reason, fileProblem != null ? fileProblem.since() : clock.instant());
        }
        publishProblems();
        return Outcome.refused(reason);
    }

    private void publishProblems() {
        List<Problem> now = new ArrayList<>();
        if (fileProblem != null) {
            now.add(fileProblem);
        }
        if (lastSeen != null) {
            now.addAll(warnings.values());
        }
        problems = List.copyOf(now);
    }
}
