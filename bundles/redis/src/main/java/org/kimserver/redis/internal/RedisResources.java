package org.kimserver.redis.internal;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The threads every Redis node's client shares (Lettuce's recommended use: one set of resources a process), and how
 * soon a lost connection is made again: at once, then every {@value #RECONNECT_MS} ms, not Lettuce's back-off to
 * 30 s, so that a Redis that is back is used again within about that long.
 *
 * <p>Every connection's flushes are consolidated: Lettuce flushes each command on its own, so many callers sharing
 * one connection cost a write system call each per command (two per cmd 1005) on the connection's one event loop.
 * Consolidated, the commands queued for the loop go out in one write per pass of it; a lone command still leaves in
 * the same pass, so nothing waits for a timer.
 */
@Component(service = RedisResources.class)
public final class RedisResources {
    static final long RECONNECT_MS = 500;

    private ClientResources resources;

    @Activate
    void activate() {
        resources = DefaultClientResources.builder()
                .reconnectDelay(new ReconnectDelay())
                .nettyCustomizer(new NettyCustomizer() {
                    @Override
                    public void afterChannelInitialized(Channel channel) {
                        channel.pipeline().addFirst(new FlushConsolidationHandler(
                                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                    }
                })
                .build();
    }

    /**
     * The first try at once: a connection lost while its Redis is up (Redis's idle {@code timeout}, a proxy's
     * restart, CLIENT KILL) costs no wait; a Redis that is down refuses it at once, and the next tries are spaced.
     */
    private static final class ReconnectDelay extends Delay {
        @Override
        public Duration createDelay(long attempt) {
            return attempt <= 1 ? Duration.ZERO : Duration.ofMillis(RECONNECT_MS);
        }
    }

    @Deactivate
    void deactivate() {
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    ClientResources get() {
        return resources;
    }
}
