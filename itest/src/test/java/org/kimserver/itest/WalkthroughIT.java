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

        Path log = folder.resolve("walkthrough.log");
        String output = run(block.group(1), folder, log);

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

        // A library the server does not ship, carried in the module's jar as the generated bnd.bnd says.
        Path project = folder.resolve("hello-module");
        Path pom = project.resolve("pom.xml");
        Files.writeString(pom, Files.readString(pom).replace("    <dependency>\n      <groupId>junit</groupId>",
                "    <dependency>\n      <groupId>org.hdrhistogram</groupId>\n      <artifactId>HdrHistogram</artifactId>"
                        + "\n      <version>2.2.2</version>\n    </dependency>\n"
                        + "    <dependency>\n      <groupId>junit</groupId>"));
        Path bnd = project.resolve("bnd.bnd");
        Files.writeString(bnd, Files.readString(bnd).replace("#   -includeresource:", "-includeresource:")
                .replace("#   Import-Package:", "Import-Package:"));
        Files.writeString(project.resolve("src/main/java/com/example/hello/internal/LongestHandler.java"), """
                package com.example.hello.internal;

                import org.HdrHistogram.Histogram;
                import org.kimserver.api.CommandHandler;
                import org.kimserver.api.Reply;
                import org.kimserver.api.Request;
                import org.osgi.service.component.annotations.Component;

                @Component(property = CommandHandler.CMD + "=2005")
                public final class LongestHandler implements CommandHandler {
                    private final Histogram lengths = new Histogram(3);

                    @Override
                    public synchronized Reply handle(Request request) {
                        lengths.recordValue(request.data().length);
                        return Reply.ok("ok", Long.toString(lengths.getMaxValue()));
                    }
                }
                """);
        String redeploy = "mvn -B verify\n"
                + "unzip -l target/hello-module-1.0.0.jar lib/HdrHistogram.jar\n"
                + "\"$KIMSERVER_HOME/bin/kimserver\" console kim:install \"$PWD/target/hello-module-1.0.0.jar\"\n"
                + "\"$KIMSERVER_HOME/bin/kim-call\" 127.0.0.1 \"$GATE_PORT\" 2005 abcdefg\n";
        log = folder.resolve("library.log");
        output = run(redeploy, project, log);
        assertTrue(output, output.contains("rolled out") && output.lines().anyMatch("data   7"::equals));
    }

    /**
     * Runs {@code commands} with bash in {@code dir}, as a user of the server would, output to {@code log}; each must
     * succeed. Maven runs offline on the local repository of this build.
     */
    private String run(String commands, Path dir, Path log) throws Exception {
        String script = "set -euxo pipefail\n"
                + "mvn() { command mvn -o -Dmaven.repo.local=\"$KIM_TEST_REPOSITORY\" \"$@\"; }\n" + commands;
        ProcessBuilder bash = new ProcessBuilder("bash", "-c", script).directory(dir.toFile())
                .redirectErrorStream(true);
        bash.environment().put("KIMSERVER_HOME", dist.home().toString());
        bash.environment().put("GATE_PORT", Integer.toString(dist.gatePort()));
        bash.environment().put("JAVA_HOME", System.getProperty("java.home"));
        bash.environment().put("KIM_TEST_REPOSITORY",
                System.getProperty("org.ops4j.pax.url.mvn.localRepository"));
        Process run = bash.redirectOutput(log.toFile()).start();
        if (!run.waitFor(SCRIPT_MINUTES, TimeUnit.MINUTES)) {
            run.destroyForcibly();
            throw new AssertionError("the walkthrough did not end in " + SCRIPT_MINUTES + " min:\n" + tail(log));
        }
        assertEquals(tail(log), 0, run.exitValue());
        return Files.readString(log);
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
