package org.kimserver.config;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class KimConfigTest {

    /** The co_kimserver config.json of the reference commit: same keys and values, our own layout. */
    private static String original() throws Exception {
        try (InputStream in = KimConfigTest.class.getResourceAsStream("/co_kimserver-config.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The original's file with one key replaced (or removed when value is null). */
    private static String withKey(String key, String jsonValue) throws Exception {
        String text = original();
        String pattern = "\"" + key + "\": [^,\\n]*,";
        String replaced = jsonValue == null ? text.replaceFirst(pattern, "")
                : text.replaceFirst(pattern, "\"" + key + "\": " + jsonValue + ",");
        if (replaced.equals(text)) {
            throw new AssertionError("fixture has no key " + key);
        }
        return replaced;
    }

    private static void assertRejected(String text, String... fragments) {
        try {
            KimConfig.parse(text);
            fail("accepted: " + text);
        } catch (ConfigException e) {
            for (String f : fragments) {
                assertTrue("'" + e.getMessage() + "' should mention " + f, e.getMessage().contains(f));
            }
        }
    }

    @Test
    public void theOriginalsFileLoadsAsIs() throws Exception {
        KimConfig config = KimConfig.parse(original());
        Map<String, Object> server = config.configurations().get(KimConfig.SERVER_PID);
        assertEquals("kim-gate", server.get("server.name"));
        assertEquals("gate", server.get("node.type"));
        assertEquals(1, server.get("worker.cnt"));
        assertEquals(3344, server.get("node.port"));
        assertArrayEquals(new String[] {"module_test.so"}, (String[]) server.get("modules"));

        Map<String, Object> gate = config.configurations().get(KimConfig.GATE_PID);
        assertEquals("127.0.0.1", gate.get("gate.host"));
        assertEquals(3355, gate.get("gate.port"));
        assertEquals(30000, gate.get("keep.alive"));
        assertEquals(20000, gate.get("max.clients"));
        assertEquals(false, gate.get("is.reuseport"));
        assertEquals(1 << 20, gate.get("max.frame.size"));
        assertEquals(true, gate.get("close.on.unknown.cmd"));
        // The limits the original lacks, at their defaults.
        assertEquals(10_000, gate.get("frame.timeout.ms"));
        assertEquals(65_536, gate.get("min.body.rate"));
        assertEquals(0, gate.get("max.clients.per.ip"));
        assertEquals(128, gate.get("max.buffered.mb"));
        assertEquals(10_000, gate.get("stop.timeout.ms"));

        Map<String, Object> zk = config.configurations().get(KimConfig.ZOOKEEPER_PID);
        assertEquals(false, zk.get("is.open"));
        assertEquals("127.0.0.1:2181", zk.get("servers"));
        assertArrayEquals(new String[] {"gate", "logic"}, (String[]) zk.get("watch.node.type"));

        Map<String, Object> redis = config.factoryConfigurations().get(KimConfig.REDIS_FACTORY_PID).get("test");
        assertEquals(6379, redis.get("port"));
        assertEquals(3, redis.get("max.conn.cnt"));

        Map<String, Object> mysql = config.factoryConfigurations().get(KimConfig.MYSQL_FACTORY_PID).get("test");
        assertEquals("root123!@#", mysql.get("password"));
        assertEquals(10, mysql.get("max.conn.cnt"));
        assertEquals(300, mysql.get("slowlog.log.slower.than"));
        assertEquals("mysql", mysql.get("name"));

        assertEquals("kimserver.log", config.log().path());
        assertEquals(LogLevel.INFO, config.log().level());
        assertEquals(List.of(), config.warnings());
    }

    @Test
    public void theShippedFileLoads() throws Exception {
        Path shipped = Path.of("../../etc/kimserver.json");
        KimConfig config = KimConfig.load(shipped);
        assertEquals(List.of(), config.warnings());
        assertTrue(Files.exists(shipped));
    }

    @Test
    public void keepAliveOfZeroOrMissingMeansTheDefault() throws Exception {
        assertEquals(15000, KimConfig.parse(withKey("keep_alive", "0")).configurations().get(KimConfig.GATE_PID)
                .get("keep.alive"));
        assertEquals(15000, KimConfig.parse(withKey("keep_alive", null)).configurations().get(KimConfig.GATE_PID)
                .get("keep.alive"));
    }

    @Test
    public void numbersWrittenAsStringsAreAcceptedAsTheOriginalDid() throws Exception {
        KimConfig config = KimConfig.parse(withKey("gate_port", "\"4000\""));
        assertEquals(4000, config.configurations().get(KimConfig.GATE_PID).get("gate.port"));
    }

    @Test
    public void badValuesNameTheirKey() throws Exception {
        assertRejected(withKey("log_level", "\"verbose\""), "'log_level'", "verbose", "info");
        assertRejected(withKey("gate_port", "\"abc\""), "'gate_port'", "integer");
        assertRejected(withKey("gate_port", "70000"), "'gate_port'", "out of range");
        assertRejected(original().replace("\"max_clients\": 20000,", "\"max_clients\": 20000, \"is_reuseport\": \"yes\","),
                "'is_reuseport'", "true or false");
        assertRejected(withKey("node_type", null), "missing required key 'node_type'");
        assertRejected(withKey("max_clients", "0"), "'max_clients'");
        assertRejected(withKey("max_clients", null), "missing required key 'max_clients'");
        assertRejected(withKey("log_path", "\"\""), "'log_path'");
        assertRejected(withKey("gate_codec", "\"http\""), "'gate_codec'", "not supported");
        assertRejected(withKey("modules", "\"module_test.so\""), "'modules'", "array");
        String maxClients = "\"max_clients\": 20000,";
        assertRejected(original().replace(maxClients, maxClients + " \"max_buffered_mb\": 0,"), "'max_buffered_mb'",
                "out of range");
        assertRejected(original().replace(maxClients, maxClients + " \"frame_timeout_ms\": 5,"), "'frame_timeout_ms'",
                "out of range");
        assertRejected(original().replace("\"port\": 6379", "\"port\": \"x\""), "'redis.test.port'");
        assertRejected(original().replace("\"user\": \"root\", ", ""), "'database.nodes.test.user'");
    }

    @Test
    public void warnLevelRanksAboveInfo() throws Exception {
        assertEquals("WARN", LogLevel.of("warn").log4jLevel());
        assertEquals("INFO", LogLevel.of("NOTICE").log4jLevel());
        assertEquals("FATAL", LogLevel.of("crit").log4jLevel());
    }

    @Test
    public void brokenJsonGivesItsPosition() {
        assertRejected("{\n  \"node_type\": \"gate\",\n  oops\n}", "line 3");
        assertRejected("[1, 2]", "one JSON object");
        assertRejected("{\"node_type\": \"a\", \"node_type\": \"b\"}", "node_type");
    }

    @Test
    public void zookeeperNeedsServersOnlyWhenOpen() throws Exception {
        String open = original().replace("\"zookeeper\": {", "\"zookeeper\": {\"is_open\": true, ")
                .replace("\"servers\": \"127.0.0.1:2181\", ", "");
        assertRejected(open, "'zookeeper.servers'");
    }

    @Test
    public void unknownKeysAreWarnedAbout() throws Exception {
        KimConfig config = KimConfig.parse(original().replace("\"worker_cnt\": 1,", "\"worker_cnt\": 1, \"wroker_cnt\": 2,"));
        assertEquals(List.of("unknown key 'wroker_cnt' is ignored"), config.warnings());
    }
}
