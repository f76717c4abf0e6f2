package org.kimserver.bench;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.Test;

public class CallReplyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    @Test
    public void forPeopleTextAsText() {
        CallReply hello = new CallReply(1002, 1, 0, utf8("ok"), utf8("good job!"), 1_234_567);
        assertEquals("""
                reply  cmd 1002, seq 1, 1.235 ms
                code   0
                msg    ok
                data   good job!
                """, hello.forPeople());
    }

    @Test
    public void forPeopleBytesThatAreNotUtf8AsHex() {
        // a lone continuation byte, an overlong '/', an encoded surrogate: none is UTF-8
        for (String bad : new String[] {"80", "c0af", "eda080", "ff", "e282"}) {
            CallReply reply = new CallReply(1002, 1, 0, hex(bad), hex("00" + bad), 0);
            String text = reply.forPeople();
            assertTrue(text, text.contains("msg    hex " + bad + " (" + bad.length() / 2 + " bytes, not UTF-8)\n"));
            assertTrue(text, text.contains("data   hex 00" + bad + " (" + (bad.length() / 2 + 1)
                    + " bytes, not UTF-8)\n"));
        }
    }

    @Test
    public void anErrorCodeAndUnsignedCmdAndSeq() {
        CallReply reply = new CallReply(-1, -2, 4, utf8("invalid cmd!"), new byte[0], 0);
        assertEquals("""
                reply  cmd 4294967295, seq 4294967294, 0.000 ms
                code   4
                msg    invalid cmd!
                data   \n""", reply.forPeople());
    }

    @Test
    public void jsonParsesAndHoldsEveryField() throws Exception {
        String tricky = "say \"hi\"\\ \n\r\t\u0001\u001f end \u2028 \uD83D\uDE00 中文";
        JsonNode node = JSON.readTree(new CallReply(1002, 7, 0, utf8("ok"), utf8(tricky), 2_500_000).json());
        assertEquals(1002, node.get("cmd").asLong());
        assertEquals(7, node.get("seq").asLong());
        assertEquals(0, node.get("code").asInt());
        assertEquals("ok", node.get("msg").asText());
        assertFalse(node.get("msg_base64").asBoolean());
        assertEquals(tricky, node.get("data").asText());
        assertFalse(node.get("data_base64").asBoolean());
        assertEquals(2.5, node.get("elapsed_ms").asDouble(), 0);
        assertEquals(8, node.size());
    }

    @Test
    public void jsonIsOneLine() {
        String json = new CallReply(1002, 7, 0, utf8("a\nb"), utf8("c\nd"), 0).json();
        assertEquals(json, 1, json.lines().count());
        assertTrue(json.endsWith("}\n"));
    }

    @Test
    public void jsonBytesThatAreNotUtf8AsBase64WithAFlag() throws Exception {
        byte[] binary = hex("00ff80c0af7f");
        JsonNode node = JSON.readTree(new CallReply(-1, -1, -5, hex("ff"), binary, 0).json());
        assertEquals(4294967295L, node.get("cmd").asLong());
        assertEquals(4294967295L, node.get("seq").asLong());
        assertEquals(-5, node.get("code").asInt());
        assertTrue(node.get("data_base64").asBoolean());
        assertArrayEquals(binary, Base64.getDecoder().decode(node.get("data").asText()));
        assertTrue(node.get("msg_base64").asBoolean());
        assertArrayEquals(hex("ff"), Base64.getDecoder().decode(node.get("msg").asText()));
    }
}
