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
        Map<String, Object> server = config.configurations().get(ConfigSchema.SERVER_PID);
        assertEquals("kim-gate", server.get("server.name"));
        assertEquals("gate", server.get("node.type"));
        assertEquals(1, server.get("worker.cnt"));
        assertEquals(3344, server.get("node.port"));
        assertArrayEquals(new String[] {"module_test.so"}, (String[]) server.get("modules"));

        Map<String, Object> gate = config.configurations().get(ConfigSchema.GATE_PID);
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

        Map<String, Object> zk = config.configurations().get(ConfigSchema.ZOOKEEPER_PID);
        assertEquals(false, zk.get("is.open"));
        assertEquals("127.0.0.1:2181", zk.get("servers"));
        assertArrayEquals(new String[] {"gate", "logic"}, (String[]) zk.get("watch.node.type"));

        Map<String, Object> redis = config.factoryConfigurations().get(ConfigSchema.REDIS_FACTORY_PID).get("test");
        assertEquals(6379, redis.get("port"));
        assertEquals(3, redis.get("max.conn.cnt"));

        Map<String, Object> mysql = config.factoryConfigurations().get(ConfigSchema.MYSQL_FACTORY_PID).get("test");
        assertEquals("root123!@#", mysql.get("password"));
        assertEquals(10, mysql.get("max.conn.cnt"));
        assertEquals(300, mysql.get("slowlog.log.slower.than"));
        assertEquals("mysql", mysql.get("name"));

        assertEquals("kimserver.log", config.log().path());
        assertEquals(LogLevel.INFO, config.log().level());
        assertEquals(List.of(), config.warnings());
    }

    @Test
    public void aByteOrderMarkBeforeTheJsonIsNoError() throws Exception {
        byte[] json = Files.readAllBytes(Path.of("../../etc/kimserver.json"));
        byte[] marked = new byte[json.length + 3];
        marked[0] = (byte) 0xEF;
        marked[1] = (byte) 0xBB;
        marked[2] = (byte) 0xBF;
        System.arraycopy(json, 0, marked, 3, json.length);
        assertEquals(KimConfig.parse(json).configurations().get(ConfigSchema.GATE_PID),
                KimConfig.parse(marked).configurations().get(ConfigSchema.GATE_PID));
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
        assertEquals(15000, KimConfig.parse(withKey("keep_alive", "0")).configurations().get(ConfigSchema.GATE_PID)
                .get("keep.alive"));
        assertEquals(15000, KimConfig.parse(withKey("keep_alive", null)).configurations().get(ConfigSchema.GATE_PID)
                .get("keep.alive"));
    }

    @Test
    public void numbersWrittenAsStringsAreAcceptedAsTheOriginalDid() throws Exception {
        KimConfig config = KimConfig.parse(withKey("gate_port", "\"4000\""));
        assertEquals(4000, config.configurations().get(ConfigSchema.GATE_PID).get("gate.port"));
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
        assertRejected(original().replace("\"host\": \"127.0.0.1\", \"port\": 6379",
                "\"host\": \"127.0.0.1:6379\", \"port\": 6379"), "'redis.test.host'", "is not a host name");
        assertRejected(original().replace("\"user\": \"root\", ", "\"user\": \"root\", \"name\": \"kim?allowLoadLocalInfile=true\", "),
                "'database.nodes.test.name'", "is not a database name");
        for (String name : new String[] {"*", "x)(y", "", "a b", ".", "..", "z".repeat(65)}) {
            assertRejected(original().replace("\"redis\": {\"test\"", "\"redis\": {\"" + name.replace("\"", "") + "\""),
                    "'redis'", "node name \"" + name + "\" is not a name");
        }
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
        KimConfig config = KimConfig.parse(original().replace("\"worker_cnt\": 1,", "\"worker_cnt\": 1, \"colour\": 2,"));
        assertEquals(List.of("unknown key 'colour' is ignored"), config.warnings());
    }

    @Test
    public void aMisspelledKeyNamesTheKeyItProbablyMeantAtEveryLevel() throws Exception {
        String text = original()
                .replace("\"keep_alive\": 30000,", "\"keep_alvie\": 30000,")
                .replace("\"max_conn_cnt\": 3", "\"max_conn_cnt\": 3, \"hots\": \"x\"")
                .replace("\"user\": \"root\",", "\"user\": \"root\", \"pasword\": \"x\",")
                .replace("\"slowlog_log_slower_than\"", "\"slowlog_log_slower_than\": 1, \"node\": {}, \"x\"")
                .replace("\"zookeeper\": {", "\"zookeeper\": {\"root_path\": \"/a\", \"servres\": \"b\", ");
        KimConfig config = KimConfig.parse(text);
        assertEquals(List.of(
                "unknown key 'keep_alvie' is ignored; did you mean 'keep_alive'?",
                "unknown key 'zookeeper.root_path' is ignored",
                "unknown key 'zookeeper.servres' is ignored; did you mean 'zookeeper.servers'?",
                "unknown key 'redis.test.hots' is ignored; did you mean 'redis.test.host'?",
                "unknown key 'database.node' is ignored; did you mean 'database.nodes'?",
                "unknown key 'database.x' is ignored",
                "unknown key 'database.nodes.test.pasword' is ignored; did you mean 'database.nodes.test.password'?"),
                config.warnings());
        // The misspelled key did not set anything: the default is in force, and the warning says why.
        assertEquals(15000, config.configurations().get(ConfigSchema.GATE_PID).get("keep.alive"));
    }

    @Test
    public void everyKeyOfTheSchemaIsPublishedWithItsDefault() throws Exception {
        KimConfig config = KimConfig.parse("{\"node_type\": \"gate\", \"max_clients\": 1, \"log_path\": \"a.log\","
                + " \"log_level\": \"info\", \"redis\": {\"r\": {\"host\": \"h\", \"port\": 1, \"max_conn_cnt\": 1}},"
                + " \"database\": {\"nodes\": {\"d\": {\"host\": \"h\", \"port\": 1, \"user\": \"u\"}}}}");
        for (ConfigKey key : ConfigSchema.keys()) {
            Map<String, Object> properties = switch (key.pid()) {
                case ConfigSchema.REDIS_FACTORY_PID -> config.factoryConfigurations().get(key.pid()).get("r");
                case ConfigSchema.MYSQL_FACTORY_PID -> config.factoryConfigurations().get(key.pid()).get("d");
                case ConfigSchema.LOGGING_PID -> null;
                default -> config.configurations().get(key.pid());
            };
            if (properties == null || key.required()) {
                continue;
            }
            assertTrue(key.name(), properties.containsKey(key.property()));
            Object value = properties.get(key.property());
            if (value instanceof String[] array) {
                assertArrayEquals(key.name(), (String[]) key.defaultValue(), array);
            } else {
                assertEquals(key.name(), key.defaultValue(), value);
            }
        }
        assertEquals(64, config.log().maxSizeMb());
        assertEquals(10, config.log().maxFiles());
    }

    /** Each process its own file: the manager log_path itself, worker n the name with _w_n before the extension. */
    @Test
    public void eachProcessHasALogFileOfItsOwn() {
        KimConfig.LogSettings log = new KimConfig.LogSettings("kimserver.log", LogLevel.INFO, 64, 10);
        assertEquals("kimserver.log", log.pathFor("M0"));
        assertEquals("kimserver_w_1.log", log.pathFor("W1"));
        assertEquals("kimserver_w_12.log", log.pathFor("W12"));
        assertEquals("a.b_w_2.log", withPath("a.b.log").pathFor("W2"));
        assertEquals("kim_w_3", withPath("kim").pathFor("W3"));
        // The extension is the file name's, not a dot in a folder's name; a leading dot starts no extension.
        assertEquals("my.logs/kim_w_1", withPath("my.logs/kim").pathFor("W1"));
        assertEquals("sub/.kimlog_w_1", withPath("sub/.kimlog").pathFor("W1"));
    }

    @Test
    public void aTagThatNamesNoProcessIsRefused() {
        KimConfig.LogSettings log = withPath("kimserver.log");
        for (String tag : List.of("W0", "W01", "w1", "M1", "W", "W-1", "W1x", "", "W1234567890")) {
            try {
                log.pathFor(tag);
                fail("accepted '" + tag + "'");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("'" + tag + "'"));
            }
        }
    }

    private static KimConfig.LogSettings withPath(String path) {
        return new KimConfig.LogSettings(path, LogLevel.INFO, 64, 10);
    }
}
