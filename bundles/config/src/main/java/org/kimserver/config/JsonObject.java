package org.kimserver.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Typed, validated access to the members of one JSON object; every error names the full key. */
final class JsonObject {
    private final JsonNode node;
    private final String path;

    JsonObject(JsonNode node, String path) {
        this.node = node;
        this.path = path;
    }

    /** An object with no members, standing for one the file leaves out: its keys take their defaults. */
    static JsonObject empty(String path) {
        return new JsonObject(JsonNodeFactory.instance.objectNode(), path);
    }

    /** The object's full name in the file; empty for the top level. */
    String path() {
        return path;
    }

    private String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private ConfigException wrongType(String name, String expected, JsonNode value) {
        return new ConfigException("key '" + key(name) + "': expected " + expected + ", got " + value);
    }

    List<String> keys() {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    /**
     * Warns of each member that {@code section} (the object's name in the schema's form) does not know, naming
     * the known one it is probably a misspelling of.
     */
    void warnUnknown(String section, List<String> warnings) {
        Set<String> known = ConfigSchema.membersOf(section);
        if (known.contains(ConfigSchema.NODE)) {
            return;
        }
        for (String name : keys()) {
            if (!known.contains(name)) {
                warnings.add("unknown key '" + key(name) + "' is ignored" + ConfigSchema.closest(section, name)
                        .map(k -> "; did you mean '" + key(k) + "'?").orElse(""));
            }
        }
    }

    /** The value of {@code key} (its simple name being a member of this object), checked against the schema. */
    Object value(ConfigKey key, boolean required) throws ConfigException {
        String name = key.simpleName();
        return switch (key.type()) {
            case STRING -> {
                String value = required ? requiredString(name) : string(name, (String) key.defaultValue());
                if (!key.choices().isEmpty()) {
                    String lower = value.trim().toLowerCase(Locale.ROOT);
                    if (!key.choices().contains(lower)) {
                        throw new ConfigException("key '" + key(name) + "': \"" + value + "\" is not supported"
                                + " (one of " + String.join(", ", key.choices()) + ")");
                    }
                    value = lower;
                }
                yield value;
            }
            case INTEGER -> {
                int min = (int) key.min();
                int max = (int) key.max();
                int value = required ? requiredInteger(name, min, max)
                        : integer(name, (Integer) key.defaultValue(), min, max);
                yield value == 0 && key.zeroIsDefault() ? key.defaultValue() : value;
            }
            case BOOLEAN -> bool(name, (Boolean) key.defaultValue());
            case STRINGS -> strings(name);
        };
    }

    private String string(String name, String fallback) throws ConfigException {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isTextual()) {
            throw wrongType(name, "a string", value);
        }
        return value.asText();
    }

    private String requiredString(String name) throws ConfigException {
        String value = string(name, "");
        if (value.isEmpty()) {
            throw new ConfigException("missing required key '" + key(name) + "' (a non-empty string)");
        }
        return value;
    }

    /**
     * An integer within [min, max]. A string of digits is accepted too: the original read every number through
     * a string, so {@code "port": "3344"} worked there.
     */
    private int integer(String name, int fallback, int min, int max) throws ConfigException {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        long number;
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            number = value.asLong();
        } else if (value.isTextual() && value.asText().matches("-?\\d{1,18}")) {
            number = Long.parseLong(value.asText());
        } else {
            throw wrongType(name, "an integer", value);
        }
        if (number < min || number > max) {
            throw new ConfigException("key '" + key(name) + "': " + number + " is out of range [" + min + ", "
                    + max + "]");
        }
        return (int) number;
    }

    private int requiredInteger(String name, int min, int max) throws ConfigException {
        if (node.get(name) == null || node.get(name).isNull()) {
            throw new ConfigException("missing required key '" + key(name) + "' (an integer from " + min + ")");
        }
        return integer(name, 0, min, max);
    }

    private boolean bool(String name, boolean fallback) throws ConfigException {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw wrongType(name, "true or false", value);
        }
        return value.asBoolean();
    }

    private String[] strings(String name) throws ConfigException {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return new String[0];
        }
        if (!value.isArray()) {
            throw wrongType(name, "an array of strings", value);
        }
        String[] out = new String[value.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode item = value.get(i);
            if (!item.isTextual()) {
                throw new ConfigException("key '" + key(name) + "[" + i + "]': expected a string, got " + item);
            }
            out[i] = item.asText();
        }
        return out;
    }

    /** The member object, or null when the key is absent. */
    JsonObject object(String name) throws ConfigException {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isObject()) {
            throw wrongType(name, "an object", value);
        }
        return new JsonObject(value, key(name));
    }

    JsonObject requiredObject(String name) throws ConfigException {
        JsonObject value = object(name);
        if (value == null) {
            throw new ConfigException("missing required key '" + key(name) + "' (an object)");
        }
        return value;
    }
}
