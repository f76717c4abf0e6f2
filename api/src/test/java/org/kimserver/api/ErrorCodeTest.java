package org.kimserver.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.util.HashSet;
import java.util.Set;
import org.junit.Test;

public class ErrorCodeTest {

    @Test
    public void numbersMatchTheOriginal() {
        assertEquals(0, ErrorCode.OK.code());
        assertEquals(4, ErrorCode.UNKNOWN_CMD.code());
        assertEquals(19, ErrorCode.PACKET_DECODE_FAILED.code());
        assertEquals(21, ErrorCode.DB_MGR_EXIT.code());
        assertEquals(11003, ErrorCode.REDIS_READ_FAILED.code());
        assertEquals(11004, ErrorCode.REDIS_WRITE_FAILED.code());
        assertEquals(12009, ErrorCode.DB_CONNECT_FAILED.code());
    }

    @Test
    public void everyNumberIsUniqueAndFoundAgain() {
        Set<Integer> seen = new HashSet<>();
        for (ErrorCode e : ErrorCode.values()) {
            assertEquals(e.name() + " is not unique", true, seen.add(e.code()));
            assertEquals(e, ErrorCode.of(e.code()).orElseThrow());
        }
        assertFalse(ErrorCode.of(999).isPresent());
    }
}
