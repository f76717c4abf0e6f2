package org.kimserver.api.pool;

import java.net.ConnectException;
import org.kimserver.api.ErrorCode;

/**
 * The original's error code for a failed Redis command. {@link #REDIS_NODE} is the service property that names the
 * node of the Lettuce services: {@code @Reference(target = "(kim.redis.node=test)")}.
 */
public final class RedisErrors {
    /** The service property of a Redis node's services: the node's name in {@code redis}. */
    public static final String REDIS_NODE = "kim.redis.node";

    private RedisErrors() {
    }

    /**
     * 11007 when Redis cannot be reached (no connection, or commands rejected while it reconnects), 11009 for an
     * error reply of Redis, else 11004 for a write and 11003 for a read (a timeout, say). Lettuce's exception types
     * are recognised by name, so that this API does not depend on Lettuce.
     */
    public static ErrorCode of(Throwable e, boolean write) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String type = t.getClass().getName();
            if (type.equals("io.lettuce.core.RedisConnectionException") || t instanceof ConnectException
                    || String.valueOf(t.getMessage()).startsWith("Currently not connected")) {
                return ErrorCode.REDIS_TASKS_CLEAR;
            }
            if (type.equals("io.lettuce.core.RedisCommandExecutionException")) {
                return ErrorCode.REDIS_GET_REPLY_FAILED;
            }
        }
        return write ? ErrorCode.REDIS_WRITE_FAILED : ErrorCode.REDIS_READ_FAILED;
    }
}
