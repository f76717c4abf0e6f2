package org.kimserver.supervisor.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Which worker writes the class-data archive (as it exits), when the archive it wrote is put in place, which workers
 * start from it, and that an archive is never used for another class path or other options than it was written
 * with. The writers here are small processes that write (or not) the part the JVM would, and exit as told.
 */
public class ClassDataSharingTest {
    private static final String WRITE = "-XX:ArchiveClassesAtExit=";
    private Path dir;
    private Path cds;
    private Path jar;
    private Process writer;

    @Before
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("kimcds");
        cds = dir.resolve("data/cds");
        jar = Files.writeString(dir.resolve("a.jar"), "not really a jar");
    }

    @After
    public void tearDown() throws Exception {
        if (writer != null) {
            writer.destroyForcibly().waitFor();
        }
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    private WorkerCommand command(String... workerOptions) {
        return new WorkerCommand("/j/bin/java", List.of("-Xmx1g", "-Dkimserver.home=/k"), List.of(workerOptions),
                dir.toString(), "kim-gate", dir.resolve("c.sock"), () -> null, jar.toString(), "Main");
    }

    /** The part a writer started with {@code options} is to write as it exits. */
    private static Path part(List<String> options) {
        return options.stream().filter(o -> o.startsWith(WRITE)).map(o -> Path.of(o.substring(WRITE.length())))
                .findFirst().orElseThrow(() -> new AssertionError("no " + WRITE + " in " + options));
    }

    /** The archive the part becomes. */
    private static Path archiveOf(Path part) {
        return part.resolveSibling(part.getFileName().toString().replaceFirst("\\.part$", ""));
    }

    /** A process standing for a worker's JVM: it runs {@code script} (sh) and exits. */
    private static Process worker(String script) throws Exception {
        return new ProcessBuilder("sh", "-c", script).start();
    }

    private static void await(String what, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within 10 s");
            }
            Thread.sleep(20);
        }
    }

    @Test
    public void theArchiveAWriterLeavesAtANormalExitIsUsedByTheWorkersStartedAfter() throws Exception {
        Files.createDirectories(cds);
        Path leftover = Files.writeString(cds.resolve("worker-0011223344556677.jsa.part.temp"), "an earlier run's");
        ClassDataSharing sharing = new ClassDataSharing(cds);
        assertFalse("a part left by an earlier run is removed", Files.exists(leftover));

        List<String> first = sharing.options(command());
        Path part = part(first);
        Path archive = archiveOf(part);
        assertEquals(cds, archive.getParent());
        writer = worker("sleep 30");
        sharing.started(writer);
        assertEquals("while one is to write it, the others start without", List.of(), sharing.options(command()));
        sharing.started(worker("true"));

        // Killed (kill -9) after it had begun to write: what it wrote is no archive.
        Files.writeString(part, "half an archive");
        writer.destroyForcibly().waitFor();
        await("the killed writer's part removed", () -> !Files.exists(part));
        assertFalse(Files.exists(archive));

        List<String> again = sharing.options(command());
        assertEquals("the next worker started writes it", part, part(again));
        writer = worker("echo archive > " + part + "; exit 0");
        sharing.started(writer);
        await("the part put in place at the writer's normal exit", () -> Files.isRegularFile(archive));
        assertFalse(Files.exists(part));

        Path stale = Files.writeString(cds.resolve("worker-8899aabbccddeeff.jsa"), "another build's");
        List<String> from = sharing.options(command());
        assertTrue(from.toString(), from.contains("-XX:SharedArchiveFile=" + archive));
        assertTrue(from.toString(), from.contains("-D" + ClassDataSharing.ARCHIVE_PROPERTY + "=" + archive));
        assertFalse("another build's archive is removed once this one is there", Files.exists(stale));
    }

    @Test
    public void afterThreeExitsWithoutAnArchiveNoMoreAreAskedAndKimInfoSaysSo() throws Exception {
        ClassDataSharing sharing = new ClassDataSharing(cds);
        Path part = null;
        // Killed: no try. Then what a JVM does that cannot write it (data/cds read-only, a full disk): exit code 1;
        // and one that exited 0 without it.
        for (String exit : List.of("kill -9 $$", "exit 1", "exit 1", "exit 0")) {
            part = part(sharing.options(command()));
            writer = worker(exit);
            sharing.started(writer);
            writer.waitFor();
            Thread.sleep(200); // for the exit to be seen
        }
        assertEquals(List.of(), sharing.options(command()));
        String problem = String.valueOf(sharing.problem());
        assertTrue(problem, problem.contains("3 workers asked to write " + archiveOf(part)
                + " exited without writing it"));
        assertTrue("other options: another archive, asked for again",
                sharing.options(command("-Xmx256m")).stream().anyMatch(o -> o.startsWith(WRITE)));
    }

    @Test
    public void theWriterOfTheOldOptionsNeitherHoldsUpNorReplacesTheArchiveOfTheNewOnes() throws Exception {
        ClassDataSharing sharing = new ClassDataSharing(cds);
        Path old = part(sharing.options(command()));
        writer = worker("sleep 1; echo archive > " + old + "; exit 0");
        sharing.started(writer);
        Path stale = Files.writeString(cds.resolve("worker-8899aabbccddeeff.jsa"), "another build's");
        List<String> reloaded = sharing.options(command("-Xmx256m"));
        assertTrue("worker_java_opts changed by a reload: the first new worker writes the new archive " + reloaded,
                reloaded.stream().anyMatch(o -> o.startsWith(WRITE)));
        assertFalse("an archive of other options goes at once", Files.exists(stale));
        writer.waitFor();
        await("the old options' part removed", () -> !Files.exists(old));
        assertFalse("no archive for options no longer in force", Files.exists(archiveOf(old)));
    }

    @Test
    public void anArchiveBelongsToItsClassPathItsSystemBundlesAndItsOptions() throws Exception {
        ClassDataSharing sharing = new ClassDataSharing(cds);
        Path archive = part(sharing.options(command("-Xmx256m")));
        sharing.started(null);
        assertNotEquals("other worker_java_opts", archive, part(sharing.options(command("-Xmx512m"))));
        sharing.started(null);
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(3600)));
        Path newClassPath = part(sharing.options(command("-Xmx256m")));
        sharing.started(null);
        assertNotEquals("a jar of the class path replaced", archive, newClassPath);
        Files.writeString(Files.createDirectories(dir.resolve("system")).resolve("kimserver-gate.jar"), "bundle");
        assertNotEquals("a bundle of system/ added", newClassPath, part(sharing.options(command("-Xmx256m"))));
    }

    @Test
    public void aFolderOnTheClassPathMeansNoArchive() {
        WorkerCommand fromClasses = new WorkerCommand("/j/bin/java", List.of(), List.of(), dir.toString(), "kim-gate",
                dir.resolve("c.sock"), () -> null, jar + File.pathSeparator + dir, "Main");
        assertEquals("a JVM told to write one would not start", List.of(),
                new ClassDataSharing(cds).options(fromClasses));
    }

    @Test
    public void theUsersOwnClassDataSharingOptionsTurnItOffAndOursAreRemoved() throws Exception {
        ClassDataSharing sharing = new ClassDataSharing(cds);
        assertEquals(List.of(), sharing.options(command("-Xshare:off")));
        assertEquals(List.of(), sharing.options(command("-XX:SharedArchiveFile=/elsewhere.jsa")));
        assertEquals(List.of(), sharing.options(command("-XX:AOTCache=/app.aot")));
        assertFalse(Files.exists(cds));
        Files.createDirectories(cds);
        Path archive = Files.writeString(cds.resolve("worker-0011223344556677.jsa"), "written before");
        sharing.options(command("-Xshare:off"));
        assertFalse(Files.exists(archive));
    }
}
