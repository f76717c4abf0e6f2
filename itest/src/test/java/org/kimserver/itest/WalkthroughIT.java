package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.testkit.KimContainer;

/**
 * The README's walkthrough of a module project, run as it is written there: the archetype makes a project in a folder
 * outside this repository, Maven builds it and runs its unit and in-container tests, and it is installed into a
 * running distribution, called with kim-call, changed and updated live. Maven runs offline (the promise: once the
 * kimserver build has run, nothing more is downloaded), on the local repository this build installed into.
 */
public class WalkthroughIT {
    private static final Pattern BLOCK = Pattern.compile(
            "<!-- walkthrough: begin[^>]*-->\\s*```sh\\n(.*?)```\\s*<!-- walkthrough: end -->", Pattern.DOTALL);
    private static final long SCRIPT_MINUTES = 8;

    private UnzippedDistribution dist;
    private Path folder;

    @Before
    public void setUp() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-walkthrough");
        folder = Files.createTempDirectory("kimserver-module-project");
    }

    @After
    public void tearDown() throws Exception {
        try {
            dist.close();
        } finally {
            KimContainer.deleteTree(folder);
        }
    }

    @Test
    public void theReadmeWalkthroughMakesTestsDeploysAndUpdatesAModule() throws Exception {
        String readme = Files.readString(Path.of(System.getProperty("kimserver.readme")));
        Matcher block = BLOCK.matcher(readme);
        assertTrue("README.md has no walkthrough block", block.find());
        UnzippedDistribution.Result start = dist.kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());

        String script = "set -euxo pipefail\n"
                + "mvn() { command mvn -o -Dmaven.repo.local=\"$KIM_TEST_REPOSITORY\" \"$@\"; }\n"
                + block.group(1);
        ProcessBuilder bash = new ProcessBuilder("bash", "-c", script).directory(folder.toFile())
                .redirectErrorStream(true);
        bash.environment().put("KIMSERVER_HOME", dist.home().toString());
        bash.environment().put("GATE_PORT", Integer.toString(dist.gatePort()));
        bash.environment().put("JAVA_HOME", System.getProperty("java.home"));
        bash.environment().put("KIM_TEST_REPOSITORY",
                System.getProperty("org.ops4j.pax.url.mvn.localRepository"));
        Path log = folder.resolve("walkthrough.log");
        Process run = bash.redirectOutput(log.toFile()).start();
        if (!run.waitFor(SCRIPT_MINUTES, TimeUnit.MINUTES)) {
            run.destroyForcibly();
            throw new AssertionError("the walkthrough did not end in " + SCRIPT_MINUTES + " min:\n" + tail(log));
        }
        String output = Files.readString(log);
        assertEquals(tail(log), 0, run.exitValue());

        assertTrue("the project's unit test and in-container test ran, twice:\n" + tail(log),
                count(output, "Tests run: 2, Failures: 0, Errors: 0, Skipped: 0, Time elapsed") == 2
                        && count(output, "Tests run: 1, Failures: 0, Errors: 0, Skipped: 0, Time elapsed") == 2);
        assertEquals(output, 2, count(output, "deploy/hello-module-1.0.0.jar (com.example.hello-module 1.0.0):"
                + " rolled out"));
        List<String> data = output.lines().filter(line -> line.startsWith("data ")).toList();
        assertEquals(output, List.of("data   hello, kim", "data   1", "data   welcome, kim"), data);
        assertTrue("the project lies outside the repository", Files.isRegularFile(
                folder.resolve("hello-module/target/hello-module-1.0.0.jar")));
        assertEquals("a first note\n", Files.readString(dist.home().resolve("data/hello-module-notes.txt")));
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }

    private static String tail(Path log) throws Exception {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }
}
