package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Test;
import org.kimserver.testkit.WireClient;

/**
 * cmd 1005 of module-test through Redis node "test", against real Redis servers: the shared one on 127.0.0.1:6379
 * (the README's test command starts it), and one of the test's own that it kills and starts again, and that a
 * changed etc/kimserver.json moves the node to. A Redis that cannot be reached fails the test; nothing is skipped.
 */
public class RedisIT {
    private static final int CMD = 1005;
    private UnzippedDistribution dist;

    @After
    public void stopServer() throws Exception {
        if (dist != null) {
            dist.close();
        }
    }

    @Test
    public void cmd1005SetsTheKeyAndAnswersAsTheOriginal() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-redis");
        dist.startServing(Integer.toString(CMD));
        redisCli(6379, "set", "key", "before");
        try (WireClient client = new WireClient(dist.gatePort())) {
            awaitDone(client, 1); // the shared connection is registered once connected
            assertEquals("value:1", redisCli(6379, "get", "key"));
            assertDone(client, 2);
        }
        String redis = dist.kimserver("console", "-w", "1", "kim:redis").output();
        assertTrue(redis, redis.matches("(?s).*\\ntest +127\\.0\\.0\\.1:6379/0 +3 .*"));
    }

    @Test
    public void aNodeChangedUnderLoadFailsNoRequest() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-redis-change");
        dist.startServing(Integer.toString(CMD));
        try (WireClient first = new WireClient(dist.gatePort())) {
            awaitDone(first, 1); // the node's connection comes just after the start
        }
        List<String> failures = new CopyOnWriteArrayList<>();
        AtomicLong done = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> clients = new ArrayList<>();
        // 20 clients, each with bursts of 25 pipelined requests: about 500 calls in progress at any time.
        for (int c = 0; c < 20; c++) {
            WireClient client = new WireClient(dist.gatePort());
            clients.add(Thread.ofPlatform().start(() -> {
                try (client) {
                    for (int seq = 1; !stop.get(); seq += 25) {
                        for (int i = 0; i < 25; i++) {
                            client.send(WireClient.request(CMD, seq + i, ""));
                        }
                        for (int i = 0; i < 25; i++) {
                            WireClient.Frame reply = client.read();
                            if (reply.code() != 0) {
                                failures.add("seq " + reply.seq() + ": code " + reply.code() + " " + reply.msg());
                            }
                            done.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }));
        }
        try {
            UnzippedDistribution.await("requests served", 20, () -> done.get() > 500);
            // Each change makes a new client; the old one goes while the callers that took its connection just
            // before still use it.
            for (String size : List.of("4", "3", "4")) {
                String closed = "client of 127.0.0.1:6379/0 closed";
                int before = dist.workerLog(1).split(closed, -1).length;
                dist.editConfig(json -> json.replaceFirst("\"max_conn_cnt\": \\d+\n", "\"max_conn_cnt\": " + size
                        + "\n"));
                UnzippedDistribution.await("the old client closed", 20,
                        () -> dist.workerLog(1).split(closed, -1).length > before);
            }
        } finally {
            stop.set(true);
            for (Thread t : clients) {
                t.join(10_000);
            }
        }
        assertEquals("failed requests of " + done.get(), List.of(), failures);
    }

    @Test
    public void aRedisThatDiesIsAnsweredWithinASecondAndServesAgainSoonAfterItsReturn() throws Exception {
        try (OwnRedis redis = OwnRedis.start(); OwnRedis other = OwnRedis.start()) {
            dist = UnzippedDistribution.unzip("kimserver-redis-fault");
            dist.editConfig(json -> json.replace("\"port\": 6379", "\"port\": " + redis.port()));
            dist.startServing(Integer.toString(CMD));
            try (WireClient client = new WireClient(dist.gatePort())) {
                awaitDone(client, 1);
                redis.kill();
                BackendFaults.answeredWithinASecond(client, CMD, 11004, "write redis failed!");
                // The manager has the worker's problems from its reports, which come every second.
                UnzippedDistribution.await("the redis problem in kim:info", 10, () -> dist.kimserver("console",
                        "kim:info").output().contains("redis node test (127.0.0.1:" + redis.port() + "/0): cannot be"
                        + " reached"));

                redis.startAgain();
                BackendFaults.servedAgainWithinTwoSeconds(client, CMD);

                // A connection lost while Redis is up (its idle timeout, a proxy's restart; here CLIENT KILL) is made
                // again at once, not after the 500 ms between the tries to reach a Redis that is down.
                redisCli(redis.port(), "client", "kill", "type", "normal");
                long killed = System.nanoTime();
                int seq = 10_000;
                while (client.send(WireClient.request(CMD, ++seq, "")).read().code() != 0) {
                    assertTrue("served again", System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(5));
                }
                long backMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                assertTrue("served again " + backMs + " ms after the kill", backMs < 450);

                // A Redis that hangs keeps its connections and answers nothing: each request gets its error within a
                // second, and the node is a problem in kim:info until Redis answers again.
                redis.hang(true);
                try {
                    BackendFaults.answeredWithinASecond(client, CMD, 11004, "write redis failed!");
                    UnzippedDistribution.await("the hung redis in kim:info", 10, () -> dist.kimserver("console",
                            "kim:info").output().contains("redis node test (127.0.0.1:" + redis.port() + "/0): cannot"
                            + " be reached: not answering"));
                } finally {
                    redis.hang(false);
                }
                // No request meanwhile: the PING sent at each look at the node ends the problem.
                AtomicReference<String> info = new AtomicReference<>();
                try {
                    UnzippedDistribution.await("no redis problem in kim:info once it answers", 10, () -> {
                        info.set(dist.kimserver("console", "kim:info").output());
                        return !info.get().contains("redis node test");
                    });
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "; kim:info:\n" + info.get()
                            + "\nkim:redis:\n" + dist.kimserver("console", "-w", "1", "kim:redis").output(), e);
                }
                assertDone(client, 20_000);
                // The manager has the worker's problems from its reports, which come every second.
                UnzippedDistribution.await("no redis problem in kim:info", 10,
                        () -> !dist.kimserver("console", "kim:info").output().contains("redis node test"));

                // The node moved in etc/kimserver.json: applied live, on the same client connection, and no request
                // fails while the new client connects and the old one goes.
                dist.editConfig(json -> json.replace("\"port\": " + redis.port(), "\"port\": " + other.port()));
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                int moved = 200;
                while (!"value:1".equals(redisCli(other.port(), "get", "key")) && System.nanoTime() < until) {
                    assertDone(client, ++moved);
                }
                assertEquals("the node on the other Redis", "value:1", redisCli(other.port(), "get", "key"));
                assertDone(client, ++moved);
            }
        }
    }

    @Test
    public void aPasswordIsSentAndAWrongOneIsSaidInTheLogAndKimInfo() throws Exception {
        try (OwnRedis redis = OwnRedis.start("--requirepass", "s3cret")) {
            dist = UnzippedDistribution.unzip("kimserver-redis-auth");
            String node = "\"port\": " + redis.port() + ", \"password\": ";
            dist.editConfig(json -> json.replace("\"port\": 6379", node + "\"wrong\""));
            dist.startServing(Integer.toString(CMD));
            UnzippedDistribution.await("the refusal logged", 20, () -> dist.workerLog(1).contains("Redis node test:"
                    + " cannot connect to 127.0.0.1:" + redis.port() + "/0: WRONGPASS"));
            UnzippedDistribution.await("the refusal in kim:info", 10, () -> dist.kimserver("console", "kim:info")
                    .output().contains("redis node test (127.0.0.1:" + redis.port() + "/0): cannot be reached: not"
                            + " connected yet: cannot connect: WRONGPASS"));
            try (WireClient client = new WireClient(dist.gatePort())) {
                WireClient.Frame reply = client.send(WireClient.request(CMD, 1, "")).read();
                assertEquals("write redis failed!", reply.msg());

                dist.editConfig(json -> json.replace(node + "\"wrong\"", node + "\"s3cret\""));
                awaitDone(client, 2);
            }
        }
    }

    @Test
    public void dedicatedConnectionsAreAtMostMaxConnCntAndABlockingCommandWaitsAsLongAsItAsks() throws Exception {
        int pop = 9303;
        try (OwnRedis redis = OwnRedis.start()) {
            dist = UnzippedDistribution.unzip("kimserver-redis-dedicated");
            dist.editConfig(json -> json.replace("\"port\": 6379,", "\"port\": " + redis.port() + ",")
                    .replace("\"max_conn_cnt\": 3", "\"max_conn_cnt\": 2"));
            dist.startServing(Integer.toString(CMD));
            TestBundles.popping(dist.path("deploy/popping.jar"), pop);
            dist.awaitCommand(Integer.toString(pop));

            // Four callers at once, each taking a dedicated connection for a BLPOP of 1 s (longer than the 800 ms
            // other commands may take): two get one and wait in Redis, two are refused at once (Lettuce's bounded
            // pool does not wait for a connection).
            List<WireClient> clients = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                clients.add(new WireClient(dist.gatePort()));
            }
            AtomicInteger mostBlocked = new AtomicInteger();
            AtomicBoolean done = new AtomicBoolean();
            Thread watch = Thread.ofPlatform().start(() -> {
                while (!done.get()) {
                    try {
                        Matcher blocked = Pattern.compile("blocked_clients:(\\d+)").matcher(redisCli(redis.port(),
                                "info", "clients"));
                        if (blocked.find()) {
                            mostBlocked.accumulateAndGet(Integer.parseInt(blocked.group(1)), Math::max);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            long sent = System.nanoTime();
            for (WireClient client : clients) {
                client.send(WireClient.request(pop, 1, "1"));
            }
            Map<String, List<Long>> answered = new TreeMap<>();
            for (WireClient client : clients) {
                WireClient.Frame reply = client.read();
                assertEquals(reply.msg(), 0, reply.code());
                answered.computeIfAbsent(reply.data(), k -> new ArrayList<>())
                        .add((System.nanoTime() - sent) / 1_000_000);
                client.close();
            }
            done.set(true);
            watch.join();
            assertEquals("answers and their ms: " + answered, Set.of("nothing", "exhausted"), answered.keySet());
            assertEquals("answers and their ms: " + answered, 2, answered.get("nothing").size());
            assertTrue("the BLPOPs waited their second: " + answered,
                    answered.get("nothing").stream().allMatch(ms -> ms >= 950));
            assertEquals("callers blocked in Redis at once", 2, mostBlocked.get());
        }
    }

    private static void assertDone(WireClient client, int seq) throws Exception {
        WireClient.Frame reply = client.send(WireClient.request(CMD, seq, "")).read();
        assertEquals(CMD + 1, reply.cmd());
        assertEquals(seq, reply.seq());
        assertEquals(reply.msg(), 0, reply.code());
        assertEquals("ok", reply.msg());
        assertEquals("test redis done!", reply.data());
    }

    /** The first request to succeed within 10 s (the node's connection comes just after the start). */
    private static void awaitDone(WireClient client, int seq) throws Exception {
        UnzippedDistribution.await("cmd 1005 served", 10, () -> {
            WireClient.Frame reply = client.send(WireClient.request(CMD, seq, "")).read();
            return reply.code() == 0;
        });
        assertDone(client, seq);
    }

    /** redis-cli's answer to a command. */
    private static String redisCli(int port, String... command) throws Exception {
        List<String> cli = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        cli.addAll(List.of(command));
        Process p = new ProcessBuilder(cli).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue("redis-cli: " + out, p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0);
        return out;
    }
}
