package org.kimserver.redis.internal;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.event.command.CommandFailedEvent;
import io.lettuce.core.event.command.CommandListener;
import io.lettuce.core.event.command.CommandSucceededEvent;
import io.lettuce.core.support.AsyncConnectionPoolSupport;
import io.lettuce.core.support.AsyncPool;
import io.lettuce.core.support.BoundedAsyncPool;
import io.lettuce.core.support.BoundedPoolConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.kimserver.api.diag.PoolStatistics;
import org.kimserver.api.pool.RedisErrors;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of {@code redis} (a factory configuration {@code kimserver.redis~<node>}): a Lettuce {@link RedisClient},
 * its shared thread-safe connection (commands of every caller pipelined on it, Lettuce's recommended use) and a
 * bounded pool of up to {@code max_conn_cnt} dedicated connections (blocking commands, transactions, pub/sub), each
 * a service with {@value RedisErrors#REDIS_NODE}. The shared connection is registered once it is connected: a
 * Redis that is down at the start is tried every {@value RedisResources#RECONNECT_MS} ms. While a connection is lost,
 * commands are rejected at once (not queued until a timeout), and Lettuce reconnects at once, then at that interval.
 * A Redis that keeps its connections and answers nothing (it hangs) is found by its commands' timeouts and is then,
 * as one that cannot be connected, a problem in {@code kim:info}, until a command is answered; each look at the node
 * meanwhile sends a PING, so that it ends once Redis answers again even if no caller comes (the late answers to
 * the commands that timed out do not end it: Lettuce does not report them).
 *
 * <p>A node whose address, credentials or pool size change gets a new client beside the old one: its services are
 * registered before the old ones go (once its shared connection is connected, or after {@link #HANDOVER} if it cannot
 * connect), so a handler bound to the shared connection moves to the new one without a moment with none; the old
 * client is closed only once the calls that took its connection just before can have ended. A change that leaves
 * those as they were changes nothing.
 */
@Component(service = RedisNode.class, immediate = true, configurationPid = "kimserver.redis",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = RedisNode.Config.class, factory = true)
public final class RedisNode {
    private static final Logger LOG = LoggerFactory.getLogger(RedisNode.class);
    /**
     * How long a command may take before its caller gets a timeout, an answer within a second; commands that ask
     * Redis to block wait as long as they ask ({@link CommandTimeouts}).
     */
    static final Duration COMMAND_TIMEOUT = Duration.ofMillis(800);
    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(700);
    /** How long the old client serves after a change while the new one cannot connect. */
    static final Duration HANDOVER = Duration.ofSeconds(2);
    /** How long a replaced client stays open after its services are gone, for the calls that took them just before. */
    static final Duration RETIRE_GRACE = COMMAND_TIMEOUT.plusMillis(200);
    /** How long a replaced client waits at most for its borrowed dedicated connections (blocking commands). */
    static final Duration RETIRE_MAX = Duration.ofSeconds(30);

    @ObjectClassDefinition(name = "kimserver Redis node", description = "redis.<node> of etc/kimserver.json")
    @interface Config {
        @AttributeDefinition(description = "the node's name")
        String node();

        String host();

        int port();

        @AttributeDefinition(description = "dedicated connections at most (the pool)")
        int max_conn_cnt();

        String password() default "";

        int database() default 0;
    }

    /** What a client is made from: a change of any of these is a new client. */
    private record Target(String host, int port, String password, int database, int maxSize) {
        static Target of(Config config) {
            return new Target(config.host(), config.port(), config.password(), config.database(),
                    config.max_conn_cnt());
        }

        String address() {
            return host + ":" + port + "/" + database;
        }

        /** What differs from {@code before}: "127.0.0.1:6380/0 instead of 127.0.0.1:6379/0; a new password". */
        String changesFrom(Target before) {
            List<String> changes = new ArrayList<>();
            if (!address().equals(before.address())) {
                changes.add(address() + " instead of " + before.address());
            }
            if (!password.equals(before.password)) {
                changes.add(password.isEmpty() ? "no password" : "a new password");
            }
            if (maxSize != before.maxSize) {
                changes.add("max_conn_cnt " + maxSize + " instead of " + before.maxSize);
            }
            return String.join("; ", changes);
        }
    }

    @Reference
    private RedisResources resources;

    private BundleContext context;
    private String node;
    /** Failed commands of every client of this node. */
    private final LongAdder errors = new LongAdder();
    /** The client serving now; the one before it serves until this one's shared connection is registered. */
    private volatile Client current;
    /** Replaced clients not yet closed: they are when the component stops. */
    private final Set<Client> retiring = ConcurrentHashMap.newKeySet();

    @Activate
    void activate(BundleContext context, Config config) {
        this.context = context;
        node = config.node();
        current = new Client(Target.of(config), null);
    }

    @Modified
    void modified(Config config) {
        Target target = Target.of(config);
        if (target.equals(current.target)) {
            return;
        }
        LOG.info("Redis node {}: a new client: {}", node, target.changesFrom(current.target));
        current = new Client(target, current);
    }

    @Deactivate
    void deactivate() {
        current.close();
        retiring.forEach(Client::shutDown);
    }

    PoolStatistics statistics() {
        Client client = current;
        int idle = client.pool.getIdle();
        StatefulRedisConnection<String, String> connection = client.shared;
        String state;
        Instant since;
        if (connection == null || !connection.isOpen()) {
            state = connection == null ? "not connected yet" : "reconnecting";
            since = client.downSince;
        } else if (client.unansweredSince != null) {
            state = "not answering";
            since = client.unansweredSince;
            client.probe(connection);
        } else {
            state = null;
            since = null;
            client.downSince = null; // connected again (the listener's word on it is not relied on)
        }
        String last = client.lastError;
        return new PoolStatistics(RedisPools.KIND, node, client.target.address(), client.target.maxSize(),
                client.pool.getObjectCount() - idle, idle, 0, errors.sum(), 0,
                state != null ? state + (last == null ? "" : ": " + last) : last, since);
    }

    /** The message of the innermost cause: "WRONGPASS invalid username-password pair", not "Unable to connect". */
    private static String reason(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return Objects.requireNonNullElse(root.getMessage(), root.toString());
    }

    /** One client of the node, with its services. */
    private final class Client {
        final Target target;
        final RedisClient redis;
        final BoundedAsyncPool<StatefulRedisConnection<String, String>> pool;
        final Hashtable<String, Object> properties = new Hashtable<>();
        final ServiceRegistration<RedisClient> clientRegistration;
        final ServiceRegistration<?> poolRegistration;
        final Thread connector;
        /** The client it replaces, until this one serves; then null. */
        private Client previous;
        private ServiceRegistration<?> sharedRegistration;
        private boolean closed;
        private final AtomicBoolean shutDown = new AtomicBoolean();
        volatile StatefulRedisConnection<String, String> shared;
        /** Why its last command or connection failed, or null: a new client starts without the old one's. */
        volatile String lastError;
        /** Since when its commands time out with none answered since (Redis hangs), or null. */
        volatile Instant unansweredSince;
        /** A PING is on its way to learn whether Redis answers again. */
        private final AtomicBoolean probing = new AtomicBoolean();
        /**
         * Since when the shared connection cannot be made or was lost, or null (also while the first attempt to
         * connect runs: a node that is connecting is no problem yet).
         */
        volatile Instant downSince;

        Client(Target target, Client previous) {
            this.target = target;
            this.previous = previous;
            RedisURI.Builder uri = RedisURI.builder().withHost(target.host()).withPort(target.port())
                    .withDatabase(target.database()).withTimeout(COMMAND_TIMEOUT);
            if (!target.password().isEmpty()) {
                uri.withPassword(target.password().toCharArray());
            }
            RedisURI address = uri.build();
            redis = RedisClient.create(resources.get(), address);
            redis.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).build())
                    .timeoutOptions(TimeoutOptions.builder().timeoutSource(new CommandTimeouts(COMMAND_TIMEOUT))
                            .build())
                    .build());
            redis.addListener(new RedisConnectionStateListener() {
                @Override
                public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                    if (connection == shared && downSince == null) {
                        downSince = Instant.now();
                    }
                }
            });
            redis.addListener(new CommandListener() {
                @Override
                public void commandFailed(CommandFailedEvent event) {
                    errors.increment();
                    lastError = event.getCause() == null ? "failed" : reason(event.getCause());
                    if (event.getCause() instanceof RedisCommandTimeoutException && unansweredSince == null) {
                        unansweredSince = Instant.now();
                    }
                }

                @Override
                public void commandSucceeded(CommandSucceededEvent event) {
                    if (unansweredSince != null) { // read first: a write per command would cost every caller
                        unansweredSince = null;
                    }
                }
            });
            pool = AsyncConnectionPoolSupport.createBoundedObjectPool(
                    () -> redis.connectAsync(StringCodec.UTF8, address),
                    BoundedPoolConfig.builder().maxTotal(target.maxSize()).maxIdle(target.maxSize()).minIdle(0).build());
            properties.put(RedisErrors.REDIS_NODE, node);
            properties.put("kim.redis.address", target.address());
            clientRegistration = context.registerService(RedisClient.class, redis, properties);
            poolRegistration = context.registerService(AsyncPool.class, pool, properties);
            connector = Thread.ofVirtual().name("kim-redis-connect-" + node).start(this::connectShared);
            LOG.info("Redis node {}: {} (up to {} dedicated connections)", node, target.address(), target.maxSize());
        }

        /**
         * Connects the shared connection, trying again until it is connected or the client is closed, then registers
         * it and retires the client before; that one goes after {@link #HANDOVER} anyway.
         */
        private void connectShared() {
            long handover = System.nanoTime() + HANDOVER.toNanos();
            String failing = null;
            while (true) {
                try {
                    StatefulRedisConnection<String, String> connection = redis.connect();
                    synchronized (this) {
                        if (closed) {
                            connection.close();
                            return;
                        }
                        shared = connection;
                        downSince = null;
                        sharedRegistration = context.registerService(StatefulRedisConnection.class, connection,
                                properties);
                    }
                    LOG.info("Redis node {}: connected to {}", node, target.address());
                    retirePrevious();
                    return;
                } catch (RuntimeException e) {
                    if (downSince == null) {
                        downSince = Instant.now();
                    }
                    String why = reason(e);
                    lastError = "cannot connect: " + why;
                    if (!why.equals(failing)) { // once a reason: "Connection refused", "WRONGPASS ..."
                        LOG.warn("Redis node {}: cannot connect to {}: {}; trying again every {} ms", node,
                                target.address(), why, RedisResources.RECONNECT_MS);
                        failing = why;
                    }
                }
                if (System.nanoTime() - handover >= 0) {
                    retirePrevious();
                }
                try {
                    Thread.sleep(RedisResources.RECONNECT_MS);
                } catch (InterruptedException interrupted) {
                    return;
                }
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                }
            }
        }

        /** Sends a PING unless one is on its way: its answer ends the "not answering" even if no caller comes. */
        void probe(StatefulRedisConnection<String, String> connection) {
            if (probing.compareAndSet(false, true)) {
                connection.async().ping().whenComplete((pong, failure) -> probing.set(false));
            }
        }

        private void retirePrevious() {
            Client before = takePrevious();
            if (before != null) {
                before.retire();
            }
        }

        private synchronized Client takePrevious() {
            Client before = previous;
            previous = null;
            return before;
        }

        /** Unregisters the services and closes it all at once: the node is gone, or the component stops. */
        void close() {
            Client before = takePrevious();
            if (before != null) {
                before.close();
            }
            unregister();
            shutDown();
        }

        /**
         * Unregisters the services now, so that the handlers bound to them move to the next client's, and closes the
         * rest on another thread once the calls that took them just before have ended: after {@link #RETIRE_GRACE}
         * (longer than any command but a blocking one may take) and once the dedicated connections borrowed are back,
         * waiting at most {@link #RETIRE_MAX} for those.
         */
        void retire() {
            unregister();
            retiring.add(this);
            Thread.ofVirtual().name("kim-redis-retire-" + node).start(() -> {
                long until = System.nanoTime() + RETIRE_MAX.toNanos();
                try {
                    Thread.sleep(RETIRE_GRACE);
                    while (pool.getObjectCount() - pool.getIdle() > 0 && System.nanoTime() - until < 0) {
                        Thread.sleep(50);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                shutDown();
            });
        }

        private void unregister() {
            synchronized (this) {
                closed = true;
                if (sharedRegistration != null) {
                    sharedRegistration.unregister();
                }
            }
            connector.interrupt();
            poolRegistration.unregister();
            clientRegistration.unregister();
        }

        /** Closes the pool, the shared connection and the client, once: at the end of a retirement or a stop. */
        private void shutDown() {
            if (!shutDown.compareAndSet(false, true)) {
                return;
            }
            retiring.remove(this);
            pool.closeAsync().toCompletableFuture().join();
            if (shared != null) {
                shared.close(); // the commands sent on it have their replies first
            }
            redis.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            LOG.info("Redis node {}: client of {} closed", node, target.address());
        }
    }
}
