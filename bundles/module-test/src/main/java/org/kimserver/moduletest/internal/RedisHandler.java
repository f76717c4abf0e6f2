package org.kimserver.moduletest.internal;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.ErrorCode;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;
import org.kimserver.api.pool.RedisErrors;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cmd 1005, the original's KP_REQ_TEST_REDIS: on Redis node "test", {@code set key value:1} then {@code get key};
 * "ok" / "test redis done!". As the original, any failure of the set is code 11004 "write redis failed!" and of the
 * get 11003 "read redis failed!" (no node "test", or not connected yet, is a failed set). Both commands go out
 * together on the node's shared connection, which keeps their order, and the handler waits for their replies on
 * its virtual thread.
 */
@Component(property = CommandHandler.CMD + "=1005")
public final class RedisHandler implements CommandHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RedisHandler.class);
    private static final Reply DONE = Reply.ok("ok", "test redis done!");
    private static final Reply WRITE_FAILED = Reply.of(ErrorCode.REDIS_WRITE_FAILED, "write redis failed!", "");
    private static final Reply READ_FAILED = Reply.of(ErrorCode.REDIS_READ_FAILED, "read redis failed!", "");

    /** Optional: while the node has no connection (Redis down at the start), requests get the failed-set reply. */
    @Reference(target = "(" + RedisErrors.REDIS_NODE + "=test)", cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    private volatile StatefulRedisConnection<String, String> test;

    @Override
    public Reply handle(Request request) {
        StatefulRedisConnection<String, String> connection = test;
        if (connection == null) {
            return WRITE_FAILED;
        }
        RedisAsyncCommands<String, String> redis = connection.async();
        RedisFuture<String> get;
        try {
            RedisFuture<String> set = redis.set("key", "value:1");
            get = redis.get("key");
            set.toCompletableFuture().join();
        } catch (RuntimeException e) { // a failed reply, or a command rejected while the connection is lost
            LOG.debug("cmd 1005: set failed", e);
            return WRITE_FAILED;
        }
        try {
            String value = get.toCompletableFuture().join();
            if (LOG.isDebugEnabled()) {
                LOG.debug("cmd 1005: get key: {}", value);
            }
        } catch (RuntimeException e) {
            LOG.debug("cmd 1005: get failed", e);
            return READ_FAILED;
        }
        return DONE;
    }
}
