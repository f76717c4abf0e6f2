package org.kimserver.api.pool;

import static org.junit.Assert.assertEquals;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTransientConnectionException;
import org.junit.Test;
import org.kimserver.api.ErrorCode;

public class DbErrorsTest {
    @Test
    public void aDatabaseThatCannotBeReachedIs12009ForAReadAndAWrite() {
        SQLException refused = new SQLNonTransientConnectionException("Socket fail to connect", "08000",
                new ConnectException("Connection refused"));
        assertEquals(ErrorCode.DB_CONNECT_FAILED, DbErrors.of(refused, true));
        assertEquals(ErrorCode.DB_CONNECT_FAILED, DbErrors.of(refused, false));
        // The pool's timeout, caused by the last failed attempt to connect.
        assertEquals(ErrorCode.DB_CONNECT_FAILED, DbErrors.of(new SQLTransientConnectionException(
                "Connection is not available, request timed out after 800ms", null, refused), true));
        assertEquals(ErrorCode.DB_CONNECT_FAILED, DbErrors.of(new SQLException("I/O error", null,
                new ConnectException("Connection refused")), false));
    }

    @Test
    public void allConnectionsBusyForTooLongIs12008() {
        assertEquals(ErrorCode.DB_TASKS_TIME_OUT, DbErrors.of(new SQLTransientConnectionException(
                "Connection is not available, request timed out after 800ms"), false));
    }

    @Test
    public void aStatementThatFailsIs12005WhenItWritesAnd12004WhenItReads() {
        SQLException noTable = new SQLSyntaxErrorException("Table 'mytest.nope' doesn't exist", "42S02", 1146);
        assertEquals(ErrorCode.DB_EXEC_FAILED, DbErrors.of(noTable, true));
        assertEquals(ErrorCode.DB_QUERY_FAILED, DbErrors.of(noTable, false));
    }
}
