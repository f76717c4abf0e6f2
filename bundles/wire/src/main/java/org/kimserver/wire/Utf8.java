package org.kimserver.wire;

import io.netty.buffer.ByteBuf;

/**
 * Well-formed UTF-8 as the Unicode standard defines it (table 3-7: no overlong forms, no surrogates, nothing above
 * U+10FFFF), which is what protobuf requires of a proto3 {@code string} field.
 */
final class Utf8 {
    private Utf8() {
    }

    static boolean isValid(ByteBuf buf, int index, int length) {
        int i = index;
        int end = index + length;
        while (i < end) {
            int b = buf.getByte(i) & 0xFF;
            if (b < 0x80) {
                i++;
                continue;
            }
            int size;
            int secondMin = 0x80;
            int secondMax = 0xBF;
            if (b >= 0xC2 && b <= 0xDF) {
                size = 2;
            } else if (b >= 0xE0 && b <= 0xEF) {
                size = 3;
                if (b == 0xE0) {
                    secondMin = 0xA0; // below: an overlong form
                } else if (b == 0xED) {
                    secondMax = 0x9F; // above: a surrogate
                }
            } else if (b >= 0xF0 && b <= 0xF4) {
                size = 4;
                if (b == 0xF0) {
                    secondMin = 0x90; // below: an overlong form
                } else if (b == 0xF4) {
                    secondMax = 0x8F; // above: beyond U+10FFFF
                }
            } else {
                return false; // a continuation byte, C0, C1 or F5..FF
            }
            if (end - i < size) {
                return false;
            }
            int second = buf.getByte(i + 1) & 0xFF;
            if (second < secondMin || second > secondMax) {
                return false;
            }
            for (int k = 2; k < size; k++) {
                if ((buf.getByte(i + k) & 0xC0) != 0x80) {
                    return false;
                }
            }
            i += size;
        }
        return true;
    }
}
