package org.kimserver.wire;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.util.HexFormat;
import java.util.Random;
import org.junit.Test;
import org.kimserver.proto.MsgBody;

/**
 * {@link MsgBodyView} against protobuf-java's own {@code MsgBody.parseFrom}: the same bodies accepted, the same
 * refused, and the same values read, over a million random and mutated bodies and the cases found by hand.
 */
public class MsgBodyViewDifferentialTest {
    private static final int RANDOM_BODIES = 1_000_000;
    private final MsgBodyView view = new MsgBodyView();

    /** Bodies that the first gate refused although protobuf accepts them, and the reverse. */
    @Test
    public void theCasesFoundByHandAgree() {
        String[] cases = {
            "12 03 1a 01 41", // an unknown length-delimited field inside rsp_result
            "12 02 0a 00", // rsp_result's field 1 (code) sent length-delimited: an unknown field
            "33 38 01 34", // a group with a varint inside
            "f8 ff ff ff 0f 00", // field number 2^29 - 1 (a tag above 2^31 as unsigned)
            "2a 01 ff", // invalid UTF-8 in trace_id
            "0a 01 ff", // garbage inside req_target
            "0a 03 12 01 ff", // invalid UTF-8 in req_target.route
            "0a 02 12 00 2a 02 c3 a9", // an empty route, then "é"
            "2a 03 ed a0 80", // a surrogate
            "2a 02 c0 80", // an overlong NUL
            "2a 04 f4 90 80 80", // above U+10FFFF
            "2a 04 f0 9f 98 80", // an emoji
            "34", // a stray end-group
            "0a 01 34", // an end-group inside req_target
            "33 3c", // a group closed by another field's end-group
            "33", // a group never closed
            "1a 01 41 1a 01 42", // data twice: the last one wins
            "12 02 08 05 0a 00 12 02 12 00", // rsp_result, req_target, rsp_result
            "12 02 08 05 12 03 12 01 41", // rsp_result twice: merged
            "0e", // wire type 6
            "0f", // wire type 7
            "00", // field number 0
            "80 80 80 80 80 80 80 80 80 00", // a ten-byte tag for field number 0
            "9a 80 80 80 80 80 80 80 80 00 01 41", // a ten-byte tag for data
            "9a 80 80 80 80 80 80 80 80 80 00", // an eleven-byte tag
            "1a 81 80 80 80 80 80 80 80 80 01 41", // a length whose low 32 bits are 1
            "1a ff ff ff ff 0f", // a negative length
            "08 ff ff ff ff ff ff ff ff ff 01", // a ten-byte varint with the last byte above 1
            "09 01 02 03 04 05 06 07", // a fixed64 cut short
            "0d 01 02 03 04", // a fixed32
            "12 05 0d 01 02 03 04", // a fixed32 inside rsp_result
            "",
        };
        for (String hex : cases) {
            byte[] body = hex.isEmpty() ? new byte[0] : HexFormat.ofDelimiter(" ").parseHex(hex);
            check(body);
        }
    }

    @Test
    public void nestingStopsAtProtobufsLimit() {
        for (int depth = 95; depth <= 105; depth++) {
            check(groups(depth, new byte[0]));
            // The same groups one level down, inside rsp_result and inside req_target.
            byte[] inner = groups(depth - 1, new byte[0]);
            check(concat(new byte[] {0x12}, varint(inner.length), inner));
            check(concat(new byte[] {0x0a}, varint(inner.length), inner));
        }
    }

    @Test
    public void randomAndMutatedBodiesAreJudgedAsProtobufJudgesThem() {
        Random random = new Random(20261126);
        int accepted = 0;
        for (int i = 0; i < RANDOM_BODIES; i++) {
            byte[] body = switch (i % 4) {
                case 0 -> mutate(random, validBody(random));
                case 1 -> tokens(random, 0);
                case 2 -> mutate(random, tokens(random, 0));
                default -> randomBytes(random);
            };
            if (check(body)) {
                accepted++;
            }
        }
        // Both sides of the line are exercised, not just one.
        assertTrue("accepted " + accepted, accepted > RANDOM_BODIES / 10 && accepted < RANDOM_BODIES * 9 / 10);
    }

    /** Compares the view with protobuf for one body; returns whether it is valid. */
    private boolean check(byte[] body) {
        String hex = HexFormat.ofDelimiter(" ").formatHex(body);
        MsgBody parsed;
        try {
            parsed = MsgBody.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            parsed = null;
        }
        // At an offset inside a larger buffer, as the gate reads it.
        byte[] framed = concat(new byte[] {1, 2, 3}, body, new byte[] {0x0a, 0x01});
        boolean valid = view.parse(Unpooled.wrappedBuffer(framed), 3, body.length);
        assertEquals("valid? " + hex, parsed != null, valid);
        if (parsed != null) {
            assertArrayEquals("data of " + hex, parsed.getData().toByteArray(), view.data());
            assertEquals("rsp_result present? " + hex, parsed.hasRspResult(), view.hasResult());
            assertEquals("code of " + hex, parsed.getRspResult().getCode(), view.code());
            assertArrayEquals("msg of " + hex, parsed.getRspResult().getMsg().toByteArray(), view.msg());
        }
        return valid;
    }

    private static byte[] validBody(Random random) {
        MsgBody.Builder body = MsgBody.newBuilder();
        switch (random.nextInt(3)) {
            case 0 -> body.setRspResult(MsgBody.Response.newBuilder().setCode(random.nextInt(3) == 0
                    ? random.nextInt() : random.nextInt(20000)).setMsg(ByteString.copyFrom(randomBytes(random))));
            case 1 -> body.setReqTarget(MsgBody.Request.newBuilder().setRouteId(random.nextInt())
                    .setRoute(randomText(random)));
            default -> {
            }
        }
        if (random.nextBoolean()) {
            body.setData(ByteString.copyFrom(randomBytes(random)));
        }
        if (random.nextInt(4) == 0) {
            body.setAddOn(ByteString.copyFrom(randomBytes(random)));
        }
        if (random.nextInt(4) == 0) {
            body.setTraceId(randomText(random));
        }
        return body.build().toByteArray();
    }

    /** A stream of fields of every wire type, known and unknown numbers, well-formed or not, nested or not. */
    private static byte[] tokens(Random random, int depth) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = random.nextInt(6);
        for (int i = 0; i < count; i++) {
            int field = switch (random.nextInt(6)) {
                case 0, 1, 2 -> 1 + random.nextInt(5);
                case 3 -> random.nextInt(20);
                case 4 -> (1 << 29) - 1 - random.nextInt(3);
                default -> random.nextInt(1 << 29);
            };
            int wireType = random.nextInt(10) == 0 ? 6 + random.nextInt(2) : random.nextInt(6);
            long tag = (long) field << 3 | wireType;
            if (random.nextInt(20) == 0) {
                tag |= (long) random.nextInt(16) << 32; // bits above the low 32, which protobuf drops
            }
            writeVarint(out, tag, random.nextInt(15) == 0);
            switch (wireType) {
                case 0 -> {
                    if (random.nextInt(4) == 0) {
                        out.writeBytes(rawVarint(random));
                    } else {
                        writeVarint(out, random.nextBoolean() ? random.nextInt(300) : random.nextLong(),
                                random.nextInt(15) == 0);
                    }
                }
                case 1 -> out.writeBytes(randomBytes(random, 8 + random.nextInt(2) - 1));
                case 5 -> out.writeBytes(randomBytes(random, 4 + random.nextInt(2) - 1));
                case 2 -> {
                    byte[] value = switch (random.nextInt(4)) {
                        case 0 -> depth < 3 ? tokens(random, depth + 1) : randomBytes(random);
                        case 1 -> randomText(random).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                        default -> randomBytes(random);
                    };
                    int length = random.nextInt(10) == 0 ? value.length + random.nextInt(5) - 2 : value.length;
                    writeVarint(out, length < 0 && random.nextBoolean() ? length & 0xFFFFFFFFL : length,
                            random.nextInt(15) == 0);
                    out.writeBytes(value);
                }
                case 3 -> {
                    if (depth < 3 && random.nextBoolean()) {
                        out.writeBytes(tokens(random, depth + 1));
                    }
                    int endField = random.nextInt(8) == 0 ? random.nextInt(8) : field;
                    if (random.nextInt(10) != 0) {
                        writeVarint(out, (long) endField << 3 | 4, false);
                    }
                }
                default -> {
                }
            }
        }
        return out.toByteArray();
    }

    private static byte[] mutate(Random random, byte[] body) {
        byte[] out = body.clone();
        int mutations = random.nextInt(3);
        for (int m = 0; m < mutations && out.length > 0; m++) {
            int at = random.nextInt(out.length);
            switch (random.nextInt(5)) {
                case 0 -> out[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> out[at] = (byte) random.nextInt(256);
                case 2 -> out = java.util.Arrays.copyOf(out, at); // truncate
                case 3 -> out = concat(java.util.Arrays.copyOf(out, at), randomBytes(random, 1 + random.nextInt(3)),
                        java.util.Arrays.copyOfRange(out, at, out.length)); // insert
                default -> out = concat(java.util.Arrays.copyOf(out, at),
                        java.util.Arrays.copyOfRange(out, Math.min(out.length, at + 1 + random.nextInt(3)),
                                out.length)); // delete
            }
        }
        return out;
    }

    /** {@code depth} nested groups of field 6 around {@code content}. */
    private static byte[] groups(int depth, byte[] content) {
        byte[] body = content;
        for (int i = 0; i < depth; i++) {
            body = concat(new byte[] {0x33}, body, new byte[] {0x34});
        }
        return body;
    }

    private static byte[] randomBytes(Random random) {
        return randomBytes(random, random.nextInt(4) == 0 ? 0 : random.nextInt(12));
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[Math.max(0, length)];
        random.nextBytes(bytes);
        return bytes;
    }

    private static String randomText(Random random) {
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(6);
        for (int i = 0; i < length; i++) {
            text.appendCodePoint(switch (random.nextInt(4)) {
                case 0 -> 'a' + random.nextInt(26);
                case 1 -> 0x80 + random.nextInt(0x780);
                case 2 -> 0xE000 + random.nextInt(0x1000);
                default -> 0x10000 + random.nextInt(0x100000 - 0x10000);
            });
        }
        return text.toString();
    }

    /**
     * Up to eleven bytes of which all but the last have the top bit set, and the last is anything: varints that end
     * in time, at the tenth byte (where protobuf's unknown-field reader has a rule of its own), or run too long.
     */
    private static byte[] rawVarint(Random random) {
        byte[] bytes = new byte[1 + random.nextInt(11)];
        for (int i = 0; i < bytes.length - 1; i++) {
            bytes[i] = (byte) (0x80 | random.nextInt(128));
        }
        bytes[bytes.length - 1] = (byte) random.nextInt(256);
        return bytes;
    }

    private static byte[] varint(long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeVarint(out, value, false);
        return out.toByteArray();
    }

    /** A varint, sometimes padded to a longer (non-minimal) form, up to eleven bytes. */
    private static void writeVarint(ByteArrayOutputStream out, long value, boolean padded) {
        int minimum = padded ? 10 : 1;
        int written = 0;
        long v = value;
        while ((v & ~0x7FL) != 0 || written + 1 < minimum) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
            written++;
        }
        out.write((int) v);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
