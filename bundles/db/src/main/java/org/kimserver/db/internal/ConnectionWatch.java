package org.kimserver.db.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import javax.sql.DataSource;

/**
 * What the pool connects through: remembers whether the last new connection to the database failed, and why, so
 * that callers are told at once that the node cannot be reached instead of each waiting for the pool's timeout.
 */
final class ConnectionWatch extends ForwardingDataSource {
    /** The failure of the last attempt to connect, or null once one succeeded. */
    private volatile SQLException failure;
    /** Since when attempts to connect fail, or null. */
    private volatile Instant failingSince;

    ConnectionWatch(DataSource target) {
        super(target);
    }

    /** Why the last attempt to connect failed, or null if it succeeded. */
    SQLException failure() {
        return failure;
    }

    /** Since when attempts to connect fail, or null if the last one succeeded. */
    Instant failingSince() {
        return failingSince;
    }

    @Override
    public Connection getConnection() throws SQLException {
        try {
            Connection connection = target.getConnection();
            failure = null;
            failingSince = null;
            return connection;
        } catch (SQLException e) {
            if (failure == null) {
                failingSince = Instant.now();
            }
            failure = e;
            throw e;
        }
    }
}
