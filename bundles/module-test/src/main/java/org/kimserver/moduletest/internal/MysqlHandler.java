package org.kimserver.moduletest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.ErrorCode;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;
import org.kimserver.api.pool.DbErrors;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cmd 1003, the original's KP_REQ_TEST_MYSQL: on database node "test", inserts a row into
 * {@code mytest.test_async_mysql}, then reads row 1; "ok" / "test mysql done!". A failure answers as the original:
 * the insert's (or the connection's) code with "write mysql failed!", the read's with "read mysql failed!"; no node
 * "test" is code 15. It blocks (JDBC), so it runs on a virtual thread.
 */
@Component(property = CommandHandler.CMD + "=1003")
public final class MysqlHandler implements CommandHandler {
    private static final Logger LOG = LoggerFactory.getLogger(MysqlHandler.class);
    private static final Reply DONE = Reply.ok("ok", "test mysql done!");
    private static final String WRITE_FAILED = "write mysql failed!";
    private static final String READ_FAILED = "read mysql failed!";
    private static final String INSERT = "insert into mytest.test_async_mysql (value) values ('hello world')";
    private static final String SELECT = "select value from mytest.test_async_mysql where id = 1";
    /** The module's DDL (sql/mytest.sql), one statement per element. */
    private static final List<String> DDL = ddl();

    /** Optional, so that a missing node is answered with the original's code 15 instead of no handler at all. */
    @Reference(target = "(" + DbErrors.DB_NODE + "=test)", cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC)
    private volatile DataSource test;

    /** The pool the table was made sure of on, so that a new pool (a changed node) checks again. */
    private volatile DataSource tableReadyOn;

    @Override
    public Reply handle(Request request) {
        DataSource db = test;
        if (db == null) {
            return Reply.of(ErrorCode.CAN_NOT_FIND_NODE, WRITE_FAILED, "");
        }
        try (Connection connection = db.getConnection(); Statement statement = connection.createStatement()) {
            try {
                if (tableReadyOn != db) {
                    for (String ddl : DDL) {
                        statement.execute(ddl);
                    }
                    tableReadyOn = db;
                }
                statement.executeUpdate(INSERT);
            } catch (SQLException e) {
                LOG.debug("cmd 1003: insert failed", e);
                return Reply.of(DbErrors.of(e, true), WRITE_FAILED, "");
            }
            try (ResultSet rows = statement.executeQuery(SELECT)) {
                while (rows.next()) {
                    if (LOG.isDebugEnabled()) {
                        LOG.debug("cmd 1003: row 1: value = {}", rows.getString(1));
                    }
                }
            } catch (SQLException e) {
                LOG.debug("cmd 1003: select failed", e);
                return Reply.of(DbErrors.of(e, false), READ_FAILED, "");
            }
            return DONE;
        } catch (SQLException e) { // no connection: the original failed the write first
            LOG.debug("cmd 1003: no connection", e);
            return Reply.of(DbErrors.of(e, true), WRITE_FAILED, "");
        }
    }

    private static List<String> ddl() {
        try (InputStream in = MysqlHandler.class.getResourceAsStream("/sql/mytest.sql")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)^--.*$", "");
            return Arrays.stream(text.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
