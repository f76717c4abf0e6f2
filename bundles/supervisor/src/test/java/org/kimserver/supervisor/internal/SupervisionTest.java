package org.kimserver.supervisor.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.kimserver.supervisor.internal.ControlLinkTest.await;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.After;
import org.junit.Test;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.WorkerInfo;
import org.kimserver.proto.ModuleReport;

/** Supervision with real child JVMs running the real worker side of the control link. */
public class SupervisionTest {
    private Path dir;
    private WorkerSupervisor supervisor;
    private final List<WorkerSupervisor.UpState> ups = new CopyOnWriteArrayList<>();

    private WorkerCommand command;

    /** The fake workers deploy nothing. */
    private static final WorkerSupervisor.Modules NO_MODULES = new WorkerSupervisor.Modules() {
        @Override
        public void prepare(int index) {
        }

        @Override
        public boolean deployed(int index, ModuleReport report) {
            return true;
        }
    };

    private WorkerSupervisor start(int workers, Class<?> main, String... workerOptions) throws Exception {
        dir = Files.createTempDirectory("kims");
        List<String> options = new ArrayList<>(List.of("-Xmx64m", "-XX:TieredStopAtLevel=1"));
        options.addAll(List.of(workerOptions));
        command = new WorkerCommand(ProcessHandle.current().info().command().orElseThrow(),
                ManagementFactory.getRuntimeMXBean().getInputArguments(), options,
                dir.toString(), "kimtest", dir.resolve("c.sock"), () -> null, System.getProperty("java.class.path"),
                main.getName());
        supervisor = new WorkerSupervisor(workers, command, Duration.ofSeconds(3), ups::add, NO_MODULES,
                new ClassDataSharing(dir.resolve("cds")));
        supervisor.start(() -> true, Duration.ZERO);
        return supervisor;
    }

    @After
    public void stop() throws Exception {
        if (supervisor != null) {
            supervisor.stop(false);
        }
        if (dir != null) {
            Files.deleteIfExists(dir.resolve("cds")); // made for an archive, which the fake workers do not write
            Files.deleteIfExists(dir);
        }
    }

    private boolean allUp() {
        return supervisor.workers().stream().allMatch(w -> w.state().equals(WorkerInfo.UP));
    }

    @Test
    public void workersRegisterAndTheManagerIsUpThenAKilledOneIsReplacedAtOnce() throws Exception {
        start(2, FakeWorkerMain.class);
        await(this::allUp, 15_000);
        await(() -> supervisor.upState().equals(WorkerSupervisor.UpState.LISTENING) && !ups.isEmpty(), 2000);
        assertEquals("listening", ups.get(ups.size() - 1).state());
        await(() -> supervisor.workers().get(1).connections() == 2, 3000);
        WorkerInfo first = supervisor.workers().get(0);
        assertTrue(first.heapMax() > 0);

        new ProcessBuilder("kill", "-9", Long.toString(first.pid())).start().waitFor();
        await(() -> {
            WorkerInfo now = supervisor.workers().get(0);
            return now.pid() != first.pid() && now.pid() > 0 && now.state().equals(WorkerInfo.UP);
        }, 2000);
        WorkerInfo replaced = supervisor.workers().get(0);
        assertEquals(1, replaced.restarts());
        assertTrue(replaced.lastExit(), replaced.lastExit().startsWith("exit code 137 after "));
        assertEquals("a later exit does not make the manager fail", "listening", supervisor.upState().state());
    }

    /** A worker that stops reporting (here: SIGSTOP) is a problem for kim:info, and is none again once it reports. */
    @Test
    public void aFrozenWorkerIsAProblemUntilItReportsAgain() throws Exception {
        start(2, FakeWorkerMain.class);
        await(this::allUp, 15_000);
        await(() -> supervisor.workers().get(0).connections() == 1, 3000); // a report came
        assertTrue(supervisor.problems().toString(), supervisor.problems().isEmpty());
        long pid = supervisor.workers().get(0).pid();
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        try {
            await(() -> supervisor.problems().stream().anyMatch(p -> p.subject().equals("worker 1")
                    && p.reason().startsWith("pid " + pid + " has sent no report for ")), 10_000);
            assertEquals(WorkerInfo.SILENT, supervisor.workers().get(0).state());
            assertEquals(WorkerInfo.UP, supervisor.workers().get(1).state());
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
        }
        await(() -> supervisor.problems().isEmpty(), 5000);
        assertEquals(WorkerInfo.UP, supervisor.workers().get(0).state());
    }

    @Test
    public void aFastStopKillsAtOnceWhatAGracefulStopWouldWaitFor() throws Exception {
        // The workers ignore SIGTERM: a graceful stop would wait its 3 s for them, then kill them.
        start(2, FakeWorkerMain.class, "-Dfake.ignore.term=true");
        await(this::allUp, 15_000);
        List<Process> processes = List.of(supervisor.process(1), supervisor.process(2));
        long began = System.nanoTime();
        supervisor.stop(true);
        supervisor = null;
        long tookMs = (System.nanoTime() - began) / 1_000_000;
        assertTrue("a fast stop took " + tookMs + " ms", tookMs < 2000);
        for (Process p : processes) {
            assertEquals("killed, not stopped", 137, p.exitValue());
        }
    }

    @Test
    public void stoppingLeavesNoWorkerProcess() throws Exception {
        start(2, FakeWorkerMain.class);
        await(this::allUp, 15_000);
        List<Long> pids = supervisor.workers().stream().map(WorkerInfo::pid).toList();
        supervisor.stop(false);
        supervisor = null;
        for (long pid : pids) {
            assertFalse("worker pid " + pid + " is gone", ProcessHandle.of(pid).map(ProcessHandle::isAlive)
                    .orElse(false));
        }
        assertFalse("the control socket is removed", Files.exists(dir.resolve("c.sock")));
    }

    @Test
    public void aWorkerWhoseStandardInputEndsExits() throws Exception {
        start(1, FakeWorkerMain.class);
        await(this::allUp, 15_000);
        Process process = supervisor.process(1);
        process.getOutputStream().close(); // what the manager's death does to the pipe
        await(() -> !process.isAlive(), 5000);
        assertEquals(252, process.exitValue());
    }

    @Test
    public void aCrashLoopBacksOffAndAWorkerThatNeverStartedFailsTheStart() throws Exception {
        start(1, CrashingWorkerMain.class);
        await(() -> !ups.isEmpty(), 15_000);
        WorkerSupervisor.UpState failed = ups.get(0);
        assertEquals("failed", failed.state());
        assertTrue(failed.error(), failed.error().contains("exit code 3")
                && failed.error().contains("log/kimserver_w_1.log"));
        // Restarts at 0 s, then after 1 s, 2 s, 4 s: within 6 s of the first exit about 4 starts, not dozens.
        Thread.sleep(6000);
        int restarts = supervisor.workers().get(0).restarts();
        assertTrue("restarts in 6 s: " + restarts, restarts >= 3 && restarts <= 5);
    }

    @Test
    public void aCrashLoopIsAProblemUntilTheWorkerHasLivedPastIt() throws Exception {
        start(1, FakeWorkerMain.class, "-Dfake.crashes=2:" + Files.createTempFile("kimcrash", "").toString());
        await(() -> supervisor.problems().stream().anyMatch(p -> p.reason().startsWith("in a crash loop")), 15_000);
        await(this::allUp, 15_000);
        Thread.sleep(WorkerSupervisor.SHORT_LIFE.toMillis() + 500);
        assertEquals("a worker up for longer than a crash-loop life", List.of(), supervisor.problems());
    }

    @Test
    public void aWorkerWhoseGateFailsFailsTheStartWithItsReason() throws Exception {
        start(1, FakeWorkerMain.class, "-Dfake.gate.error=Address already in use");
        await(() -> !ups.isEmpty(), 15_000);
        WorkerSupervisor.UpState failed = ups.get(0);
        assertEquals("failed", failed.state());
        assertEquals("worker 1: Address already in use; see log/kimserver_w_1.log", failed.error());
        assertEquals("127.0.0.1:1", failed.address());
        assertEquals(WorkerInfo.STARTING, supervisor.workers().get(0).state());
    }

    @Test
    public void theProblemsAWorkerReportsAreTheManagersUnderTheWorkersName() throws Exception {
        start(2, FakeWorkerMain.class, "-Dfake.problem=component x (bundle y)");
        await(this::allUp, 15_000);
        await(() -> supervisor.problems().size() == 2, 5000);
        Problem first = supervisor.problems().get(0);
        assertEquals("worker 1: component x (bundle y)", first.subject());
        assertEquals("fake worker's problem", first.reason());
        assertEquals(Instant.ofEpochMilli(1_000_000), first.since());
        assertEquals("worker 2: component x (bundle y)", supervisor.problems().get(1).subject());
    }

    @Test
    public void aLargerWorkerCountStartsNewIndicesAndASmallerOneStopsTheHighestOnly() throws Exception {
        start(1, FakeWorkerMain.class);
        await(this::allUp, 15_000);
        long first = supervisor.workers().get(0).pid();
        supervisor.resize(3);
        await(() -> supervisor.workers().size() == 3 && allUp(), 15_000);
        long third = supervisor.workers().get(2).pid();
        supervisor.resize(2);
        await(() -> supervisor.workers().size() == 2, 10_000);
        assertFalse("the highest index is stopped", ProcessHandle.of(third).map(ProcessHandle::isAlive)
                .orElse(false));
        supervisor.resize(1);
        await(() -> supervisor.workers().size() == 1, 10_000);
        assertEquals("the lowest index is kept, not restarted", first, supervisor.workers().get(0).pid());
        assertEquals(0, supervisor.workers().get(0).restarts());
        assertTrue(allUp());
    }

    @Test
    public void aSingleWorkerIsReplacedWithABridgeSoThatOneIsAlwaysUp() throws Exception {
        start(1, FakeWorkerMain.class);
        await(this::allUp, 15_000);
        assertReplacedWhileOneIsAlwaysUp(1);
    }

    @Test
    public void workersAreReplacedOneAtATime() throws Exception {
        start(3, FakeWorkerMain.class);
        await(this::allUp, 15_000);
        assertReplacedWhileOneIsAlwaysUp(2);
    }

    /** Replaces every worker with new options and watches that never fewer than {@code atLeastUp} are up. */
    private void assertReplacedWhileOneIsAlwaysUp(int atLeastUp) throws Exception {
        List<WorkerInfo> before = supervisor.workers();
        supervisor.replaceWith(command.withWorkerOptions(List.of("-Xmx64m", "-Dfake.generation=2")));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int mostAtOnce = 0;
        while (true) {
            List<WorkerInfo> now = supervisor.workers();
            long up = now.stream().filter(w -> w.state().equals(WorkerInfo.UP)).count();
            assertTrue("never fewer than " + atLeastUp + " up: " + now, up >= atLeastUp);
            mostAtOnce = Math.max(mostAtOnce, now.size());
            boolean replaced = now.size() == before.size() && allUp() && now.stream().allMatch(w -> before.stream()
                    .noneMatch(b -> b.pid() == w.pid()));
            if (replaced) {
                break;
            }
            assertTrue("replaced within 30 s: " + now, System.nanoTime() < deadline);
            Thread.sleep(10);
        }
        for (WorkerInfo w : supervisor.workers()) {
            String command = ProcessHandle.of(w.pid()).orElseThrow().info().commandLine().orElse("");
            assertTrue(command, command.contains("-Dfake.generation=2"));
        }
        assertEquals(before.size() == 1 ? "a bridge took the clients meanwhile" : "no bridge with others up",
                before.size() == 1 ? 2 : before.size(), mostAtOnce);
    }

    @Test
    public void theBackOffDoublesUpTo30Seconds() {
        assertEquals(Duration.ZERO, WorkerSupervisor.restartDelay(0));
        assertEquals("the first restart is at once", Duration.ZERO, WorkerSupervisor.restartDelay(1));
        assertEquals(Duration.ofSeconds(1), WorkerSupervisor.restartDelay(2));
        assertEquals(Duration.ofSeconds(2), WorkerSupervisor.restartDelay(3));
        assertEquals(Duration.ofSeconds(16), WorkerSupervisor.restartDelay(6));
        assertEquals(Duration.ofSeconds(30), WorkerSupervisor.restartDelay(7));
        assertEquals(Duration.ofSeconds(30), WorkerSupervisor.restartDelay(Integer.MAX_VALUE));
    }

    @Test
    public void theCommandLineHasTheWorkerOptionsAfterTheManagersAndTheNameInIt() {
        WorkerCommand command = new WorkerCommand("/j/bin/java", List.of("-Xmx1g", "-Dkimserver.name=kim"),
                List.of("-Xmx256m"), "/home/k", "kim-gate", Path.of("/tmp/x/control.sock"), () -> "/tmp/x/h.sock",
                "/home/k/lib/a.jar", "org.kimserver.launcher.Main");
        assertEquals(List.of("/j/bin/java", "-Xmx1g", "-Xmx256m", "-Dkimserver.home=/home/k",
                "-Dkimserver.name=kim-gate_w_3", "-Dkimserver.control=/tmp/x/control.sock",
                "-Dkimserver.deploy=/home/k/data/w3/deploy", "-Dkimserver.handoff=/tmp/x/h.sock", "-cp", "/home/k/lib/a.jar", "org.kimserver.launcher.Main",
                "worker", "3"), command.forWorker(3, List.of()));
        assertNotEquals(command.forWorker(1, List.of()), command.forWorker(2, List.of()));
    }
}
