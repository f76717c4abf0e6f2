package org.kimserver.bench;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * One reply as kim-call received it, and its two printed forms: a block for people and one JSON object for scripts.
 * {@code msg} and {@code data} are protobuf {@code bytes}: shown as text when they are valid UTF-8, else as hex
 * (people) or base64 (JSON).
 */
record CallReply(int cmd, int seq, int code, byte[] msg, byte[] data, long elapsedNanos) {

    String forPeople() {
        return "reply  cmd " + Integer.toUnsignedString(cmd) + ", seq " + Integer.toUnsignedString(seq) + ", "
                + millis() + " ms\n"
                + "code   " + code + "\n"
                + "msg    " + readable(msg) + "\n"
                + "data   " + readable(data) + "\n";
    }

    String json() {
        Optional<String> msgText = utf8(msg);
        Optional<String> dataText = utf8(data);
        return "{\"cmd\":" + Integer.toUnsignedString(cmd) + ",\"seq\":" + Integer.toUnsignedString(seq)
                + ",\"code\":" + code
                + ",\"msg\":" + jsonString(msgText.orElseGet(() -> Base64.getEncoder().encodeToString(msg)))
                + ",\"msg_base64\":" + msgText.isEmpty()
                + ",\"data\":" + jsonString(dataText.orElseGet(() -> Base64.getEncoder().encodeToString(data)))
                + ",\"data_base64\":" + dataText.isEmpty()
                + ",\"elapsed_ms\":" + millis() + "}\n";
    }

    private String millis() {
        return String.format(Locale.ROOT, "%.3f", elapsedNanos / 1e6);
    }

    private static String readable(byte[] bytes) {
        return utf8(bytes).orElseGet(() -> "hex " + HexFormat.of().formatHex(bytes) + " (" + bytes.length
                + " bytes, not UTF-8)");
    }

    /** The text, when the bytes are well-formed UTF-8 (Java's decoder refuses overlong forms and surrogates). */
    static Optional<String> utf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped. */
    static String jsonString(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
