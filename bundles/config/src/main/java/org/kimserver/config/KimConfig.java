package org.kimserver.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code etc/kimserver.json}, validated and turned into Config Admin configurations.
 *
 * <p>The file takes the keys of co_kimserver's config.json with the same meaning; the original's own file loads
 * as is. Each JSON key becomes a property whose name has {@code _} replaced by {@code .} ({@code keep_alive}
 * becomes {@code keep.alive}), which is how DS maps a component property type method {@code keep_alive()}. The
 * file is read by {@link ConfigSchema}, key by key: what each key holds, its default and range, and its PID are
 * declared there and nowhere else.
 *
 * <p>This class has no OSGi dependency: the launcher uses it too, to refuse a broken file before the framework
 * starts.
 */
public final class KimConfig {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

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
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": file not found");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        try {
            return parse(bytes);
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
    }

    /** Validates the bytes of the file, which must be UTF-8; see {@link #parse(String)}. */
    public static KimConfig parse(byte[] utf8) throws ConfigException {
        CharBuffer text = CharBuffer.allocate(utf8.length);
        ByteBuffer in = ByteBuffer.wrap(utf8);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder(); // reports malformed input
        CoderResult result = decoder.decode(in, text, true);
        if (!result.isError()) {
            result = decoder.flush(text);
        }
        if (result.isError()) {
            throw new ConfigException("not valid UTF-8 at byte " + (in.position() + 1) + " (the file must be"
                    + " UTF-8 text)");
        }
        String json = text.flip().toString();
        // A byte-order mark, as some Windows editors write at the start of UTF-8 text, is no part of the JSON.
        return parse(json.startsWith("\uFEFF") ? json.substring(1) : json);
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
        Values values = new Values();
        read(new JsonObject(root, ""), "", values, warnings);

        Map<String, Map<String, Object>> configurations = new LinkedHashMap<>();
        for (String pid : List.of(ConfigSchema.SERVER_PID, ConfigSchema.GATE_PID, ConfigSchema.ZOOKEEPER_PID)) {
            Map<String, Object> properties = new LinkedHashMap<>();
            ConfigSchema.keysOf(pid).forEach(k -> properties.put(k.property(), values.get(k.name())));
            configurations.put(pid, properties);
        }
        Map<String, Map<String, Map<String, Object>>> factories = new LinkedHashMap<>();
        factories.put(ConfigSchema.REDIS_FACTORY_PID, nodes(ConfigSchema.REDIS_FACTORY_PID, "redis", values));
        factories.put(ConfigSchema.MYSQL_FACTORY_PID, nodes(ConfigSchema.MYSQL_FACTORY_PID, "database.nodes", values));

        String level = (String) values.get("log_level");
        LogSettings log = new LogSettings((String) values.get("log_path"), LogLevel.of(level),
                (Integer) values.get("log_max_size_mb"), (Integer) values.get("log_max_files"));
        return new KimConfig(configurations, factories, log, warnings);
    }

    /** The values read, by their full name in the file ({@code redis.test.port}), and the node names of each map. */
    private static final class Values {
        final Map<String, Object> byName = new LinkedHashMap<>();
        final Map<String, List<String>> nodes = new LinkedHashMap<>();

        Object get(String name) {
            return byName.get(name);
        }
    }

    /**
     * Reads one object of the file by the schema: {@code object} is at the path the file names it by, and
     * {@code section} is that path in the schema's form ({@code redis.<node>}).
     */
    private static void read(JsonObject object, String section, Values values, List<String> warnings)
            throws ConfigException {
        object.warnUnknown(section, warnings);
        String prefix = object.path().isEmpty() ? "" : object.path() + ".";
        String sectionPrefix = section.isEmpty() ? "" : section + ".";
        Map<String, Object> read = new HashMap<>();
        for (String member : ConfigSchema.membersOf(section)) {
            if (member.equals(ConfigSchema.NODE)) {
                List<String> names = object.keys();
                for (String node : names) {
                    // The name becomes part of a configuration PID and of service filters ((kim.db.node=test)).
                    if (!ConfigSchema.NODE_NAME.matcher(node).matches()) {
                        throw new ConfigException("key '" + object.path() + "': node name \"" + node + "\" is not"
                                + " a name: use letters, digits, '_', '-' and '.', at most 64 (not . or ..)");
                    }
                }
                values.nodes.put(object.path(), names);
                for (String node : names) {
                    read(object.requiredObject(node), sectionPrefix + member, values, warnings);
                }
            } else if (ConfigSchema.isObject(section, member)) {
                JsonObject inner = object.object(member);
                read(inner != null ? inner : JsonObject.empty(prefix + member), sectionPrefix + member, values,
                        warnings);
            } else {
                ConfigKey key = ConfigSchema.key(sectionPrefix + member);
                boolean required = key.required()
                        || key.requiredIf() != null && Boolean.TRUE.equals(read.get(key.requiredIf()));
                Object value = object.value(key, required);
                String badForm = switch (value) {
                    case String text -> ConfigSchema.formProblem(key.name(), text);
                    case String[] texts -> Arrays.stream(texts).map(text -> ConfigSchema.formProblem(key.name(), text))
                            .filter(Objects::nonNull).findFirst().orElse(null);
                    default -> null;
                };
                if (badForm != null) {
                    throw new ConfigException("key '" + prefix + member + "': " + badForm);
                }
                read.put(member, value);
                values.byName.put(prefix + member, value);
            }
        }
    }

    /**
     * One configuration for each node of the map at {@code nodesPath}: the node's keys, its name as property
     * {@code node}, and the keys of the factory PID outside the map (shared by every node).
     */
    private static Map<String, Map<String, Object>> nodes(String factoryPid, String nodesPath, Values values) {
        Map<String, Map<String, Object>> nodes = new LinkedHashMap<>();
        String nodeSection = nodesPath + "." + ConfigSchema.NODE + ".";
        for (String node : values.nodes.getOrDefault(nodesPath, List.of())) {
            Map<String, Object> properties = new LinkedHashMap<>();
            properties.put("node", node);
            for (ConfigKey key : ConfigSchema.keysOf(factoryPid)) {
                String name = key.name().startsWith(nodeSection)
                        ? nodesPath + "." + node + "." + key.simpleName() : key.name();
                properties.put(key.property(), values.get(name));
            }
            nodes.put(node, properties);
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
        /**
         * The log file of one process, relative to log/ as {@link #path()} is. The manager ({@code M0}) writes
         * {@code log_path} itself; worker n ({@code W<n>}) writes it with {@code _w_<n>} before the extension
         * ({@code kimserver.log} becomes {@code kimserver_w_1.log}), as the original names its worker processes.
         * One file per process: Log4j's size-based rotation renames the file it writes, which a second process
         * writing the same file would not notice.
         *
         * @throws IllegalArgumentException for a tag that is neither M0 nor W followed by a number from 1 up
         */
        public String pathFor(String processTag) {
            if (processTag.equals("M0")) {
                return path;
            }
            if (!processTag.matches("W[1-9][0-9]{0,8}")) {
                throw new IllegalArgumentException("not a process tag (M0, W1, W2, ...): '" + processTag + "'");
            }
            String suffix = "_w_" + processTag.substring(1);
            int nameStart = path.lastIndexOf('/') + 1;
            int dot = path.lastIndexOf('.');
            return dot > nameStart ? path.substring(0, dot) + suffix + path.substring(dot) : path + suffix;
        }
    }
}
