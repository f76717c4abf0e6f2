package org.kimserver.itest.dedicated;

import io.lettuce.core.KeyValue;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.support.AsyncPool;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;

/**
 * Packed into a test module that uses Redis node "test"'s dedicated connections as any module would (its AsyncPool,
 * bound by SCR into {@link #pool}): takes one, blocks on it in {@code BLPOP kim.itest.queue <data seconds>}, gives
 * it back, and answers with what it popped ("nothing" when the wait ended empty), or "exhausted" when every
 * dedicated connection was in use (Lettuce's bounded pool refuses at once, it does not wait).
 */
public class PopHandler implements CommandHandler {
    private AsyncPool<StatefulRedisConnection<String, String>> pool;

    @Override
    public Reply handle(Request request) throws Exception {
        long seconds = Long.parseLong(request.dataAsString());
        StatefulRedisConnection<String, String> connection;
        try {
            connection = pool.acquire().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof NoSuchElementException) {
                return Reply.ok("ok", "exhausted");
            }
            throw e;
        }
        try {
            KeyValue<String, String> popped = connection.sync().blpop(seconds, "kim.itest.queue");
            return Reply.ok("ok", popped == null ? "nothing" : popped.getValue());
        } finally {
            pool.release(connection).get();
        }
    }
}
