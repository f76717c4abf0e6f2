package org.kimserver.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code etc/kimserver.json}, validated and turned into Config Admin configurations.
 *
 * <p>The file takes the keys of co_kimserver's config.json with the same meaning; the original's own file loads
 * as is. Each JSON key becomes a property whose name has {@code _} replaced by {@code .} ({@code keep_alive}
 * becomes {@code keep.alive}), which is how DS maps a component property type method {@code keep_alive()}.
 *
 * <p>This class has no OSGi dependency: the launcher uses it too, to refuse a broken file before the framework
 * starts.
 */
public final class KimConfig {

    /** PID of the node-wide settings: server_name, node_type, worker_cnt, node_host/port, modules. */
    public static final String SERVER_PID = "kimserver.server";
    /** PID of the client listener settings: gate_host/port, gate_codec, keep_alive, max_clients, is_reuseport. */
    public static final String GATE_PID = "kimserver.gate";
    /** PID of the ZooKeeper settings. */
    public static final String ZOOKEEPER_PID = "kimserver.zookeeper";
    /** Factory PID of the Redis nodes; one configuration a node, named after it. */
    public static final String REDIS_FACTORY_PID = "kimserver.redis";
    /** Factory PID of the MySQL/MariaDB nodes; one configuration a node, named after it. */
    public static final String MYSQL_FACTORY_PID = "kimserver.mysql";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final Set<String> TOP_LEVEL_KEYS = Set.of(
            "server_name", "worker_cnt", "node_type", "node_host", "node_port", "gate_host", "gate_port",
            "gate_codec", "keep_alive", "log_path", "log_level", "log_max_size_mb", "log_max_files",
            "max_clients", "max_frame_size", "close_on_unknown_cmd", "handler_grace_ms", "io_threads",
            "frame_timeout_ms", "min_body_rate", "max_clients_per_ip", "max_buffered_mb", "stop_timeout_ms",
            "is_reuseport", "modules", "redis", "database", "zookeeper");

    private final Map<String, Map<String, Object>> configurations;
    private final Map<String, Map<String, Map<String, Object>>> factoryConfigurations;
    private final LogSettings log;
    private final List<String> warnings;

    private KimConfig(Map<String, Map<String, Object>> configurations,
                      Map<String, Map<String, Map<String, Object>>> factoryConfigurations,
                      LogSettings log, List<String> warnings) {
        this.configurations = Collections.unmodifiableMap(configurations);
        this.factoryConfigurations = Collections.unmodifiableMap(factoryConfigurations);
        this.log = log;
        this.warnings = List.copyOf(warnings);
    }

    /** Reads and validates the file. */
    public static KimConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": file not found");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        try {
            return parse(text);
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
    }

    /** Validates JSON text; the messages of a {@link ConfigException} name the offending key. */
    public static KimConfig parse(String text) throws ConfigException {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            var where = e.getLocation();
            throw new ConfigException("not valid JSON at line " + where.getLineNr() + ", column "
                    + where.getColumnNr() + ": " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException("the file must hold one JSON object");
        }
        List<String> warnings = new ArrayList<>();
        JsonObject top = new JsonObject(root, "");
        top.warnUnknown(TOP_LEVEL_KEYS, warnings);

        Map<String, Map<String, Object>> configurations = new LinkedHashMap<>();
        configurations.put(SERVER_PID, server(top));
        configurations.put(GATE_PID, gate(top));
        configurations.put(ZOOKEEPER_PID, zookeeper(top, warnings));

        Map<String, Map<String, Map<String, Object>>> factories = new LinkedHashMap<>();
        factories.put(REDIS_FACTORY_PID, redis(top, warnings));
        factories.put(MYSQL_FACTORY_PID, mysql(top, warnings));

        LogSettings log = new LogSettings(
                top.requiredString("log_path"),
                LogLevel.parse(top, "log_level"),
                top.integer("log_max_size_mb", 64, 1, 1 << 20),
                top.integer("log_max_files", 10, 1, 1000));
        return new KimConfig(configurations, factories, log, warnings);
    }

    private static Map<String, Object> server(JsonObject top) throws ConfigException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("server.name", top.string("server_name", "kimserver"));
        p.put("node.type", top.requiredString("node_type"));
        p.put("worker.cnt", top.integer("worker_cnt", 1, 1, 1024));
        p.put("node.host", top.string("node_host", ""));
        p.put("node.port", top.integer("node_port", 0, 0, 65535));
        p.put("modules", top.strings("modules"));
        return p;
    }

    private static Map<String, Object> gate(JsonObject top) throws ConfigException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("gate.host", top.string("gate_host", ""));
        p.put("gate.port", top.integer("gate_port", 0, 0, 65535));
        String codec = top.string("gate_codec", "protobuf").toLowerCase(Locale.ROOT);
        if (!codec.equals("protobuf")) {
            throw new ConfigException("key 'gate_codec': \"" + codec + "\" is not supported (supported: protobuf)");
        }
        p.put("gate.codec", codec);
        // As the original: keep_alive is in milliseconds, and only a value above 0 replaces the default.
        int keepAlive = top.integer("keep_alive", 15000, 0, Integer.MAX_VALUE);
        p.put("keep.alive", keepAlive > 0 ? keepAlive : 15000);
        p.put("max.clients", top.requiredInteger("max_clients", 1, Integer.MAX_VALUE));
        // Limits the original lacks: a frame above max_frame_size closes the connection before it is buffered.
        p.put("max.frame.size", top.integer("max_frame_size", 1 << 20, 64, Integer.MAX_VALUE));
        p.put("close.on.unknown.cmd", top.bool("close_on_unknown_cmd", true));
        p.put("handler.grace.ms", top.integer("handler_grace_ms", 3000, 0, 600_000));
        p.put("io.threads", top.integer("io_threads", 0, 0, 1024));
        // Limits against slow and greedy clients, and the graceful stop.
        p.put("frame.timeout.ms", top.integer("frame_timeout_ms", 10_000, 100, 3_600_000));
        p.put("min.body.rate", top.integer("min_body_rate", 65_536, 0, Integer.MAX_VALUE));
        p.put("max.clients.per.ip", top.integer("max_clients_per_ip", 0, 0, Integer.MAX_VALUE));
        p.put("max.buffered.mb", top.integer("max_buffered_mb", 128, 1, 1 << 20));
        p.put("stop.timeout.ms", top.integer("stop_timeout_ms", 10_000, 0, 600_000));
        p.put("is.reuseport", top.bool("is_reuseport", false));
        return p;
    }

    private static Map<String, Object> zookeeper(JsonObject top, List<String> warnings) throws ConfigException {
        JsonObject zk = top.object("zookeeper");
        Map<String, Object> p = new LinkedHashMap<>();
        boolean open = zk != null && zk.bool("is_open", false);
        p.put("is.open", open);
        if (zk == null) {
            return p;
        }
        zk.warnUnknown(Set.of("is_open", "servers", "log_path", "log_level", "root", "watch_node_type"), warnings);
        p.put("servers", open ? zk.requiredString("servers") : zk.string("servers", ""));
        p.put("root", open ? zk.requiredString("root") : zk.string("root", "/kimserver"));
        p.put("log.path", zk.string("log_path", ""));
        String level = zk.string("log_level", "info").toLowerCase(Locale.ROOT);
        if (!Set.of("debug", "info", "warn", "error").contains(level)) {
            throw new ConfigException("key 'zookeeper.log_level': \"" + level
                    + "\" is not a level (one of debug, info, warn, error)");
        }
        p.put("log.level", level);
        p.put("watch.node.type", zk.strings("watch_node_type"));
        return p;
    }

    private static Map<String, Map<String, Object>> redis(JsonObject top, List<String> warnings)
            throws ConfigException {
        Map<String, Map<String, Object>> nodes = new LinkedHashMap<>();
        JsonObject redis = top.object("redis");
        if (redis == null) {
            return nodes;
        }
        for (String name : redis.keys()) {
            JsonObject node = redis.requiredObject(name);
            node.warnUnknown(Set.of("host", "port", "max_conn_cnt"), warnings);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("node", name);
            p.put("host", node.requiredString("host"));
            p.put("port", node.requiredInteger("port", 1, 65535));
            p.put("max.conn.cnt", node.requiredInteger("max_conn_cnt", 1, 1024));
            nodes.put(name, p);
        }
        return nodes;
    }

    private static Map<String, Map<String, Object>> mysql(JsonObject top, List<String> warnings)
            throws ConfigException {
        Map<String, Map<String, Object>> nodes = new LinkedHashMap<>();
        JsonObject database = top.object("database");
        if (database == null) {
            return nodes;
        }
        database.warnUnknown(Set.of("slowlog_log_slower_than", "nodes"), warnings);
        int slowLog = database.integer("slowlog_log_slower_than", 0, 0, Integer.MAX_VALUE);
        JsonObject list = database.object("nodes");
        if (list == null) {
            return nodes;
        }
        for (String name : list.keys()) {
            JsonObject node = list.requiredObject(name);
            node.warnUnknown(Set.of("host", "port", "user", "password", "charset", "max_conn_cnt", "name"),
                    warnings);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("node", name);
            p.put("host", node.requiredString("host"));
            p.put("port", node.requiredInteger("port", 1, 65535));
            p.put("user", node.requiredString("user"));
            p.put("password", node.string("password", ""));
            p.put("charset", node.string("charset", "utf8mb4"));
            // As the original: 0 or missing means 5.
            int maxConn = node.integer("max_conn_cnt", 5, 0, 1024);
            p.put("max.conn.cnt", maxConn == 0 ? 5 : maxConn);
            p.put("name", node.string("name", "mysql"));
            p.put("slowlog.log.slower.than", slowLog);
            nodes.put(name, p);
        }
        return nodes;
    }

    /** Configurations of singleton PIDs, PID to properties. */
    public Map<String, Map<String, Object>> configurations() {
        return configurations;
    }

    /** Factory configurations: factory PID to configuration name to properties. */
    public Map<String, Map<String, Map<String, Object>>> factoryConfigurations() {
        return factoryConfigurations;
    }

    /** The logging keys: log_path, log_level and the rotation limits. */
    public LogSettings log() {
        return log;
    }

    /** Things that are accepted but probably a mistake, such as unknown keys. */
    public List<String> warnings() {
        return warnings;
    }

    /** The logging keys of the file. */
    public record LogSettings(String path, LogLevel level, int maxSizeMb, int maxFiles) {
    }
}
