package org.kimserver.config.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.api.diag.Problem;
import org.kimserver.config.KimConfig;
import org.slf4j.Logger;

public class ConfigFileWatchTest {
    private static final String VALID = "{\"node_type\": \"gate\", \"max_clients\": 10, \"log_path\": \"k.log\","
            + " \"log_level\": \"info\"}";
    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    private Path dir;
    private Path file;
    private Instant now = T0;
    /** "LEVEL message-pattern" of every call to the logger. */
    private final List<String> logged = new ArrayList<>();
    private final List<KimConfig> published = new ArrayList<>();
    private ConfigFileWatch watch;

    @Before
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("watch");
        file = dir.resolve("kimserver.json");
        Logger log = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                    if (List.of("error", "warn", "info").contains(method.getName())) {
                        logged.add(method.getName().toUpperCase() + " " + Arrays.toString(args));
                    }
                    return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
                });
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now;
            }
        };
        watch = new ConfigFileWatch(file, clock, log, published::add);
    }

    @After
    public void tearDown() throws Exception {
        Files.deleteIfExists(file);
        Files.delete(dir);
    }

    /** Checks as the publisher does, once a second, for {@code seconds} seconds. */
    private void checkFor(int seconds) {
        for (int i = 0; i < seconds; i++) {
            now = now.plusSeconds(1);
            watch.check();
        }
    }

    private long errorsLogged() {
        return logged.stream().filter(l -> l.startsWith("ERROR")).count();
    }

    @Test
    public void aReloadSaysAppliedUnchangedOrRefusedWithTheReasonTheProblemHas() throws Exception {
        Files.writeString(file, VALID);
        assertEquals(ConfigFileWatch.Outcome.APPLIED, watch.check());
        assertEquals(ConfigFileWatch.Outcome.UNCHANGED, watch.check());

        Files.writeString(file, VALID.replace("10", "\"lots\""));
        ConfigFileWatch.Outcome refused = watch.check();
        assertTrue(refused.isRefused());
        assertTrue(refused.reason(), refused.reason().contains("max_clients"));
        assertEquals(watch.problems().get(0).reason(), refused.reason());
        assertTrue(refused.describe("f"), refused.describe("f").startsWith("refused: f: "));
        // A reload after the poll has seen the broken file is refused again, not "unchanged".
        assertEquals(refused, watch.check());
        assertEquals(1, published.size());

        Files.delete(file);
        assertTrue(watch.check().reason().contains("not found"));

        Files.writeString(file, VALID);
        assertEquals("the content in force is back: nothing to apply", ConfigFileWatch.Outcome.UNCHANGED,
                watch.check());
        Files.writeString(file, VALID.replace("10", "12"));
        assertEquals(ConfigFileWatch.Outcome.APPLIED, watch.check());
        assertEquals(2, published.size());
    }

    @Test
    public void aDeletedFileIsLoggedOnceReportedWithItsTimeAndPickedUpWhenItReturns() throws Exception {
        Files.writeString(file, VALID);
        checkFor(1);
        assertEquals(1, published.size());
        assertEquals(List.of(), watch.problems());

        Files.delete(file);
        checkFor(1);
        Instant deleted = now;
        checkFor(59);
        assertEquals("a missing file is an error once, not once a second: " + logged, 1, errorsLogged());
        List<Problem> problems = watch.problems();
        assertEquals(1, problems.size());
        assertEquals(ConfigFileWatch.SUBJECT, problems.get(0).subject());
        assertTrue(problems.get(0).reason(), problems.get(0).reason().contains("not found"));
        assertTrue(problems.get(0).reason(), problems.get(0).reason().endsWith("a restart would fail"));
        assertEquals(deleted, problems.get(0).since());

        Files.writeString(file, VALID.replace("10", "11"));
        checkFor(1);
        assertEquals(List.of(), watch.problems());
        assertEquals("the file that came back is applied", 2, published.size());
        assertTrue(logged.toString(), logged.stream().anyMatch(l -> l.startsWith("INFO") && l.contains("is back")));
    }

    @Test
    public void aBrokenFileIsAProblemWithItsPositionUntilItIsFixed() throws Exception {
        Files.writeString(file, VALID);
        checkFor(1);
        Files.writeString(file, "{\n  \"node_type\": \"gate\",\n  oops\n}");
        checkFor(1);
        Instant broken = now;
        checkFor(10);
        assertEquals(1, errorsLogged());
        assertEquals(1, published.size());
        List<Problem> problems = watch.problems();
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).reason(), problems.get(0).reason().contains("line 3, column"));
        assertTrue(problems.get(0).reason(), problems.get(0).reason().contains("a restart would fail"));
        assertEquals(broken, problems.get(0).since());

        // Still broken, another way: the same problem, since the first break.
        Files.writeString(file, VALID.replace("10", "\"lots\""));
        checkFor(2);
        assertTrue(watch.problems().get(0).reason(), watch.problems().get(0).reason().contains("'max_clients'"));
        assertEquals(broken, watch.problems().get(0).since());

        // Put back as it was: nothing to apply, and nothing wrong any more.
        Files.writeString(file, VALID);
        checkFor(1);
        assertEquals(List.of(), watch.problems());
        assertEquals(1, published.size());
    }

    @Test
    public void anUnknownKeyIsAProblemNamingTheKeyItProbablyMeant() throws Exception {
        Files.writeString(file, VALID.replace("}", ", \"keep_alvie\": 100}"));
        checkFor(1);
        Instant seen = now;
        checkFor(3);
        List<Problem> problems = watch.problems();
        assertEquals(1, problems.size());
        assertEquals("unknown key 'keep_alvie' is ignored; did you mean 'keep_alive'?", problems.get(0).reason());
        assertEquals(seen, problems.get(0).since());

        Files.writeString(file, VALID.replace("}", ", \"keep_alive\": 100}"));
        checkFor(1);
        assertEquals(List.of(), watch.problems());
    }

    @Test
    public void anUnknownKeyIsLoggedOnceAfterTheConfigurationHoldingTheLogSettingsIsPublished() throws Exception {
        Files.writeString(file, VALID.replace("}", ", \"keep_alvie\": 100}"));
        watch.check();
        assertEquals(1, published.size());
        assertTrue("logged before the logging configuration is in force: " + logged,
                logged.stream().noneMatch(l -> l.startsWith("WARN")));
        checkFor(5);
        assertEquals(logged.toString(), 1, logged.stream().filter(l -> l.startsWith("WARN")
                && l.contains("keep_alvie")).count());
    }

    @Test
    public void aDeletedFileIsTheOnlyProblemWhileItIsGone() throws Exception {
        Files.writeString(file, VALID.replace("}", ", \"keep_alvie\": 100}"));
        checkFor(2);
        assertEquals(1, watch.problems().size());
        Files.delete(file);
        checkFor(1);
        assertEquals(1, watch.problems().size());
        assertTrue(watch.problems().get(0).reason(), watch.problems().get(0).reason().startsWith("file not found"));
        Files.writeString(file, VALID.replace("}", ", \"keep_alvie\": 100}"));
        checkFor(1);
        assertEquals(1, watch.problems().size());
        assertTrue(watch.problems().get(0).reason(), watch.problems().get(0).reason().contains("keep_alvie"));
    }

    @Test
    public void aFileThatIsNotUtf8SaysSoWithTheByte() throws Exception {
        byte[] text = VALID.replace("gate", "g\u00e4te").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(file, text);
        checkFor(1);
        assertEquals(1, watch.problems().size());
        int at = VALID.indexOf("gate") + 2;
        assertTrue(watch.problems().get(0).reason(), watch.problems().get(0).reason().startsWith(
                "not valid UTF-8 at byte " + at + " (the file must be UTF-8 text)"));
    }
}
