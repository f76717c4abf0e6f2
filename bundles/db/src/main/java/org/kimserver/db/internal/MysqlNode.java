package org.kimserver.db.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Hashtable;
import java.util.Set;
import javax.sql.DataSource;
import org.kimserver.api.diag.PoolStatistics;
import org.kimserver.api.pool.DbErrors;
import org.mariadb.jdbc.MariaDbDataSource;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of {@code database.nodes} (a factory configuration {@code kimserver.mysql~<node>}): a HikariCP pool of
 * MariaDB Connector/J connections, registered as a {@link DataSource} with {@value DbErrors#DB_NODE}. The service
 * is registered here rather than by SCR so that its properties are the node's name and address, not the whole
 * configuration (the password). Immediate: the pool and its service exist as soon as the node is configured, not
 * when something first asks for this component.
 */
@Component(service = MysqlNode.class, immediate = true, configurationPid = "kimserver.mysql",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = MysqlNode.Config.class, factory = true)
public final class MysqlNode {
    private static final Logger LOG = LoggerFactory.getLogger(MysqlNode.class);
    /** How long a replaced pool waits for its borrowed connections before it is closed. */
    private static final Duration RETIRE = Duration.ofSeconds(30);
    /** The same when the node goes (a stop, the node removed): the stop must not wait long for a stuck caller. */
    private static final Duration RETIRE_AT_STOP = Duration.ofSeconds(5);
    /** Connection character sets MariaDB Connector/J speaks: it always talks utf8mb4. */
    private static final Set<String> UTF8 = Set.of("utf8mb4", "utf8", "utf8mb3");

    @ObjectClassDefinition(name = "kimserver database node", description = "database.nodes.<node> of etc/kimserver.json")
    @interface Config {
        @AttributeDefinition(description = "the node's name")
        String node();

        String host();

        int port();

        String user();

        String password() default "";

        String charset() default "utf8mb4";

        @AttributeDefinition(description = "pooled connections; 0: 5")
        int max_conn_cnt() default 5;

        @AttributeDefinition(description = "the database connections open (the original always opened mysql)")
        String name() default "mysql";

        @AttributeDefinition(description = "statements slower than this many ms are logged at WARN; 0 logs none")
        int slowlog_log_slower_than() default 0;
    }

    /** What a pool is made from: a change of any of these is a new pool. */
    private record Target(String host, int port, String user, String password, String name, int maxSize) {
        static Target of(Config config) {
            return new Target(config.host(), config.port(), config.user(), config.password(), config.name(),
                    config.max_conn_cnt() == 0 ? 5 : config.max_conn_cnt());
        }

        String address() {
            return host + ":" + port + "/" + name;
        }
    }

    /** One pool of the node and its service. */
    private record Pool(Target target, HikariDataSource hikari, NodeDataSource dataSource,
                        ServiceRegistration<DataSource> registration) {
    }

    private BundleContext context;
    private String node;
    private final Failures failures = new Failures();
    private SlowStatements slow;
    private volatile Pool current;

    @Activate
    void activate(BundleContext context, Config config) throws SQLException {
        this.context = context;
        node = config.node();
        slow = new SlowStatements(node, failures);
        slow.threshold(config.slowlog_log_slower_than());
        checkCharset(config);
        current = open(Target.of(config));
    }

    /**
     * A change of the slow-query threshold applies at once; one of the address, credentials or pool size opens a
     * new pool, whose service is registered before the old one's goes (a handler bound to it moves to the new one
     * without a moment with none); the old pool is closed once its borrowed connections are back.
     */
    @Modified
    void modified(Config config) throws SQLException {
        slow.threshold(config.slowlog_log_slower_than());
        checkCharset(config);
        Target target = Target.of(config);
        Pool old = current;
        if (target.equals(old.target())) {
            return;
        }
        current = open(target);
        old.registration().unregister();
        Thread.ofVirtual().name("kim-db-retire-" + node).start(() -> retire(old, RETIRE));
    }

    @Deactivate
    void deactivate() {
        Pool pool = current;
        pool.registration().unregister();
        retire(pool, RETIRE_AT_STOP);
    }

    private void checkCharset(Config config) {
        if (!UTF8.contains(config.charset().toLowerCase())) {
            LOG.warn("database node {}: charset {} is not used: MariaDB Connector/J always speaks utf8mb4 (the"
                    + " tables keep their own character set)", node, config.charset());
        }
    }

    private Pool open(Target target) throws SQLException {
        MariaDbDataSource mariadb = new MariaDbDataSource("jdbc:mariadb://" + target.host() + ":" + target.port()
                + "/" + target.name() + "?connectTimeout=" + NodeDataSource.CONNECT_TIMEOUT_MS);
        mariadb.setUser(target.user());
        mariadb.setPassword(target.password());
        ConnectionWatch watch = new ConnectionWatch(slow.wrap(mariadb));
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("kim-db-" + node);
        hikari.setDataSource(watch);
        hikari.setMaximumPoolSize(target.maxSize());
        // None kept open for its own sake: HikariCP would retry a database that is down in the background with a
        // back-off growing to 5 s, and hold up the first connection once it is back (NodeDataSource probes it).
        hikari.setMinimumIdle(0);
        hikari.setConnectionTimeout(NodeDataSource.SLICE_MS); // NodeDataSource waits in slices of this
        hikari.setValidationTimeout(NodeDataSource.SLICE_MS);
        hikari.setInitializationFailTimeout(-1); // a database that is down now is no reason not to start
        HikariDataSource pool = new HikariDataSource(hikari);
        NodeDataSource dataSource = new NodeDataSource(node, pool, watch, failures);
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(DbErrors.DB_NODE, node);
        properties.put("kim.db.address", target.address());
        ServiceRegistration<DataSource> registration = context.registerService(DataSource.class, dataSource,
                properties);
        LOG.info("database node {}: pool of up to {} connections to {} as {}", node, target.maxSize(),
                target.address(), target.user());
        return new Pool(target, pool, dataSource, registration);
    }

    /**
     * Closes a pool whose service is gone once its borrowed connections are back (waiting at most {@code patience}):
     * HikariCP's close aborts the connections still borrowed, failing what their callers do with them.
     */
    private void retire(Pool pool, Duration patience) {
        long until = System.nanoTime() + patience.toNanos();
        while (pool.dataSource().active() > 0 && System.nanoTime() - until < 0) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        pool.hikari().close();
        LOG.info("database node {}: pool of {} closed", node, pool.target().address());
    }

    PoolStatistics statistics() {
        Pool pool = current;
        HikariPoolMXBean bean = pool.hikari().getHikariPoolMXBean();
        int active = bean == null ? 0 : bean.getActiveConnections();
        int idle = bean == null ? 0 : bean.getIdleConnections();
        int waiting = bean == null ? 0 : bean.getThreadsAwaitingConnection();
        return new PoolStatistics(DbPools.KIND, node, pool.target().address(), pool.target().maxSize(), active, idle,
                waiting, failures.count(), slow.count(), failures.last(), pool.dataSource().unreachableSince());
    }
}
