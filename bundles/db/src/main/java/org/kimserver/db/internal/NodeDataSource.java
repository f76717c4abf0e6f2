package org.kimserver.db.internal;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * The {@link DataSource} a node's handlers get: its pool, except that while the database cannot be reached (the
 * last attempt to connect failed and no connection is open) a caller is answered at once, and a caller starts a
 * try to connect, in the background, at most every {@value #PROBE_MS} ms, so a database that comes back is used
 * again within about that long. A caller waits up to {@value #WAIT_MS} ms for a free connection, as the original's
 * queue did, looking every {@value #SLICE_MS} ms whether the database went meanwhile. HikariCP alone would make every
 * caller wait its whole connection timeout, also for a database that is gone.
 */
final class NodeDataSource extends ForwardingDataSource {
    /** How long a caller waits for a connection while all are in use: the original's limit, 12008 after it. */
    static final long WAIT_MS = 10_000;
    /** How often a waiting caller looks whether the database went meanwhile: an answer within a second then. */
    static final long SLICE_MS = 250;
    /** How long opening a connection may take (the driver's connectTimeout). */
    static final long CONNECT_TIMEOUT_MS = 700;
    /** How often a caller is let through to try a database that could not be reached. */
    static final long PROBE_MS = 500;

    private final String node;
    private final HikariDataSource pool;
    private final ConnectionWatch watch;
    private final AtomicLong nextProbe = new AtomicLong(System.nanoTime());
    private final AtomicBoolean probing = new AtomicBoolean();
    private final Failures failures;

    NodeDataSource(String node, HikariDataSource pool, ConnectionWatch watch, Failures failures) {
        super(pool);
        this.node = node;
        this.pool = pool;
        this.watch = watch;
        this.failures = failures;
    }

    @Override
    public Connection getConnection() throws SQLException {
        SQLException down = watch.failure();
        if (down != null && openConnections() == 0) {
            if (probeDue() && probing.compareAndSet(false, true)) {
                Thread.ofVirtual().name("kim-db-probe-" + node).start(this::probe);
            }
            throw unreachable(down);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (true) {
            try {
                return hikari().getConnection(SLICE_MS);
            } catch (SQLTransientConnectionException e) {
                SQLException gone = watch.failure();
                if (gone != null && openConnections() == 0) {
                    throw unreachable(gone);
                }
                if (System.nanoTime() - deadline >= 0) {
                    SQLTransientConnectionException busy = new SQLTransientConnectionException("database node "
                            + node + ": no connection free within " + WAIT_MS + " ms", e.getSQLState(), e.getCause());
                    failed(busy);
                    throw busy;
                }
            } catch (SQLException e) {
                failed(e);
                throw e;
            }
        }
    }

    /**
     * Tries to connect, by itself and not through the pool: a caller waiting in the pool keeps HikariCP retrying with
     * a back-off that grows to seconds, which would delay the use of a database that is back. On a thread of its own:
     * a database that accepts connections but does not answer would hold each caller for the connect timeout.
     */
    private void probe() {
        try (Connection connection = watch.getConnection()) {
            // reachable again: the pool connects from now on
        } catch (SQLException e) {
            // still not: the watch has the failure, which callers are told
        } finally {
            probing.set(false);
        }
    }

    /** The pool itself, whose wait for a connection can be given per call. */
    private HikariPool hikari() throws SQLException {
        HikariPoolMXBean bean = pool.getHikariPoolMXBean();
        if (bean == null) {
            throw new SQLException("database node " + node + ": its pool is closed");
        }
        return (HikariPool) bean;
    }

    private SQLTransientConnectionException unreachable(SQLException cause) {
        failures.add("cannot be reached: " + cause.getMessage()); // kim:db's row names the node
        return new SQLTransientConnectionException("database node " + node + " cannot be reached: "
                + cause.getMessage(), "08001", cause);
    }

    /** Since when the database cannot be reached (the last attempt to connect failed, none is open), or null. */
    Instant unreachableSince() {
        return openConnections() == 0 ? watch.failingSince() : null;
    }

    private int openConnections() {
        HikariPoolMXBean bean = pool.getHikariPoolMXBean();
        return bean == null ? 0 : bean.getTotalConnections();
    }

    private boolean probeDue() {
        long now = System.nanoTime();
        long next = nextProbe.get();
        return now - next >= 0 && nextProbe.compareAndSet(next, now + TimeUnit.MILLISECONDS.toNanos(PROBE_MS));
    }

    private void failed(SQLException e) {
        failures.add(e.getMessage());
    }

    /** Connections borrowed now. */
    int active() {
        HikariPoolMXBean bean = pool.getHikariPoolMXBean();
        return bean == null ? 0 : bean.getActiveConnections();
    }
}
