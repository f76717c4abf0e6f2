package org.kimserver.api.pool;

import static org.junit.Assert.assertEquals;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import org.junit.Test;
import org.kimserver.api.ErrorCode;

public class RedisErrorsTest {
    @Test
    public void aRedisThatCannotBeReachedIs11007() {
        assertEquals(ErrorCode.REDIS_TASKS_CLEAR, RedisErrors.of(new RedisConnectionException(
                "Unable to connect to 127.0.0.1:6390", new ConnectException("Connection refused")), true));
        // What Lettuce answers at once while it reconnects (commands rejected), wrapped as a future's join throws it.
        assertEquals(ErrorCode.REDIS_TASKS_CLEAR, RedisErrors.of(new CompletionException(new RedisException(
                "Currently not connected. Commands are rejected.")), false));
    }

    @Test
    public void anErrorReplyIs11009() {
        assertEquals(ErrorCode.REDIS_GET_REPLY_FAILED, RedisErrors.of(new CompletionException(
                new RedisCommandExecutionException("WRONGTYPE Operation against a key holding the wrong kind")), false));
    }

    @Test
    public void anythingElseIs11004ForAWriteAnd11003ForARead() {
        RedisCommandTimeoutException timeout = new RedisCommandTimeoutException("Command timed out after 800 ms");
        assertEquals(ErrorCode.REDIS_WRITE_FAILED, RedisErrors.of(timeout, true));
        assertEquals(ErrorCode.REDIS_READ_FAILED, RedisErrors.of(timeout, false));
    }
}
