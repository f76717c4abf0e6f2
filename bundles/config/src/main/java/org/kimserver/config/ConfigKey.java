package org.kimserver.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One key of {@code etc/kimserver.json}: where it goes, what it holds, and what it is when the file leaves it out.
 *
 * @param name          the key as written in the file, with its enclosing objects: {@code keep_alive},
 *                      {@code zookeeper.servers}; a node of a map is written {@code <node>}:
 *                      {@code redis.<node>.port}
 * @param pid           the Config Admin PID (or factory PID) the key is published in
 * @param type          what the value is
 * @param defaultValue  the value when the key is absent ({@link Integer}, {@link String}, {@link Boolean} or an
 *                      empty {@code String[]}); null for a required key
 * @param min           the smallest integer accepted (integers only)
 * @param max           the largest integer accepted (integers only)
 * @param choices       the only values accepted, lower case, compared ignoring case (strings only); empty: any
 * @param zeroIsDefault as the original: an integer 0 stands for the default
 * @param requiredIf    a boolean key of the same object that makes this one required when true; null: none
 * @param description   what the key does, in a sentence
 */
public record ConfigKey(String name, String pid, Type type, Object defaultValue, long min, long max,
                        List<String> choices, boolean zeroIsDefault, String requiredIf, String description) {

    /** The kinds of value a key holds. */
    public enum Type {
        STRING(String.class), INTEGER(int.class), BOOLEAN(boolean.class), STRINGS(String[].class);

        private final Class<?> javaType;

        Type(Class<?> javaType) {
            this.javaType = javaType;
        }

        /** The type of a component property type method that receives the key. */
        public Class<?> javaType() {
            return javaType;
        }
    }

    public ConfigKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pid, "pid");
        Objects.requireNonNull(type, "type");
        choices = List.copyOf(choices);
        Objects.requireNonNull(description, "description");
    }

    /** Whether the file must give the key (a non-empty string, any integer in range). */
    public boolean required() {
        return defaultValue == null;
    }

    /** The last part of the name: the JSON member name ({@code port} of {@code redis.<node>.port}). */
    public String simpleName() {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    /** The enclosing objects of the key ({@code redis.<node>}); empty for a top-level key. */
    public String section() {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(0, dot);
    }

    /**
     * The Config Admin property: the simple name with {@code _} replaced by {@code .}, which is how DS maps a
     * component property type method {@code keep_alive()} to {@code keep.alive}.
     */
    public String property() {
        return simpleName().replace('_', '.');
    }

    /** The value in a configuration's properties, or the default when the properties lack it. */
    public Object valueIn(Map<String, ?> properties) {
        Object value = properties == null ? null : properties.get(property());
        return value == null ? defaultValue : value;
    }

    /** The default as the README's configuration table writes it; empty for a required key. */
    public String defaultText() {
        if (defaultValue == null) {
            return "";
        }
        if (defaultValue instanceof String[] array) {
            return array.length == 0 ? "[]" : String.join(", ", array);
        }
        String text = defaultValue.toString();
        return text.isEmpty() ? "none" : text;
    }
}
