package org.kimserver.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.kimserver.config.ConfigKey.Type;

/**
 * Every key of {@code etc/kimserver.json}, declared once: the validator ({@link KimConfig}) reads the file by this
 * table, the shell shows defaults from it, and tests hold the README and the components' typed configuration to
 * it.
 */
public final class ConfigSchema {

    /** PID of the node-wide settings: server_name, node_type, worker_cnt, node_host/port, modules, worker_java_opts. */
    public static final String SERVER_PID = "kimserver.server";
    /** PID of the client listener settings. */
    public static final String GATE_PID = "kimserver.gate";
    /** PID of the ZooKeeper settings. */
    public static final String ZOOKEEPER_PID = "kimserver.zookeeper";
    /** Factory PID of the Redis nodes; one configuration a node, named after it. */
    public static final String REDIS_FACTORY_PID = "kimserver.redis";
    /** Factory PID of the MySQL/MariaDB nodes; one configuration a node, named after it. */
    public static final String MYSQL_FACTORY_PID = "kimserver.mysql";
    /** PID of Pax Logging, which the log keys are turned into (not published as they are). */
    public static final String LOGGING_PID = "org.ops4j.pax.logging";
    /** The name that stands for any member of a map of nodes ({@code redis.<node>.port}). */
    public static final String NODE = "<node>";

    private static final int INT_MAX = Integer.MAX_VALUE;
    private static final String[] NONE = new String[0];

    private static final List<ConfigKey> KEYS = List.of(
            string("server_name", SERVER_PID, "kimserver", "The server's name (log lines, ZooKeeper node names)"),
            string("node_type", SERVER_PID, null, "The cluster node type (gate, logic, ...)"),
            integer("worker_cnt", SERVER_PID, 1, 1, 1024, "Worker processes"),
            string("node_host", SERVER_PID, "", "Address of the inter-node listener"),
            integer("node_port", SERVER_PID, 0, 0, 65535, "Port of the inter-node listener"),
            strings("modules", SERVER_PID, "The original's module list; accepted and ignored"),
            strings("worker_java_opts", SERVER_PID,
                    "JVM options of the worker processes, after the manager's own (later ones win: -Xmx256m)"),
            integer("canary_ms", SERVER_PID, 3000, 0, 600_000,
                    "Milliseconds a changed module serves on the first worker before it rolls on to the others"),
            integer("canary_failure_pct", SERVER_PID, 1, 0, 100,
                    "Percent of a canary's requests that may fail (code 1) before the change is rolled back"),
            strings("maven_repositories", SERVER_PID,
                    "Remote Maven repositories (http or https URLs) the bundles of bundle sets come from when the"
                            + " local repository lacks them"),
            string("maven_local_repository", SERVER_PID, "",
                    "The local Maven repository of bundle sets; empty: ~/.m2/repository of the server's user"),

            string("gate_host", GATE_PID, "", "Address the client listener listens on; empty: it does not listen"),
            integer("gate_port", GATE_PID, 0, 0, 65535, "Port of the client listener"),
            new ConfigKey("gate_codec", GATE_PID, Type.STRING, "protobuf", 0, 0, List.of("protobuf"), false, null,
                    "The client codec; protobuf is the only one"),
            new ConfigKey("keep_alive", GATE_PID, Type.INTEGER, 15000, 0, INT_MAX, List.of(), true, null,
                    "Milliseconds without a read or write after which a connection is closed; 0: the default"),
            integer("max_clients", GATE_PID, null, 1, INT_MAX,
                    "Connections of one worker beyond this many are closed as soon as they are accepted"),
            integer("max_frame_size", GATE_PID, 1 << 20, 64, INT_MAX,
                    "Largest body length accepted; a larger one closes the connection"),
            bool("close_on_unknown_cmd", GATE_PID, true,
                    "Close the connection after answering an unknown command, as the original"),
            integer("handler_grace_ms", GATE_PID, 3000, 0, 600_000,
                    "Milliseconds a request waits for a handler when its command lost its handler that recently"),
            integer("io_threads", GATE_PID, 0, 0, 1024, "Network threads of the gate; 0: one per core"),
            integer("frame_timeout_ms", GATE_PID, 10_000, 100, 3_600_000,
                    "Milliseconds a frame may take to arrive whole, from its first byte"),
            integer("min_body_rate", GATE_PID, 65_536, 0, INT_MAX,
                    "Bytes a second a long body must arrive at; 0: frame_timeout_ms for every frame"),
            integer("max_clients_per_ip", GATE_PID, 0, 0, INT_MAX,
                    "Connections one client address may hold; 0: no limit"),
            integer("max_buffered_mb", GATE_PID, 128, 1, 1 << 20,
                    "Megabytes all connections together may hold in frames, queued requests and unwritten replies"),
            integer("stop_timeout_ms", GATE_PID, 10_000, 0, 600_000,
                    "Milliseconds a stop serves open connections before it closes what is still busy"),
            bool("is_reuseport", GATE_PID, false, "Every worker listens on the gate port with SO_REUSEPORT"),

            string("log_path", LOGGING_PID, null, "Log file, relative to log/"),
            new ConfigKey("log_level", LOGGING_PID, Type.STRING, null, 0, 0, levelNames(), false, null,
                    "Log level"),
            integer("log_max_size_mb", LOGGING_PID, 64, 1, 1 << 20, "Rotate the log file at this size"),
            integer("log_max_files", LOGGING_PID, 10, 1, 1000, "Rotated log files kept"),

            bool("zookeeper.is_open", ZOOKEEPER_PID, false, "Whether the node registers in ZooKeeper"),
            new ConfigKey("zookeeper.servers", ZOOKEEPER_PID, Type.STRING, "", 0, 0, List.of(), false, "is_open",
                    "ZooKeeper connect string; required when is_open"),
            new ConfigKey("zookeeper.root", ZOOKEEPER_PID, Type.STRING, "/kimserver", 0, 0, List.of(), false,
                    "is_open", "Root path of the cluster's nodes; required when is_open"),
            string("zookeeper.log_path", ZOOKEEPER_PID, "", "ZooKeeper client log file"),
            new ConfigKey("zookeeper.log_level", ZOOKEEPER_PID, Type.STRING, "info", 0, 0,
                    List.of("debug", "info", "warn", "error"), false, null, "ZooKeeper client log level"),
            strings("zookeeper.watch_node_type", ZOOKEEPER_PID, "Node types this node watches"),

            string("redis.<node>.host", REDIS_FACTORY_PID, null, "Redis node address"),
            integer("redis.<node>.port", REDIS_FACTORY_PID, null, 1, 65535, "Redis node port"),
            integer("redis.<node>.max_conn_cnt", REDIS_FACTORY_PID, null, 1, 1024, "Redis connections"),
            string("redis.<node>.password", REDIS_FACTORY_PID, "", "Redis password (AUTH); empty: none"),
            integer("redis.<node>.database", REDIS_FACTORY_PID, 0, 0, INT_MAX, "Redis database number (SELECT)"),

            integer("database.slowlog_log_slower_than", MYSQL_FACTORY_PID, 0, 0, INT_MAX,
                    "Slow-query threshold in milliseconds"),
            string("database.nodes.<node>.host", MYSQL_FACTORY_PID, null, "Database address"),
            integer("database.nodes.<node>.port", MYSQL_FACTORY_PID, null, 1, 65535, "Database port"),
            string("database.nodes.<node>.user", MYSQL_FACTORY_PID, null, "Database user"),
            string("database.nodes.<node>.password", MYSQL_FACTORY_PID, "", "Database password"),
            string("database.nodes.<node>.charset", MYSQL_FACTORY_PID, "utf8mb4", "Connection character set"),
            new ConfigKey("database.nodes.<node>.max_conn_cnt", MYSQL_FACTORY_PID, Type.INTEGER, 5, 0, 1024,
                    List.of(), true, null, "Pooled connections; 0: the default"),
            string("database.nodes.<node>.name", MYSQL_FACTORY_PID, "mysql", "Database name"));

    /**
     * What a node may be called: it becomes part of a configuration PID (a file name of Config Admin's store, hence
     * the length) and of service filters ({@code (kim.db.node=test)}).
     */
    static final Pattern NODE_NAME = Pattern.compile("(?!\\.\\.?$)[A-Za-z0-9_.-]{1,64}");

    /** The form of a string key's value, and what to call it when a value has another. */
    private record Form(Pattern pattern, String what) {
    }

    /** A host name or an IPv4 address; or an IPv6 address. No port, path or options: they are keys of their own. */
    private static final Form HOST = new Form(Pattern.compile("[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*"),
            "a host name or an IP address (no port: it is a key of its own)");
    /**
     * Keys whose non-empty values (each, for a list) must have a form, beyond their type; the database name goes into
     * the JDBC URL.
     */
    private static final Map<String, Form> FORMS = Map.of(
            "redis.<node>.host", HOST,
            "database.nodes.<node>.host", HOST,
            "database.nodes.<node>.name", new Form(Pattern.compile("[A-Za-z0-9_$]{1,64}"),
                    "a database name: letters, digits, '_' and '$', at most 64"),
            "maven_repositories", new Form(Pattern.compile("https?://[^\\s/?#]+(/[^\\s?#]*)?"),
                    "an http or https URL of a Maven repository's root"));

    /** Why a non-empty {@code value} of key {@code name} is not of the key's form, or null when it is (or has none). */
    static String formProblem(String name, String value) {
        Form form = FORMS.get(name);
        return form == null || value.isEmpty() || form.pattern().matcher(value).matches() ? null
                : "\"" + value + "\" is not " + form.what();
    }

    private ConfigSchema() {
    }

    /** Every key, in the order of the README's table. */
    public static List<ConfigKey> keys() {
        return KEYS;
    }

    /** The keys published in one PID (or factory PID). */
    public static List<ConfigKey> keysOf(String pid) {
        return KEYS.stream().filter(k -> k.pid().equals(pid)).toList();
    }

    /** The key of that name ({@code keep_alive}, {@code redis.<node>.port}). */
    public static ConfigKey key(String name) {
        return KEYS.stream().filter(k -> k.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no configuration key " + name));
    }

    /**
     * The member names an object of the file may have: its keys and the objects below it. {@code section} is
     * the object's name in the schema's form ({@code ""}, {@code redis.<node>}); a result holding {@link #NODE}
     * means any name (a map of nodes).
     */
    public static Set<String> membersOf(String section) {
        String prefix = section.isEmpty() ? "" : section + ".";
        Set<String> members = new LinkedHashSet<>();
        for (ConfigKey k : KEYS) {
            if (k.name().startsWith(prefix)) {
                String rest = k.name().substring(prefix.length());
                int dot = rest.indexOf('.');
                members.add(dot < 0 ? rest : rest.substring(0, dot));
            }
        }
        return members;
    }

    /** Whether {@code member} of {@code section} is an object holding more keys rather than a key. */
    static boolean isObject(String section, String member) {
        String name = section.isEmpty() ? member : section + "." + member;
        return KEYS.stream().anyMatch(k -> k.name().startsWith(name + "."));
    }

    /**
     * The known member of {@code section} that {@code unknown} is probably a misspelling of: at most two
     * letters added, left out, changed or swapped, and fewer than half of its letters.
     */
    public static Optional<String> closest(String section, String unknown) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String typed = unknown.toLowerCase(Locale.ROOT);
        for (String known : membersOf(section)) {
            if (known.equals(NODE)) {
                continue;
            }
            int distance = editDistance(typed, known);
            if (distance < bestDistance) {
                best = known;
                bestDistance = distance;
            }
        }
        return best != null && bestDistance <= Math.min(2, (typed.length() - 1) / 2) ? Optional.of(best)
                : Optional.empty();
    }

    /** Damerau-Levenshtein distance (optimal string alignment): a swap of two neighbours counts as one edit. */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static List<String> levelNames() {
        List<String> names = new ArrayList<>();
        Arrays.stream(LogLevel.values()).forEach(l -> names.add(l.name().toLowerCase(Locale.ROOT)));
        return names;
    }

    private static ConfigKey string(String name, String pid, String defaultValue, String description) {
        return new ConfigKey(name, pid, Type.STRING, defaultValue, 0, 0, List.of(), false, null, description);
    }

    private static ConfigKey integer(String name, String pid, Integer defaultValue, long min, long max,
                                     String description) {
        return new ConfigKey(name, pid, Type.INTEGER, defaultValue, min, max, List.of(), false, null, description);
    }

    private static ConfigKey bool(String name, String pid, boolean defaultValue, String description) {
        return new ConfigKey(name, pid, Type.BOOLEAN, defaultValue, 0, 0, List.of(), false, null, description);
    }

    private static ConfigKey strings(String name, String pid, String description) {
        return new ConfigKey(name, pid, Type.STRINGS, NONE, 0, 0, List.of(), false, null, description);
    }
}
