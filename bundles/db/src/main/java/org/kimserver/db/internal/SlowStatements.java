package org.kimserver.db.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The slow-query log of a node: the pool's physical connections are proxies whose statements time each
 * {@code execute*} call and log at WARN the ones slower than {@code database.slowlog_log_slower_than} ms, with the
 * statement. Proxies under the pool, so every library a module uses over the DataSource (JDBC, jOOQ, MyBatis...) is
 * timed, and nothing has to be wrapped by hand. A threshold of 0 logs none (the original logged every statement).
 */
final class SlowStatements {
    private static final Logger LOG = LoggerFactory.getLogger(SlowStatements.class);

    private final String node;
    private final Failures failures;
    private volatile long thresholdNanos;
    private final LongAdder slow = new LongAdder();

    SlowStatements(String node, Failures failures) {
        this.node = node;
        this.failures = failures;
    }

    /** Statements slower than {@code thresholdMs} are logged from now on; 0: none. */
    void threshold(int thresholdMs) {
        thresholdNanos = thresholdMs <= 0 ? Long.MAX_VALUE : TimeUnit.MILLISECONDS.toNanos(thresholdMs);
    }

    /** Statements slower than the threshold so far. */
    long count() {
        return slow.sum();
    }

    /** A DataSource whose connections' statements are timed. */
    DataSource wrap(DataSource physical) {
        return new ForwardingDataSource(physical) {
            @Override
            public Connection getConnection() throws SQLException {
                Connection connection = target.getConnection();
                return proxy(Connection.class, connection, new ConnectionCalls(connection));
            }
        };
    }

    private static <T> T proxy(Class<T> type, T target, InvocationHandler calls) {
        return type.cast(Proxy.newProxyInstance(SlowStatements.class.getClassLoader(), new Class<?>[] {type}, calls));
    }

    /** The cause a reflective call threw. */
    private static Object call(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** A connection whose statements are timed; the pool unwraps it to the driver's with unwrap(), as any. */
    private final class ConnectionCalls implements InvocationHandler {
        private final Connection connection;

        ConnectionCalls(Connection connection) {
            this.connection = connection;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            Object result = call(method, connection, args);
            String sql = args != null && args.length > 0 && args[0] instanceof String s ? s : null;
            if (result instanceof CallableStatement statement) {
                return proxy(CallableStatement.class, statement, new StatementCalls(statement, sql));
            }
            if (result instanceof PreparedStatement statement) {
                return proxy(PreparedStatement.class, statement, new StatementCalls(statement, sql));
            }
            if (result instanceof Statement statement) {
                return proxy(Statement.class, statement, new StatementCalls(statement, null));
            }
            return result;
        }
    }

    /** Times the execute calls of a statement; a prepared one's SQL is the one it was prepared with. */
    private final class StatementCalls implements InvocationHandler {
        private final Statement statement;
        private final String prepared;

        StatementCalls(Statement statement, String prepared) {
            this.statement = statement;
            this.prepared = prepared;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (!method.getName().startsWith("execute")) {
                return call(method, statement, args);
            }
            long start = System.nanoTime();
            try {
                return call(method, statement, args);
            } catch (SQLException e) {
                failures.add(e.getMessage());
                throw e;
            } finally {
                long took = System.nanoTime() - start;
                if (took > thresholdNanos) {
                    slow.increment();
                    String sql = args != null && args.length > 0 && args[0] instanceof String s ? s : prepared;
                    LOG.warn("slow statement on database node {}: {} ms: {}", node,
                            TimeUnit.NANOSECONDS.toMillis(took), sql);
                }
            }
        }
    }
}
