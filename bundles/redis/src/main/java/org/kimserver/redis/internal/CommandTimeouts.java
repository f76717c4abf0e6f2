package org.kimserver.redis.internal;

import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * How long a command may take before its caller gets a timeout: {@code timeout} for every command but those that
 * ask Redis to block (BLPOP, XREAD ... BLOCK, WAIT, ...), which carry their own wait and would otherwise fail after
 * {@code timeout} on the dedicated connections that exist for them; the client does not time them out.
 */
final class CommandTimeouts extends TimeoutOptions.TimeoutSource {
    private static final Set<CommandType> BLOCKING = EnumSet.of(CommandType.BLPOP, CommandType.BRPOP,
            CommandType.BRPOPLPUSH, CommandType.BLMOVE, CommandType.BLMPOP, CommandType.BZPOPMIN, CommandType.BZPOPMAX,
            CommandType.BZMPOP, CommandType.XREAD, CommandType.XREADGROUP, CommandType.WAIT);
    /** Lettuce's "no timeout" for a command. */
    private static final long NONE = 0;
    private final long timeoutMillis;

    CommandTimeouts(Duration timeout) {
        this.timeoutMillis = timeout.toMillis();
    }

    @Override
    public long getTimeout(RedisCommand<?, ?, ?> command) {
        return command.getType() instanceof CommandType type && BLOCKING.contains(type) ? NONE : timeoutMillis;
    }

    @Override
    public TimeUnit getTimeUnit() {
        return TimeUnit.MILLISECONDS;
    }
}
