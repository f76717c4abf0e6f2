package org.kimserver.config;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** The README's configuration table is what users read: it must list every key with the schema's default. */
public class ReadmeConfigTableTest {

    /** The rows of the table under "## Configuration": key (without backticks) to its cells. */
    private static Map<String, List<String>> rows() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("../../README.md"));
        int start = lines.indexOf("## Configuration");
        assertTrue("README has a Configuration section", start >= 0);
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String line : lines.subList(start, lines.size())) {
            if (line.startsWith("## ") && !rows.isEmpty()) {
                break;
            }
            if (line.startsWith("| `")) {
                List<String> cells = List.of(line.substring(1, line.length() - 1).split(" \\| ", -1)).stream()
                        .map(String::trim).toList();
                rows.put(cells.get(0).replace("`", ""), cells);
            }
        }
        return rows;
    }

    @Test
    public void everyKeyHasARowWithItsDefault() throws Exception {
        Map<String, List<String>> rows = rows();
        for (ConfigKey key : ConfigSchema.keys()) {
            List<String> row = rows.get(key.name());
            if (row == null) {
                fail("README.md's configuration table has no row for " + key.name() + " (rows: " + rows.keySet() + ")");
            }
            assertEquals("default of " + key.name(), key.defaultText(), row.get(row.size() - 1).replace("`", ""));
            assertEquals(key.name() + " is required in the schema, so its row says **required**", key.required(),
                    row.get(1).startsWith("**required**"));
        }
    }

    @Test
    public void noRowLacksAKey() throws Exception {
        for (String name : rows().keySet()) {
            ConfigSchema.key(name);
        }
    }
}
