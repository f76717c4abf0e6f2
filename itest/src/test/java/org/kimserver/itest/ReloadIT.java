package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.itest.UnzippedDistribution.await;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.itest.UnzippedDistribution.Result;
import org.kimserver.testkit.WireClient;

/**
 * A reload of etc/kimserver.json (SIGHUP, bin/kimserver reload, kim:reload) on the distribution as a user runs it:
 * a broken file is refused with its reason while the server serves on, worker_cnt starts and stops workers, and new
 * worker_java_opts replace every worker without a client noticing.
 */
public class ReloadIT {
    /** One row of kim:workers: index, pid and state. */
    private static final Pattern WORKER_ROW = Pattern.compile("(?m)^(\\d+)\\s+(\\d+|-)\\s+(\\w+)\\s");

    private UnzippedDistribution dist;

    @Before
    public void startServer() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-reload");
        dist.startServing("1001");
    }

    @After
    public void stopServer() throws Exception {
        if (dist != null) {
            dist.close();
        }
    }

    /** Worker index to pid, and to state, as kim:workers prints them. */
    private Map<Integer, Long> workerPids(Map<Integer, String> states) throws Exception {
        Result workers = dist.kimserver("console", "kim:workers");
        assertEquals(workers.output(), 0, workers.exitCode());
        Map<Integer, Long> pids = new TreeMap<>();
        Matcher row = WORKER_ROW.matcher(workers.output());
        while (row.find()) {
            int index = Integer.parseInt(row.group(1));
            pids.put(index, row.group(2).equals("-") ? -1 : Long.parseLong(row.group(2)));
            states.put(index, row.group(3));
        }
        return pids;
    }

    private Map<Integer, Long> upWorkers() throws Exception {
        Map<Integer, String> states = new TreeMap<>();
        Map<Integer, Long> pids = workerPids(states);
        return states.values().stream().allMatch("up"::equals) ? pids : Map.of();
    }

    /** One request on a new connection, answered by module-test's 1001 handler. */
    private void request(int seq) throws IOException {
        try (WireClient client = new WireClient(dist.gatePort())) {
            WireClient.Frame reply = client.send(WireClient.request(1001, seq, seq + " - hello")).read();
            if (reply.cmd() != 1002 || reply.seq() != seq) {
                throw new IOException("reply cmd " + reply.cmd() + " seq " + reply.seq() + " to request " + seq);
            }
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private Result kill(String signal, long pid) throws Exception {
        return dist.run(List.of("kill", "-" + signal, Long.toString(pid)));
    }

    @Test
    public void aBrokenFileIsRefusedWithItsReasonAndNothingStopsServing() throws Exception {
        long manager = dist.pid();
        Map<Integer, Long> workers = upWorkers();
        assertEquals(1, workers.size());
        dist.editConfig(json -> json.replaceFirst("\"max_clients\": \\d+", "\"max_clients\": \"lots\""));

        Result reload = dist.kimserver("reload");
        assertEquals(reload.output(), 1, reload.exitCode());
        assertTrue(reload.output(), reload.output().contains("refused: etc/kimserver.json: key 'max_clients':"
                + " expected an integer, got \"lots\"; the configuration in force is kept"));
        Result console = dist.kimserver("console", "kim:reload");
        assertEquals("a refusal fails the command: " + console.output(), 1, console.exitCode());
        assertTrue(console.output(), console.output().contains("key 'max_clients': expected an integer"));

        // SIGHUP ends no process: neither the manager nor a worker.
        assertEquals(0, kill("HUP", manager).exitCode());
        assertEquals(0, kill("HUP", workers.get(1)).exitCode());
        Thread.sleep(2000);
        assertTrue(alive(manager));
        assertEquals(workers, upWorkers());
        assertEquals(0, dist.kimserver("status").exitCode());
        request(1);
        assertTrue(dist.log(), dist.log().contains("reload refused: etc/kimserver.json: key 'max_clients'"));

        dist.editConfig(json -> json.replace("\"max_clients\": \"lots\"", "\"max_clients\": 20001"));
        Result fixed = dist.kimserver("reload");
        assertEquals(fixed.output(), 0, fixed.exitCode());
        // The watch's own poll may have applied it a moment before: then the file holds what is in force.
        assertTrue(fixed.output(), fixed.output().contains("applied: etc/kimserver.json is in force")
                || fixed.output().contains("unchanged: etc/kimserver.json holds the configuration in force"));
        assertEquals(workers, upWorkers());
        request(2);
    }

    @Test
    public void workerCountGoesUpAndDownByReload() throws Exception {
        Map<Integer, Long> one = upWorkers();
        assertEquals(1, one.size());

        dist.editConfig(json -> json.replace("\"worker_cnt\": 1", "\"worker_cnt\": 2"));
        Result up = dist.kimserver("reload");
        assertEquals(up.output(), 0, up.exitCode());
        await("two workers up", 60, () -> upWorkers().size() == 2);
        Map<Integer, Long> two = upWorkers();
        assertEquals("worker 1 is kept", one.get(1), two.get(1));
        dist.awaitCommand("1001"); // worker 2's module too
        for (int i = 0; i < 20; i++) {
            request(i);
        }

        dist.editConfig(json -> json.replace("\"worker_cnt\": 2", "\"worker_cnt\": 1"));
        Result down = dist.kimserver("console", "kim:reload");
        assertEquals(down.output(), 0, down.exitCode());
        await("worker 2 gone", 30, () -> upWorkers().equals(one));
        assertFalse("worker 2 was stopped", alive(two.get(2)));
        assertTrue(dist.log(), dist.log().contains("worker 2 (pid " + two.get(2) + ") stopped with exit code 0"));
        request(100);
    }

    @Test
    public void newWorkerOptionsReplaceTheOnlyWorkerThroughABridgeUnderLoadWithoutAFailedRequest() throws Exception {
        replaceUnderLoad(1);
        assertTrue(dist.log(), dist.log().contains("as a bridge"));
    }

    @Test
    public void newWorkerOptionsReplaceTwoWorkersOneAtATimeUnderLoadWithoutAFailedRequest() throws Exception {
        dist.editConfig(json -> json.replace("\"worker_cnt\": 1", "\"worker_cnt\": 2"));
        assertEquals(0, dist.kimserver("reload").exitCode());
        await("two workers up", 60, () -> upWorkers().size() == 2);
        dist.awaitCommand("1001");
        replaceUnderLoad(2);
        assertFalse("the other worker takes the clients: no bridge", dist.log().contains("as a bridge"));
    }

    /**
     * New worker_java_opts by SIGHUP while clients connect and send steadily: every worker is replaced, and every
     * request is answered.
     */
    private void replaceUnderLoad(int workers) throws Exception {
        Map<Integer, Long> before = upWorkers();
        assertEquals(workers, before.size());
        AtomicBoolean loading = new AtomicBoolean(true);
        AtomicInteger answered = new AtomicInteger();
        List<String> failures = new ArrayList<>();
        // Steady clients, each a new connection and one request, from two threads, while the workers change.
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int thread = t;
            clients.add(CompletableFuture.runAsync(() -> {
                for (int seq = thread * 1_000_000; loading.get() && answered.get() < 2000; seq++) {
                    try {
                        request(seq);
                        answered.incrementAndGet();
                    } catch (IOException e) {
                        synchronized (failures) {
                            failures.add(seq + ": " + e);
                        }
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        try {
            Thread.sleep(1000);
            String count = "\"worker_cnt\": " + workers;
            dist.editConfig(json -> json.replace(count, count + ",\n"
                    + "    \"worker_java_opts\": [\"-Dkimserver.itest.generation=2\"]"));
            // SIGHUP itself, as an operator's kill -HUP does: the reload goes through the manager's signal handler.
            int atReload = answered.get();
            assertEquals(0, kill("HUP", dist.pid()).exitCode());
            await("every worker replaced", 90, () -> {
                Map<Integer, Long> now = upWorkers();
                return now.size() == workers && now.values().stream().noneMatch(before::containsValue);
            });
            int whileReplaced = answered.get() - atReload;
            assertTrue("requests answered while the workers were replaced: " + whileReplaced, whileReplaced >= 40);
            Thread.sleep(1000); // the bridge's stop, under load too
        } finally {
            loading.set(false);
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).join();
        }
        assertEquals("failed requests of " + (answered.get() + failures.size()), List.of(), failures);
        for (long replacement : upWorkers().values()) {
            String command = ProcessHandle.of(replacement).orElseThrow().info().commandLine().orElse("");
            assertTrue(command, command.contains("-Dkimserver.itest.generation=2"));
        }
        // Said once the last replacement has had its time to deploy its modules (and a bridge is stopped).
        await("the replacement's end in the log", 15, () -> dist.log()
                .contains("every worker runs with worker_java_opts [-Dkimserver.itest.generation=2]"));
        assertEquals("SIGHUP did not end the server", 0, dist.kimserver("status").exitCode());
    }
}
