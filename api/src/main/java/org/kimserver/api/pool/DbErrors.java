package org.kimserver.api.pool;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.kimserver.api.ErrorCode;

/**
 * The original's error code for a failed database call. {@link #DB_NODE} is the service property that names the
 * node of a {@code javax.sql.DataSource}: {@code @Reference(target = "(kim.db.node=test)")}.
 */
public final class DbErrors {
    /** The service property of a pool's {@code DataSource}: the node's name in {@code database.nodes}. */
    public static final String DB_NODE = "kim.db.node";

    private DbErrors() {
    }

    /**
     * 12009 when the database cannot be reached (SQL state class 08, or no connection could be made in time), 12008
     * when every connection was busy for longer than the pool waits, else 12005 for a write and 12004 for a read.
     */
    public static ErrorCode of(SQLException e, boolean write) {
        if (cannotConnect(e)) {
            return ErrorCode.DB_CONNECT_FAILED;
        }
        if (e instanceof SQLTransientConnectionException) { // the pool's wait for a connection ended
            return ErrorCode.DB_TASKS_TIME_OUT;
        }
        return write ? ErrorCode.DB_EXEC_FAILED : ErrorCode.DB_QUERY_FAILED;
    }

    /** Whether the failure, or one it was caused by, is a connection failure (SQL state 08xxx). */
    private static boolean cannotConnect(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                return true;
            }
            if (t instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }
}
