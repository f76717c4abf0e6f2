package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Test;

/** {@code help kim:<command>} describes every kim command the running distribution has. */
public class KimHelpIT {
    private Path home;

    record Result(int exitCode, String output) {
    }

    @After
    public void stopIfRunning() throws Exception {
        if (home != null) {
            kimserver("stop");
        }
    }

    private Result kimserver(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/kimserver").toString()));
        command.addAll(List.of(args));
        return exec(home, command);
    }

    private static Result exec(Path dir, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish in 120 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    public void everyKimCommandHasADescription() throws Exception {
        Path dir = Files.createTempDirectory("kimserver-help");
        Result unzip = exec(dir, List.of("unzip", "-q", System.getProperty("kimserver.zip")));
        assertEquals(unzip.output(), 0, unzip.exitCode());
        try (var entries = Files.list(dir)) {
            home = entries.findFirst().orElseThrow();
        }
        Path config = home.resolve("etc/kimserver.json");
        Files.writeString(config, Files.readString(config)
                .replace("\"gate_port\": 3355", "\"gate_port\": " + KimContainer.freePort())
                .replace("\"node_port\": 3344", "\"node_port\": " + KimContainer.freePort()));
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());

        Result all = kimserver("console", "help");
        assertEquals(all.output(), 0, all.exitCode());
        List<String> commands = all.output().lines().map(String::strip).filter(l -> l.matches("kim:\\w+")).toList();
        assertTrue(all.output(), commands.containsAll(List.of("kim:info", "kim:log")));
        List<String> undescribed = new ArrayList<>();
        for (String command : commands) {
            Result help = kimserver("console", "help " + command);
            String function = command.substring("kim:".length());
            // gogo's help: "<function> - <description>" when the method has a @Descriptor, then its options.
            if (help.exitCode() != 0
                    || !Pattern.compile("(?m)^" + function + " - \\S").matcher(help.output()).find()) {
                undescribed.add(command + ":\n" + help.output());
            }
        }
        assertEquals("commands without a description in help", List.of(), undescribed);
    }
}
