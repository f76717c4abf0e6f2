package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Test;
import org.kimserver.testkit.WireClient;

/**
 * cmd 1003 of module-test through the database pool of node "test", against real MariaDB servers: the shared one
 * on 127.0.0.1:3306 (the README's test command starts it), and one of the test's own that it kills and starts
 * again. A database that cannot be reached fails the test; nothing here is skipped.
 */
public class DatabaseIT {
    private static final int CMD = 1003;
    private UnzippedDistribution dist;

    @After
    public void stopServer() throws Exception {
        if (dist != null) {
            dist.close();
        }
    }

    @Test
    public void cmd1003InsertsARowReadsRowOneAndAnswersAsTheOriginal() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-db");
        dist.startServing(Integer.toString(CMD));
        try (WireClient client = new WireClient(dist.gatePort())) {
            assertDone(client, 1); // makes the table if it is missing
            long rows = rows(3306);
            assertDone(client, 2);
            assertDone(client, 3);
            assertEquals("a row inserted by each request", rows + 2, rows(3306));
        }
        String db = dist.kimserver("console", "-w", "1", "kim:db").output();
        assertTrue(db, db.matches("(?s).*\\ntest +127\\.0\\.0\\.1:3306/mysql +10 .*"));
    }

    @Test
    public void aStatementSlowerThanTheThresholdIsLoggedWithItsTimeAndAFasterOneIsNot() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-db-slow"); // etc/kimserver.json: slowlog_log_slower_than 300
        TestBundles.sleepy(dist.path("deploy/sleepy.jar"), 9301);
        dist.startServing(Integer.toString(CMD));
        dist.awaitCommand("9301");
        try (WireClient client = new WireClient(dist.gatePort())) {
            for (String seconds : List.of("0.05", "0.4")) {
                WireClient.Frame reply = client.send(WireClient.request(9301, 1, seconds)).read();
                assertEquals(reply.msg(), 0, reply.code());
            }
        }
        String log = dist.workerLog(1);
        Matcher slow = Pattern.compile("WARN.*slow statement on database node test: (\\d+) ms: select sleep\\((.*)\\)")
                .matcher(log);
        assertTrue(log, slow.find());
        assertEquals("0.4", slow.group(2));
        assertTrue(slow.group(1), Long.parseLong(slow.group(1)) >= 400);
        assertTrue("one slow statement only: " + log, !slow.find());
        String db = dist.kimserver("console", "-w", "1", "kim:db").output();
        assertTrue(db, db.matches("(?s).*\\ntest +127\\.0\\.0\\.1:3306/mysql +10 +\\d+ +\\d+ +\\d+ +0 +1 .*"));
    }

    @Test
    public void aStatementRunningWhenItsNodeChangesEndsOnTheOldPoolWhichClosesAfterIt() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-db-change");
        TestBundles.sleepy(dist.path("deploy/sleepy.jar"), 9301);
        dist.startServing(Integer.toString(CMD));
        dist.awaitCommand("9301");
        try (WireClient running = new WireClient(dist.gatePort()); WireClient later = new WireClient(dist.gatePort())) {
            running.readTimeout(30_000).send(WireClient.request(9301, 1, "10"));
            UnzippedDistribution.await("the statement running", 10, () -> dist.kimserver("console", "-w", "1",
                    "kim:db").output().matches("(?s).*\\ntest +127\\.0\\.0\\.1:3306/mysql +10 +1 .*"));
            dist.editConfig(json -> json.replace("\"max_conn_cnt\": 10", "\"max_conn_cnt\": 9"));
            UnzippedDistribution.await("the new pool", 10, () -> dist.workerLog(1).contains(
                    "database node test: pool of up to 9 connections"));
            // The new pool serves meanwhile; the old one waits for the statement: HikariCP's close would abort the
            // borrowed connection and fail it.
            WireClient.Frame quick = later.send(WireClient.request(9301, 1, "0")).read();
            assertEquals(quick.msg(), 0, quick.code());
            WireClient.Frame reply = running.read();
            assertEquals(reply.msg(), 0, reply.code());
            assertEquals("slept", reply.data());
            UnzippedDistribution.await("the old pool closed", 10, () -> dist.workerLog(1).contains(
                    "database node test: pool of 127.0.0.1:3306/mysql closed"));
            String log = dist.workerLog(1);
            int changed = log.indexOf("database node test: pool of up to 9 connections");
            int ended = log.indexOf("slow statement on database node test: ");
            int closed = log.indexOf("database node test: pool of 127.0.0.1:3306/mysql closed");
            assertTrue("changed while the statement ran, closed after it:\n" + log, changed < ended && ended < closed);
        }
    }

    @Test
    public void aDatabaseThatDiesIsAnsweredWithinASecondAndServesAgainSoonAfterItsReturn() throws Exception {
        try (OwnMariaDb mariadb = OwnMariaDb.start()) {
            dist = UnzippedDistribution.unzip("kimserver-db-fault");
            dist.editConfig(json -> json.replace("\"port\": 3306", "\"port\": " + mariadb.port()));
            dist.startServing(Integer.toString(CMD));
            try (WireClient client = new WireClient(dist.gatePort())) {
                assertDone(client, 1);
                mariadb.kill();
                BackendFaults.answeredWithinASecond(client, CMD, 12009, "write mysql failed!");
                String db = dist.kimserver("console", "-w", "1", "kim:db").output();
                Matcher node = Pattern.compile("(?m)^test +127\\.0\\.0\\.1:\\d+/mysql +10 +\\d+ +\\d+ +\\d+ +(\\d+) +\\d+ +(.*)$")
                        .matcher(db);
                assertTrue(db, node.find() && Long.parseLong(node.group(1)) >= 10
                        && node.group(2).startsWith("cannot be reached: "));

                // The manager has the worker's problems from its reports, which come every second.
                UnzippedDistribution.await("the mysql problem in kim:info", 10, () -> dist.kimserver("console",
                        "kim:info").output().contains("mysql node test (127.0.0.1:" + mariadb.port() + "/mysql): cannot"
                        + " be reached: "));

                mariadb.startAgain();
                int seq = BackendFaults.servedAgainWithinTwoSeconds(client, CMD);
                // The manager has the worker's problems from its reports, which come every second.
                UnzippedDistribution.await("no mysql problem in kim:info", 10,
                        () -> !dist.kimserver("console", "kim:info").output().contains("mysql node test"));
                assertDone(client, seq + 1); // the same connection all along

                // The node moved to the shared database in etc/kimserver.json: applied live, on the same client
                // connection, and no request fails while the new pool comes and the old one goes.
                long rows = rows(3306);
                dist.editConfig(json -> json.replace("\"port\": " + mariadb.port(), "\"port\": 3306"));
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                int moved = 300;
                while (rows(3306) == rows && System.nanoTime() < until) {
                    assertDone(client, ++moved);
                }
                assertTrue("node test on the shared database", rows(3306) > rows);
                // The old pool closes once its connections are back, a moment after the new one serves.
                UnzippedDistribution.await("the old pool closed", 10, () -> dist.workerLog(1).contains(
                        "database node test: pool of 127.0.0.1:" + mariadb.port() + "/mysql closed"));
                // A change of the slow-query threshold alone keeps the pool.
                String log = dist.workerLog(1);
                dist.editConfig(json -> json.replace("\"slowlog_log_slower_than\": 300", "\"slowlog_log_slower_than\": 250"));
                String reload = dist.kimserver("console", "-w", "1", "kim:reload").output();
                assertTrue(reload, reload.contains("applied") || reload.contains("unchanged"));
                for (int i = 0; i < 20; i++) {
                    assertDone(client, ++moved);
                    Thread.sleep(50);
                }
                assertEquals("no pool opened or closed", log.split("database node test: pool").length,
                        dist.workerLog(1).split("database node test: pool").length);
            }
        }
    }

    @Test
    public void aDatabaseThatAcceptsButNeverAnswersCostsPipelinedRequestsOneConnectTimeoutInAll() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // and never a byte back, as a hung or firewalled database
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            dist = UnzippedDistribution.unzip("kimserver-db-silent");
            dist.editConfig(json -> json.replace("\"port\": 3306", "\"port\": " + silent.getLocalPort()));
            dist.startServing(Integer.toString(CMD));
            try (WireClient client = new WireClient(dist.gatePort())) {
                long sent = System.nanoTime();
                for (int seq = 1; seq <= 10; seq++) {
                    client.send(WireClient.request(CMD, seq, ""));
                }
                for (int seq = 1; seq <= 10; seq++) {
                    WireClient.Frame reply = client.read();
                    assertEquals(seq, reply.seq());
                    assertEquals(reply.msg(), 12009, reply.code());
                }
                long allMs = (System.nanoTime() - sent) / 1_000_000;
                // The first finds out (the driver's connect timeout); the others are answered at once, not each
                // after a try of its own.
                assertTrue("10 pipelined requests answered in " + allMs + " ms", allMs < 3000);
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    private static void assertDone(WireClient client, int seq) throws Exception {
        WireClient.Frame reply = client.send(WireClient.request(CMD, seq, "")).read();
        assertEquals(CMD + 1, reply.cmd());
        assertEquals(seq, reply.seq());
        assertEquals(reply.msg(), 0, reply.code());
        assertEquals("ok", reply.msg());
        assertEquals("test mysql done!", reply.data());
    }

    /** The rows of mytest.test_async_mysql, by the mariadb client; 0 while the table does not exist. */
    private long rows(int port) throws Exception {
        Process p = new ProcessBuilder(List.of("mariadb", "-h", "127.0.0.1", "-P", Integer.toString(port), "-u",
                "root", "-N", "-e", "select count(*) from mytest.test_async_mysql")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue("mariadb client: " + out, p.waitFor(30, TimeUnit.SECONDS));
        if (out.contains("doesn't exist")) {
            return 0;
        }
        assertEquals("mariadb client: " + out, 0, p.exitValue());
        return Long.parseLong(out);
    }
}
